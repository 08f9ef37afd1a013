"""The training examples of the payee-type model, generated deterministically (one seed) from the
shared data and the word tables (``words.toml``): people in the forms AP files use, real company
names with and without their legal form, government bodies from the .gov registrants, federal
agencies and templates, civic names, and truncations to bank-file limits. The people and the
templated public bodies come from ``payeeflow.agents.generated_names``, which the benchmarks'
payee files are made of too.

Real organisation names are split by **entity** (a name's canonical core without its legal form,
so ``ACME INC``, ``ACME`` and a cut ``ACME IN`` are one entity and land on one side): one entity in
five (``OUTSIDE_SHARE``) is kept for ``outside_examples``, with the whole hand-labelled
probablepeople file, and neither the examples nor the lexicon read them.
"""

from __future__ import annotations

import random
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from payeeflow.agents.classification.training.lexicon import PERSON_LIKE_BRANDS, TRADES
from payeeflow.agents.classification.training.words import CIVIC, EXAMPLES
from payeeflow.agents.generated_names import OFFICE_TITLES, Place, people, places, public_body
from payeeflow.agents.text import canonical
from payeeflow.shared_data import may_be_a_person, rows

OUTSIDE_SHARE = 20  # % of real organisation entities kept out of training and the lexicon
OUTSIDE_BUSINESSES = 4000  # at most, so that no class swamps the outside figure
CIVIC_NAMES = 3000  # organisations with a public word, and public bodies without one (each)
SEED = 20261123
FORMS, PROFESSIONS, OFFICES, CAMPAIGNS, REGIONS, MAKES, WORSHIP, DENOMINATIONS = (
    tuple(EXAMPLES[table])
    for table in (
        "forms", "professions", "offices", "campaigns", "regions", "makes", "worship", "denominations",
    )
)  # fmt: skip
SYLLABLES, ASIAN_SURNAMES, ENGLISH_NAMES, PRACTICES = (
    tuple(EXAMPLES[table]) for table in ("syllables", "asian_surnames", "english_names", "practices")
)
GROUPS, FINANCE, PARTIES, UNIONS, FEDERAL_SHORT = (
    tuple(EXAMPLES[table]) for table in ("groups", "finance", "parties", "unions", "federal_short")
)

# A probablepeople "corporation" naming a public body disagrees with DESIGN.md's GOVERNMENT: such rows
# are left out of the outside set rather than counted under either label.
_PUBLIC_BODY = re.compile(
    r"SCHOOL DISTRICT|SCHOOL DIST|SCHOOL BOARD|BOARD OF EDUCATION|\bAUTHORITY\b|CITY OF|COUNTY OF|"
    r"TOWN OF|VILLAGE OF|CITY CORPORATION|PUBLIC SCHOOLS|\bISD\b|\bTRIBES?\b|\bNATION$|^\S+ COUNTY$|"
    r"^GOVERNMENT OF|COURT ADMINISTRATION|SANITARY DISTRICT|TRANSPORTATION DISTRICT|COMMUNITY COLLEGE"
)


def entity(name: str, legal: set[str]) -> str:
    """A name's entity: canonical words without legal forms or a leading THE."""
    tokens = canonical(name).split()
    core = [t for t in tokens if t not in legal and t != "THE"]
    return " ".join(core or tokens)


def is_outside(name: str, legal: set[str]) -> bool:
    """Whether a real organisation name belongs to the outside evaluation, by its entity."""
    return zlib.crc32(("outside|" + entity(name, legal)).encode()) % 100 < OUTSIDE_SHARE


def _real_companies(data: Path, legal: set[str]) -> Iterator[str]:
    """Real company names whose label is sure (a Chicago licence name needs its legal form)."""
    for row in rows(data / "company_names_combined.csv"):
        if not may_be_a_person(row) or any(t in legal for t in canonical(row["name"]).split()):
            yield row["name"]


def _real_governments(data: Path) -> Iterator[str]:
    for row in rows(data / "us_government_entities_dotgov.csv"):
        yield row["organization_name"]  # sub-organisations alone ("Information Technology") are no payees
    for row in rows(data / "us_federal_agencies.csv"):
        yield row["agency"]
        if row["sub_agency"]:
            yield row["sub_agency"]


