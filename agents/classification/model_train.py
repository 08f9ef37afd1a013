"""Trains the payee-type model from the shared data: ``payeeflow model train``.

Examples are generated deterministically (one seed) from the shared data: people in the forms AP
files use, real company names with and without their legal form, government bodies from the .gov
registrants, federal agencies and templates, and truncations to bank-file limits. 15 % of the
distinct names (by a hash, so the split is stable) are held out and written to ``heldout.csv``;
the rest train a multinomial logistic regression (L2, L-BFGS), whose temperature is then fitted
on a calibration slice so that confidences mean what they say. Weights are rounded so that the
same data gives the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import json
import random
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agents.classification.features import Featurizer
from agents.text import canonical
from payeeflow.errors import InputError
from payeeflow.shared_data import may_be_a_person, rows

MODEL_DIR = Path(__file__).parent / "model"
MODEL_FILE = MODEL_DIR / "model.json.gz"
HELDOUT_FILE = MODEL_DIR / "heldout.csv"
CLASSES = ("INDIVIDUAL", "BUSINESS", "GOVERNMENT")
SEED = 20261123
L2 = 1.0
MIN_COUNT = 2

TRADES = (
    "PLUMBING",
    "ROOFING",
    "ELECTRIC",
    "LANDSCAPING",
    "CONSTRUCTION",
    "CONSULTING",
    "TRUCKING",
    "JANITORIAL",
    "AUTO REPAIR",
    "DENTAL",
    "MEDICAL GROUP",
    "SUPPLY",
    "PRINTING",
    "CATERING",
    "STAFFING",
    "LAW OFFICE",
    "ACCOUNTING",
    "HVAC",
    "PEST CONTROL",
    "FLOORING",
    "PAINTING",
    "CONCRETE",
    "SECURITY",
    "ENGINEERING",
    "MARKETING",
    "LOGISTICS",
    "FENCE",
    "GLASS",
    "TIRE",
    "RENTALS",
    "SIGNS",
    "BAKERY",
    "DELI",
    "PIZZA",
    "TAVERN",
    "FLORIST",
    "PHOTOGRAPHY",
    "DESIGN",
    "REALTY",
    "INSURANCE AGENCY",
    "TOWING",
    "WELDING",
    "MACHINE SHOP",
    "CLEANERS",
    "SALON",
    "IT SOLUTIONS",
    "IT SERVICES",
    "WEB SERVICES",
    "WEB DESIGN",
    "COMMUNICATIONS",
    "TECHNOLOGIES",
    "DATA SYSTEMS",
    "NETWORKS",
    "SOFTWARE",
    "TELECOM",
    "WIRELESS",
    "HOME IMPROVEMENT",
    "HOME CENTER",
    "OFFICE SOLUTIONS",
    "BUSINESS SERVICES",
    "HEALTH SERVICES",
    "HOME HEALTH",
    "FUNERAL HOME",
    "FUNERAL PARLORS",
    "VETERINARY CLINIC",
    "ANIMAL HOSPITAL",
    "PHARMACY",
    "DRUG STORE",
    "MARKET",
    "GROCERY",
    "HARDWARE",
    "LUMBER",
    "FARM SUPPLY",
    "FEED AND SEED",
    "MOTORS",
    "AUTO PARTS",
    "DEPOT",
    "OUTFITTERS",
    "BOUTIQUE",
    "STUDIO",
    "MEDIA",
    "PRODUCTIONS",
    "EVENTS",
    "TRAVEL",
    "TOURS",
    "TRANSPORT",
    "EXPRESS",
    "COURIER",
    "MOVING AND STORAGE",
    "STORAGE",
    "ENVIRONMENTAL",
    "ENERGY",
    "SOLAR",
    "POWER SYSTEMS",
    "CONTROLS",
    "INDUSTRIES",
    "MANUFACTURING",
    "FABRICATION",
    "TOOL AND DIE",
    "PACKAGING",
    "LAND SERVICES",
    "LAND SURVEYING",
    "TITLE COMPANY",
    "PROPERTY MANAGEMENT",
    "HOLDINGS",
    "PARTNERS",
    "VENTURES",
    "ENTERPRISES",
    "GROUP",
    "WORKS",
    "SUPPLY HOUSE",
    "DISTRIBUTORS",
)
FORMS = (
    "INC",
    "LLC",
    "CORP",
    "CO",
    "LTD",
    "INCORPORATED",
    "CORPORATION",
    "COMPANY",
    "L.L.C.",
    "LLP",
    "PC",
    "PLLC",
    "PA",
    "LP",
)
PROFESSIONS = ("DDS", "MD", "CPA", "DMD", "DO", "ESQ", "DVM", "OD")
GOV_TEMPLATES = (
    "CITY OF {city}",
    "{county} COUNTY",
    "COUNTY OF {county}",
    "TOWN OF {city}",
    "VILLAGE OF {city}",
    "{city} TOWNSHIP",
    "{city} TWP",
    "{county} CNTY",
    "{city} INDEPENDENT SCHOOL DISTRICT",
    "{city} ISD",
    "{city} UNIFIED SCHOOL DISTRICT",
    "{city} PUBLIC SCHOOLS",
    "{city} BOARD OF EDUCATION",
    "STATE OF {state}",
    "{state} DEPARTMENT OF REVENUE",
    "{state} DEPT OF TRANSPORTATION",
    "{state} DEPARTMENT OF HEALTH",
    "{county} COUNTY TREASURER",
    "{county} COUNTY SHERIFF",
    "{county} COUNTY CLERK",
    "{county} CO TAX COLLECTOR",
    "{city} WATER DISTRICT",
    "{city} FIRE DISTRICT",
    "{city} HOUSING AUTHORITY",
    "{city} POLICE DEPARTMENT",
    "{city} PARK DISTRICT",
    "{city} PUBLIC LIBRARY",
    "{county} COUNTY CIRCUIT COURT",
    "{state} STATE UNIVERSITY",
    "{city} MUNICIPAL UTILITIES",
    "COMMONWEALTH OF {state}",
    "{state} SECRETARY OF STATE",
    "{county} COUNTY HEALTH DEPARTMENT",
    "{city} TRANSIT AUTHORITY",
)


def _weighted(rows: Sequence[tuple[str, float]]) -> tuple[list[str], list[float]]:
    """(values, cumulative weights): rng.choices with cum_weights is O(log n) a draw."""
    return [r[0] for r in rows], list(itertools.accumulate(r[1] for r in rows))


def _people(data: Path, rng: random.Random, count: int) -> Iterator[str]:
    births: Counter[str] = Counter()
    for row in rows(data / "us_first_names_ssa.csv"):
        births[row["first_name"].upper()] += int(row["births_1960_2005"] or 0)
    firsts, fw = _weighted(births.most_common(5000))
    lasts, lw = _weighted(
        [
            (r["surname"], float(r["freq_pct"]) + 0.0005)
            for r in rows(data / "us_surnames_census1990.csv")
            if int(r["rank"]) <= 40000
        ]
    )
    initials = "ABCDEFGHIJKLMNOPRSTW"
    for _ in range(count):
        first, last = rng.choices(firsts, cum_weights=fw)[0], rng.choices(lasts, cum_weights=lw)[0]
        mid = rng.choice(initials)
        form = rng.random()
        if form < 0.30:
            yield f"{first} {last}"
        elif form < 0.42:
            yield f"{last}, {first}"
        elif form < 0.54:
            yield f"{last}, {first} {mid}"
        elif form < 0.66:
            yield f"{first} {mid} {last}"
        elif form < 0.71:
            yield f"{first[0]} {last}"
        elif form < 0.76:
            yield f"{first} {last} {rng.choice(('JR', 'SR', 'III', 'II'))}"
        elif form < 0.81:
            yield f"{rng.choice(('DR', 'MR', 'MRS', 'MS', 'DR.', 'Mrs.'))} {first} {last}"
        elif form < 0.87:
            yield f"{first} {rng.choice(('&', 'AND'))} {rng.choices(firsts, cum_weights=fw)[0]} {last}"
        elif form < 0.91:
            yield f"{first} {last}-{rng.choices(lasts, cum_weights=lw)[0]}"
        elif form < 0.95:
            yield f"{last} {first} {mid}"
        else:
            yield f"{first} {rng.choices(firsts, cum_weights=fw)[0]} {last}"


def _companies(data: Path, rng: random.Random, legal: set[str], lexicon: dict[str, Any]) -> Iterator[str]:
    first, last = lexicon["first_names"], lexicon["surnames"]
    for row in rows(data / "company_names_combined.csv"):
        name = row["name"].upper()
        tokens = canonical(name).split()
        has_form = any(t in legal for t in tokens)
        if may_be_a_person(row) and not has_form:
            continue  # that list holds sole proprietors' own names too
        yield name
        core = [t for t in tokens if t not in legal and t != "THE"]
        if not has_form or not core or rng.random() >= 0.6:
            continue
        if len(core) == 1:  # a brand alone (STAPLES, NVIDIA), unless it is a common person name
            if core[0] not in first and last.get(core[0], 0) < 20 and len(core[0]) > 2:
                yield core[0]
        elif not all(t in first or t in last for t in core):
            yield " ".join(core)  # AP files often drop the legal form


def _synthetic_businesses(data: Path, rng: random.Random, count: int) -> Iterator[str]:
    lasts = [r["surname"] for r in rows(data / "us_surnames_census1990.csv") if int(r["rank"]) <= 5000]
    firsts = [r["first_name"] for r in rows(data / "us_first_names_census1990.csv") if int(r["rank"]) <= 500]
    cities = [r["city"].upper() for r in rows(data / "us_cities.csv")]
    for _ in range(count):
        kind = rng.random()
        form = rng.choice(FORMS) if rng.random() < 0.6 else ""
        if kind < 0.35:
            yield f"{rng.choice(lasts)} {rng.choice(TRADES)} {form}".strip()
        elif kind < 0.55:
            yield f"{rng.choice(cities)} {rng.choice(TRADES)} {form}".strip()
        elif kind < 0.70:
            person = f"{rng.choice(firsts)} {rng.choice(lasts)}"
            yield f"{person} {rng.choice(PROFESSIONS)} {rng.choice(('PC', 'PA', 'PLLC', 'LLC'))}"
        elif kind < 0.80:
            partners = f"{rng.choice(lasts)} {rng.choice(('&', 'AND'))} {rng.choice(lasts)}"
            yield f"{partners} {rng.choice(('LLP', 'PC', 'ASSOCIATES', 'PLLC'))}"
        elif kind < 0.88:
            family = rng.choice(("& SONS", "BROTHERS", "BROS", "AND SONS"))
            yield f"{rng.choice(lasts)} {family} {form}".strip()
        elif kind < 0.94:
            yield f"{rng.choice(firsts)} {rng.choice(lasts)} DBA {rng.choice(lasts)} {rng.choice(TRADES)}"
        else:
            yield f"{rng.choice(firsts)}S {rng.choice(TRADES)}"


def _governments(data: Path, rng: random.Random, count: int) -> Iterator[str]:
    for row in rows(data / "us_government_entities_dotgov.csv"):
        yield row["organization_name"]  # sub-organisations alone ("Information Technology") are no payees
    for row in rows(data / "us_federal_agencies.csv"):
        yield row["agency"]
        if row["sub_agency"]:
            yield row["sub_agency"]
    places = [
        (r["city"].upper(), r["county"].upper(), r["state_name"].upper())
        for r in rows(data / "us_cities.csv")
    ]
    for _ in range(count):
        city, county, state = rng.choice(places)
        yield rng.choice(GOV_TEMPLATES).format(city=city, county=county, state=state)


def build_examples(data: Path, lexicon: dict[str, Any], seed: int = SEED) -> list[tuple[str, str]]:
    """(name, label) pairs, deterministic for a seed, one per distinct canonical name."""
    rng = random.Random(seed)
    legal = set(lexicon["legal_suffixes"])
    labeled = list(rows(data / "labeled_names_probablepeople.csv"))
    sources: list[tuple[str, Iterator[str]]] = [
        # single given names ("VALERY") would teach that one word is a person; AP payees are not
        ("INDIVIDUAL", (r["name"] for r in labeled if r["label"] == "person" and " " in r["name"].strip())),
        ("INDIVIDUAL", _people(data, rng, 36000)),
        ("BUSINESS", (r["name"] for r in labeled if r["label"] == "corporation")),
        ("BUSINESS", _companies(data, rng, legal, lexicon)),
        ("BUSINESS", _synthetic_businesses(data, rng, 12000)),
        ("GOVERNMENT", _governments(data, rng, 12000)),
    ]
    seen: set[str] = set()
    examples = []
    for label, names in sources:
        for name in names:
            name = " ".join(name.split())
            variants = [name]
            if len(name) > 22 and rng.random() < 0.12:  # bank files cut names at 22 or 35
                variants.append(name[: rng.choice((22, 35))].rstrip())
            for variant in variants:
                key = canonical(variant)
                if key and key not in seen:  # one label per name: the first source wins
                    seen.add(key)
                    examples.append((variant, label))
    return examples


def split(examples: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, held out): 15 % of names by a stable hash of their canonical form."""
    train: list[tuple[str, str]] = []
    held: list[tuple[str, str]] = []
    for example in examples:
        (held if zlib.crc32(canonical(example[0]).encode()) % 100 < 15 else train).append(example)
    return train, held


