"""The one generator of people's and public bodies' names: the payee-type model's training examples
and the benchmarks' payee files are made of it."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from payeeflow.agents.classification.logic import Classifier
from payeeflow.agents.classification.training.examples import SEED
from payeeflow.agents.generated_names import PUBLIC_BODIES, people, places, public_body
from payeeflow.agents.matching.synthetic import generate_network, generate_payees, write_csv


def test_one_seed_gives_the_same_people(shared_data: Path) -> None:
    """The training examples and the payee files are the same for the same seed only if the people
    drawn are: the committed model rests on it."""
    assert list(people(shared_data, random.Random(SEED), 6)) == [
        "JONATHON LIEFER",
        "LEWIS, EBONY",
        "STEVEN NAIL",
        "WALTER WATERHOUSE",
        "JESSE ERICKSON JR",
        "DEBORAH DE LASHBROOK",
    ]


def test_the_model_types_the_generated_names(shared_data: Path, classifier: Classifier) -> None:
    rng = random.Random(1)
    cities = places(shared_data)
    persons = Counter(classifier.classify(name)["payee_type"] for name in people(shared_data, rng, 2000))
    bodies = Counter(
        classifier.classify(public_body(rng, rng.choice(cities)))["payee_type"] for _ in range(2000)
    )
    assert persons["INDIVIDUAL"] >= 1980 and bodies["GOVERNMENT"] >= 1980, (persons, bodies)


def test_a_payee_files_public_body_is_of_the_payees_own_place(shared_data: Path, tmp_path: Path) -> None:
    network = tmp_path / "network.csv"
    write_csv(generate_network(shared_data, 2000, 3), network)
    rows = list(generate_payees(shared_data, network, 3000, 3))
    by_city: dict[tuple[str, str], list[str]] = {}
    for place in places(shared_data):
        fill = {"city": place.city, "county": place.county, "state": place.state_name}
        by_city.setdefault((place.city, place.state), []).extend(t.format(**fill) for t in PUBLIC_BODIES)
    bodies = [r for r in rows if r["expected_type"] == "GOVERNMENT" and r["city"]]
    assert len(bodies) > 100
    assert all(r["name"] in by_city[r["city"], r["state"]] for r in bodies)
    persons = [r["name"].upper() for r in rows if r["expected_type"] == "INDIVIDUAL"]
    assert sum("," in name for name in persons) > len(persons) / 5  # LAST, FIRST as AP files have them