def _companies(data: Path, rng: random.Random, legal: set[str], lexicon: dict[str, Any]) -> Iterator[str]:
    first, last = lexicon["first_names"], lexicon["surnames"]
    for name in _real_companies(data, legal):
        if is_outside(name, legal):
            continue
        name = name.upper()
        tokens = canonical(name).split()
        has_form = any(t in legal for t in tokens)
        yield name
        core = [t for t in tokens if t not in legal and t != "THE"]
        if not has_form or not core or rng.random() >= 0.6:
            continue
        if len(core) == 1:  # a brand alone (STAPLES, NVIDIA), unless it is a common person name
            if core[0] not in first and last.get(core[0], 0) < 20 and len(core[0]) > 2:
                yield core[0]
        elif not all(t in first or t in last for t in core):
            yield " ".join(core)  # AP files often drop the legal form


def _rare_people(data: Path, rng: random.Random, count: int, words: frozenset[str]) -> Iterator[str]:
    """People whose names the lexicon does not know (rarer than its lists keep): a payee file's
    names come from everywhere, and an unknown name is still a person's name. No surname here is
    one of the lexicon's trade or everyday ``words``: after a person's name, one is a trade."""
    births: Counter[str] = Counter()
    for row in rows(data / "us_first_names_ssa.csv"):
        births[row["first_name"].upper()] += int(row["births_1930_2020"] or 0)
    firsts = [name for name, n in births.items() if n < 300 and len(name) > 2]
    lasts = [
        r["surname"]
        for r in rows(data / "us_surnames_census1990.csv")
        if int(r["rank"]) > 60000 and r["surname"] not in words
    ]
    for _ in range(count):
        first, last = rng.choice(firsts), rng.choice(lasts)
        form = rng.random()
        if form < 0.35:
            name = f"{first} {last}"
        elif form < 0.45:
            name = f"{first} {rng.choice((rng.choice(firsts), rng.choice(lasts)))} {last}"
        elif form < 0.6:
            name = f"{last}, {first}"
        elif form < 0.7:
            name = f"{first} {rng.choice('ABCDEFGHJKLMNPRSTW')} {last}"
        elif form < 0.8:
            name = f"{rng.choice(('DR', 'MS', 'MR', 'MRS', *OFFICE_TITLES))} {first} {last}"
        elif form < 0.88:
            name = f"{first} {rng.choice(('&', 'AND'))} {rng.choice(firsts)} {last}"
        elif form < 0.94:
            name = f"{first} {last}-{rng.choice(lasts)}"
        else:
            name = f"{first} {last} {rng.choice(('JR', 'SR', 'II', 'III'))}"
        yield name.title() if rng.random() < 0.5 else name


def _middle_named_people(
    data: Path, rng: random.Random, count: int, lexicon: dict[str, Any]
) -> Iterator[str]:
    """People with a whole middle or maiden name before a surname the lexicon may not know
    (ALLISON BISHOP LEWKO, MISS AMY BETH TAUBLIEB): three name words are a person, where a known
    name and a trade or everyday word (JANE DOE FUEL) are a business, so no rare surname here is
    such a word."""
    firsts = [r["first_name"] for r in rows(data / "us_first_names_census1990.csv") if int(r["rank"]) <= 2000]
    surnames = [r["surname"] for r in rows(data / "us_surnames_census1990.csv")]
    words = set(lexicon["trade_words"])
    common, rare = surnames[:20000], [s for s in surnames[40000:] if s not in words]
    for _ in range(count):
        middle = rng.choice((rng.choice(firsts), rng.choice(common)))
        last = rng.choice(rare) if rng.random() < 0.7 else rng.choice(common)
        name = f"{rng.choice(firsts)} {middle} {last}"
        if rng.random() < 0.25:
            name = f"{rng.choice(('MISS', 'MS', 'MRS', 'MR', 'DR'))} {name}"
        yield name.title() if rng.random() < 0.5 else name


def _asian_people(rng: random.Random, count: int) -> Iterator[str]:
    """People with romanised Chinese, Korean or Vietnamese names, which the census lists barely hold."""
    for _ in range(count):
        syllables = rng.sample(SYLLABLES, rng.choice((1, 2, 2)))
        given = rng.choice(("".join, "-".join, " ".join))(syllables) if len(syllables) == 2 else syllables[0]
        if "-" in given and rng.random() < 0.5:
            given = given.title()
        surname = rng.choice(ASIAN_SURNAMES)
        form = rng.random()
        if form < 0.55:
            name = f"{given} {surname}"
        elif form < 0.7:
            name = f"{surname}, {given}"
        elif form < 0.8:
            name = f"{given} ({rng.choice(ENGLISH_NAMES)}) {surname}"
        elif form < 0.9:
            name = f"{rng.choice(ENGLISH_NAMES)} {given} {surname}"
        else:
            name = f"{surname} {given}"
        yield name.title() if rng.random() < 0.5 else name