def fit(featurizer: Featurizer, examples: list[tuple[str, str]]) -> dict[str, Any]:
    """Multinomial logistic regression over the features, then temperature calibration."""
    from scipy import optimize, sparse

    calib = [e for e in examples if zlib.crc32(e[0].encode()) % 10 == 0]
    fit_set = [e for e in examples if zlib.crc32(e[0].encode()) % 10 != 0]
    feats = [sorted(set(featurizer(name)[0])) for name, _ in fit_set]
    counts = Counter(f for row in feats for f in row)
    vocab = {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= MIN_COUNT))}
    X = _matrix([[vocab[f] for f in row if f in vocab] for row in feats], len(vocab), sparse)
    y = np.array([CLASSES.index(label) for _, label in fit_set])
    Y = np.eye(len(CLASSES))[y]
    k = len(CLASSES)

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = flat[:-k].reshape(-1, k), flat[-k:]
        Z = X @ W + b
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        nll = -np.log(P[np.arange(len(y)), y] + 1e-12).sum() + L2 / 2 * (W * W).sum()
        G = P - Y
        return nll, np.concatenate([(X.T @ G + L2 * W).ravel(), G.sum(axis=0)])

    result = optimize.minimize(
        loss, np.zeros(len(vocab) * k + k), jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    W, b = result.x[:-k].reshape(-1, k), result.x[-k:]
    temperature = _fit_temperature(featurizer, calib, vocab, W, b)
    weights = {f: [round(float(v), 4) for v in W[i]] for f, i in vocab.items() if np.abs(W[i]).max() >= 1e-3}
    return {
        "classes": list(CLASSES),
        "bias": [round(float(v), 4) for v in b],
        "temperature": temperature,
        "weights": weights,
    }


def _matrix(rows: list[list[int]], width: int, sparse: Any) -> Any:
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.array([i for r in rows for i in r], dtype=np.int64)
    return sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), width))


def _fit_temperature(
    featurizer: Featurizer, calib: list[tuple[str, str]], vocab: dict[str, int], W: np.ndarray, b: np.ndarray
) -> float:
    logits = np.array(
        [
            b + sum((W[vocab[f]] for f in set(featurizer(n)[0]) if f in vocab), np.zeros(len(b)))
            for n, _ in calib
        ]
    )
    y = np.array([CLASSES.index(label) for _, label in calib])
    best = (float("inf"), 1.0)
    for t in np.arange(0.5, 3.01, 0.05):
        Z = logits / t
        Z -= Z.max(axis=1, keepdims=True)
        nll = -(Z[np.arange(len(y)), y] - np.log(np.exp(Z).sum(axis=1))).sum()
        best = min(best, (float(nll), round(float(t), 2)))
    return best[1]


def write_model(model: dict[str, Any], path: Path = MODEL_FILE) -> None:
    payload = json.dumps(model, sort_keys=True, separators=(",", ":")).encode()
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(payload)


def load_model(path: Path = MODEL_FILE) -> dict[str, Any]:
    with gzip.open(path, "rb") as fh:
        return json.loads(fh.read())  # type: ignore[no-any-return]


def write_examples(examples: list[tuple[str, str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["name", "label"])
        writer.writerows(examples)


def train_all(data: Path, out: Path = MODEL_DIR) -> Iterator[str]:
    """Lexicon, examples, split, fit; writes the model folder ``out`` and says what it did."""
    from agents.classification.train import LEXICON_FILE, build_lexicon, write_lexicon

    if not (data / "us_surnames_census1990.csv").exists():
        raise InputError(f"{data}: not the shared data folder (no us_surnames_census1990.csv)")
    lexicon = build_lexicon(data)
    out.mkdir(parents=True, exist_ok=True)
    write_lexicon(lexicon, out / LEXICON_FILE.name)
    examples = build_examples(data, lexicon)
    train, held = split(examples)
    counts = Counter(label for _, label in examples)
    yield f"{len(examples)} examples ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})"
    model = fit(Featurizer(lexicon), train)
    write_model(model, out / MODEL_FILE.name)
    write_examples(held, out / HELDOUT_FILE.name)
    yield f"trained on {len(train)}, held out {len(held)} -> {out / HELDOUT_FILE.name}"
    yield f"{len(model['weights'])} features, temperature {model['temperature']} -> {out / MODEL_FILE.name}"