def _organisations_like_people_or_places(
    data: Path, rng: random.Random, count: int, lexicon: dict[str, Any], cities: list[Place]
) -> Iterator[str]:
    """Businesses a name or a place leads astray: a person's name and a trade word, two surnames,
    a trade or bank "of" a city, car dealers, campaign committees, churches."""
    lasts = [r["surname"] for r in rows(data / "us_surnames_census1990.csv") if int(r["rank"]) <= 20000]
    firsts = [r["first_name"] for r in rows(data / "us_first_names_census1990.csv") if int(r["rank"]) <= 1000]
    towns = [place.city for place in cities]
    counties = sorted({place.county for place in cities})
    states = sorted({place.state_name for place in cities})
    names = lexicon["first_names"].keys() | lexicon["surnames"].keys()
    words = sorted(  # trade words from the SIC manual and real company names, none a person's name
        w
        for w in set(lexicon["business_words"]) | set(lexicon["sic_lexicon"])
        if w not in lexicon["legal_suffixes"] and w not in names
    )
    for _ in range(count):
        kind = rng.random()
        person = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        trade = rng.choice(TRADES) if rng.random() < 0.5 else rng.choice(words)
        if kind < 0.3:
            yield f"{person} {trade}"
        elif kind < 0.45:
            partners = [rng.choice(lasts) for _ in range(rng.choice((2, 2, 3)))]
            joint = rng.choice((", ", " ")).join(partners[:-1])  # MITCHELL, MITCHELL & BRADLEY or no comma
            yield f"{joint} {rng.choice(('&', 'AND'))} {partners[-1]}"
        elif kind < 0.6:
            yield f"{rng.choice((rng.choice(lasts), trade))} {trade} OF {rng.choice(towns)}"
        elif kind < 0.68:
            lead = rng.choice((rng.choice(lasts), rng.choice(towns), _acronym(rng)))
            public = rng.choice(  # a credit union or a fund named after a public body is neither
                (f"CITY OF {rng.choice(towns)}", f"{rng.choice(states)} STATE UNIVERSITY",
                 f"{rng.choice(counties)} COUNTY", f"{rng.choice(states)} STATE EMPLOYEES", lead)
            )  # fmt: skip
            yield rng.choice(FINANCE).format(lead=lead, city=rng.choice(towns), public=public)
        elif kind < 0.73:  # a trade named after its area: LAKE COUNTY PLUMBING, TRI-STATE FUEL
            area = rng.choice((rng.choice(towns), f"{rng.choice(counties)} COUNTY", rng.choice(REGIONS)))
            yield f"{area} {trade}"
        elif kind < 0.76:
            owner = rng.choice((person, rng.choice(towns), rng.choice(lasts)))
            yield f"{owner} {rng.choice(MAKES)}{rng.choice(('', '', ' MOTORS', ' OF ' + rng.choice(towns)))}"
        elif kind < 0.82:
            campaign = rng.choice(CAMPAIGNS)
            yield campaign.format(person=person, last=rng.choice(lasts), office=rng.choice(OFFICES))
        elif kind < 0.88:
            yield rng.choice(GROUPS).format(
                city=rng.choice(towns),
                trade=trade,
                last=rng.choice(lasts),
                office=rng.choice(OFFICES),
                n=rng.randint(1, 999),
                union=rng.choice(UNIONS),
                county=rng.choice(counties),
                state=rng.choice(states),
                party=rng.choice(PARTIES),
            )
        elif kind < 0.94:
            where = rng.choice((rng.choice(towns), f"ST {rng.choice(firsts)}", "FIRST", "GRACE", "NEW HOPE"))
            yield f"{where} {rng.choice(DENOMINATIONS)} CHURCH"
        else:
            saint = f"{rng.choice(('ST', 'ST.', 'SAINT'))} {rng.choice(firsts)}"
            yield rng.choice(WORSHIP).format(
                saint=saint, place=rng.choice(towns), last=rng.choice(lasts), first=rng.choice(firsts)
            )


def _everyday_businesses(rng: random.Random, count: int, lexicon: dict[str, Any]) -> Iterator[str]:
    """Trade names made of everyday words (SCENIC TREE, THE HUB, CHERRY BOWL, BLUE SKY LANDSCAPE):
    two words no list holds as a name are seldom a person's."""
    public = {word for phrase in lexicon["government_phrases"] for word in canonical(phrase).split()}
    names = lexicon["first_names"].keys() | lexicon["surnames"].keys() | public
    words = sorted(w for w in lexicon["trade_words"] if w not in names)
    for _ in range(count):
        kind = rng.random()
        if kind < 0.5:
            yield f"{rng.choice(words)} {rng.choice(words)}"
        elif kind < 0.65:
            yield f"THE {rng.choice(words)}"
        elif kind < 0.85:
            yield f"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)}"
        else:
            yield f"{rng.choice(words)} {rng.choice(TRADES)}"


def _acronym(rng: random.Random) -> str:
    return "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVW") for _ in range(rng.randint(2, 4)))


def _synthetic_businesses(data: Path, rng: random.Random, count: int, cities: list[Place]) -> Iterator[str]:
    lasts = [r["surname"] for r in rows(data / "us_surnames_census1990.csv") if int(r["rank"]) <= 5000]
    firsts = [r["first_name"] for r in rows(data / "us_first_names_census1990.csv") if int(r["rank"]) <= 500]
    for _ in range(count):
        kind = rng.random()
        form = rng.choice(FORMS) if rng.random() < 0.6 else ""
        if kind < 0.35:
            yield f"{rng.choice(lasts)} {rng.choice(TRADES)} {form}".strip()
        elif kind < 0.55:
            yield f"{rng.choice(cities).city} {rng.choice(TRADES)} {form}".strip()
        elif kind < 0.70:
            person = f"{rng.choice(firsts)} {rng.choice(lasts)}"
            yield f"{person} {rng.choice(PROFESSIONS)} {rng.choice(('PC', 'PA', 'PLLC', 'LLC'))}"
        elif kind < 0.80:
            partners = f"{rng.choice(lasts)} {rng.choice(('&', 'AND'))} {rng.choice(lasts)}"
            yield f"{partners} {rng.choice(('LLP', 'PC', 'ASSOCIATES', 'PLLC'))}"
        elif kind < 0.88:
            family = rng.choice(("& SONS", "BROTHERS", "BROS", "AND SONS"))
            yield f"{rng.choice(lasts)} {family} {form}".strip()
        elif kind < 0.91:
            yield f"{rng.choice(firsts)} {rng.choice(lasts)} DBA {rng.choice(lasts)} {rng.choice(TRADES)}"
        elif kind < 0.96:
            first, middle = rng.choice(firsts), rng.choice(("", "", f" {rng.choice('ABCDEGJKLMRTW')}."))
            yield rng.choice(PRACTICES).format(
                person=f"{first}{middle} {rng.choice(lasts)}",
                last=rng.choice(lasts),
                last2=rng.choice(lasts),
                last3=rng.choice(lasts),
            )
        else:
            yield f"{rng.choice(firsts)}S {rng.choice(TRADES)}"


def _governments(
    data: Path, rng: random.Random, count: int, legal: set[str], cities: list[Place]
) -> Iterator[str]:
    yield from (name for name in _real_governments(data) if not is_outside(name, legal))
    for _ in range(count):
        yield public_body(rng, rng.choice(cities))


def build_examples(data: Path, lexicon: dict[str, Any], seed: int = SEED) -> list[tuple[str, str, str]]:
    """(name, label, entity) triples, deterministic for a seed, one per distinct canonical name.

    Nothing of the outside evaluation is among them (see ``outside_examples``).
    """
    rng = random.Random(seed)
    legal = set(lexicon["legal_suffixes"])
    cities = places(data)  # read once: every generator below draws its places from it
    sources: list[tuple[str, Iterator[str]]] = [
        ("BUSINESS", civic_names(data, rng, CIVIC_NAMES, tuple(CIVIC["organisations"]), TRADES, cities)),
        ("GOVERNMENT", civic_names(data, rng, CIVIC_NAMES, tuple(CIVIC["public_bodies"]), TRADES, cities)),
        ("BUSINESS", iter(PERSON_LIKE_BRANDS)),  # first: a generated person never takes a brand's name
        ("INDIVIDUAL", people(data, rng, 36000)),
        ("INDIVIDUAL", _rare_people(data, rng, 10000, frozenset(lexicon["trade_words"]))),
        ("INDIVIDUAL", _asian_people(rng, 4000)),
        ("INDIVIDUAL", _middle_named_people(data, rng, 4000, lexicon)),
        ("BUSINESS", _companies(data, rng, legal, lexicon)),
        ("BUSINESS", _synthetic_businesses(data, rng, 12000, cities)),
        ("BUSINESS", _organisations_like_people_or_places(data, rng, 14000, lexicon, cities)),
        ("BUSINESS", _everyday_businesses(rng, 6000, lexicon)),
        ("GOVERNMENT", iter(FEDERAL_SHORT)),
        ("GOVERNMENT", _governments(data, rng, 12000, legal, cities)),
    ]
    seen: set[str] = set()
    examples = []
    for label, names in sources:
        for name in names:
            name = " ".join(name.split())
            whole = entity(name, legal)
            variants = [name]
            if len(name) > 22 and rng.random() < 0.12:  # bank files cut names at 22 or 35
                variants.append(name[: rng.choice((22, 35))].rstrip())
            for variant in variants:
                key = canonical(variant)
                if key and key not in seen:  # one label per name: the first source wins
                    seen.add(key)
                    examples.append((variant, label, whole))
    return examples


def outside_examples(data: Path, legal: set[str]) -> list[tuple[str, str]]:
    """Names the model never trains on, as the files have them: the labelled probablepeople file
    whole, and the outside share of real company and government entities."""
    examples: list[tuple[str, str]] = []
    for row in rows(data / "labeled_names_probablepeople.csv"):
        if row["label"] == "person" and " " in row["name"].strip():  # AP payees are not one word
            examples.append((row["name"], "INDIVIDUAL"))
        elif row["label"] == "corporation" and not _PUBLIC_BODY.search(row["name"].upper()):
            examples.append((row["name"], "BUSINESS"))
    businesses = {n for n in _real_companies(data, legal) if is_outside(n, legal)}
    by_hash = sorted(businesses, key=lambda n: zlib.crc32(n.encode()))
    examples += [(name, "BUSINESS") for name in by_hash[:OUTSIDE_BUSINESSES]]
    governments = {" ".join(n.split()) for n in _real_governments(data) if is_outside(n, legal)}
    examples += [(name, "GOVERNMENT") for name in sorted(governments) if name]
    unique: dict[str, tuple[str, str]] = {}
    for example in examples:
        unique.setdefault(canonical(example[0]), example)
    return list(unique.values())


def civic_names(
    data: Path,
    rng: random.Random,
    count: int,
    templates: tuple[str, ...],
    trades: tuple[str, ...],
    cities: list[Place],
) -> Iterator[str]:
    """``count`` names of ``templates`` filled with real places (``cities``), surnames and
    ``trades``; a third cut as a state's 30-character field cuts them (``SOUTH DAKOTA ASSN OF COUNTY``)."""
    named = sorted({place.city for place in cities if place.city.endswith(" CITY")})  # RAPID CITY PLUMBING
    lasts = [r["surname"] for r in rows(data / "us_surnames_census1990.csv") if int(r["rank"]) <= 5000]
    for _ in range(count):
        place = rng.choice(cities)
        name = rng.choice(templates).format(
            city=place.city,
            county=place.county,
            state=place.state_name,
            city_named=rng.choice(named),
            trade=rng.choice(trades),
            form=rng.choice(("INC", "LLC", "CO", "CORP")),
            call=rng.choice("KW") + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)),
            last=rng.choice(lasts),
            last2=rng.choice(lasts),
            last3=rng.choice(lasts),
            region=rng.choice(CIVIC["regions"]),
            acronym="".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVW") for _ in range(rng.randint(2, 5))),
            spanish=rng.choice(CIVIC["spanish_words"]),
            spanish_trade=rng.choice(CIVIC["spanish_trades"]),
            direction=rng.choice(CIVIC["directions"]),
            union=rng.choice(CIVIC["unions"]),
            n=rng.randint(1, 99),
            m=rng.randint(1, 9),
        )
        yield name[:30].rstrip() if len(name) > 30 and rng.random() < 0.33 else name
