"""Deterministic synthetic supplier networks and payee files, built from the shared data: what the
matcher is trained and benchmarked on, and the files tests and benchmarks push through.

Networks hold real company names plus generated ones (surname/city + trade), with siblings (one
name, another legal form, another state) and chains (one name, many locations). Payee files
carry their truth (``expected_type``, ``expected_supplier_id``) for benchmarks and tests, with
the perturbations AP files show: case, punctuation, suffix swaps and drops, abbreviations,
typos, store numbers, truncation to bank-file limits. Their people and public bodies are those
the payee-type model trains on (``payeeflow.agents.generated_names``).
"""

from __future__ import annotations

import csv
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from payeeflow.agents.generated_names import People, Place, places, public_body
from payeeflow.agents.matching.normalize import LEGAL_FORMS
from payeeflow.shared_data import may_be_a_person, rows

TRADES = (
    "PLUMBING",
    "ROOFING",
    "ELECTRIC",
    "LANDSCAPING",
    "CONSTRUCTION",
    "CONSULTING",
    "TRUCKING",
    "JANITORIAL SERVICES",
    "AUTO REPAIR",
    "DENTAL GROUP",
    "MEDICAL SUPPLY",
    "OFFICE SUPPLY",
    "PRINTING",
    "CATERING",
    "STAFFING",
    "LAW GROUP",
    "ACCOUNTING",
    "HVAC",
    "PEST CONTROL",
    "FLOORING",
    "PAINTING",
    "CONCRETE",
    "SECURITY SERVICES",
    "IT SOLUTIONS",
    "ENGINEERING",
    "MARKETING",
    "LOGISTICS",
    "FENCE CO",
    "GLASS",
    "TIRE",
    "EQUIPMENT RENTAL",
    "SIGNS",
)
SUFFIXES = ("INC", "LLC", "CORP", "CO", "LTD", "INCORPORATED", "CORPORATION", "COMPANY", "L.L.C.", "")
SUFFIX_SWAP = {
    "INC": "INCORPORATED",
    "INCORPORATED": "INC",
    "LLC": "L.L.C.",
    "L.L.C.": "LLC",
    "CORP": "CORPORATION",
    "CORPORATION": "CORP",
    "CO": "COMPANY",
    "COMPANY": "CO",
    "LTD": "LIMITED",
}
ABBREVIATE = {
    "SERVICES": "SVCS",
    "ASSOCIATES": "ASSOC",
    "MANAGEMENT": "MGMT",
    "INTERNATIONAL": "INTL",
    "BROTHERS": "BROS",
    "COMPANY": "CO",
    "DEPARTMENT": "DEPT",
    "NATIONAL": "NATL",
    "MANUFACTURING": "MFG",
    "CENTER": "CTR",
    "AND": "&",
}
STREET_TYPES = ("ST", "AVE", "RD", "BLVD", "DR", "LN", "WAY", "CT", "PKWY", "HWY")
STREETS = (
    "MAIN",
    "OAK",
    "MAPLE",
    "CEDAR",
    "PINE",
    "ELM",
    "WASHINGTON",
    "LAKE",
    "HILL",
    "PARK",
    "CHURCH",
    "MILL",
    "RIVER",
    "SPRING",
    "HIGHLAND",
    "MARKET",
    "CENTER",
    "UNION",
    "BROAD",
)
EXCLUDED = (
    "INTERNAL REVENUE SERVICE",
    "IRS",
    "WELLS FARGO BANK NA",
    "CHASE BANK",
    "PAYPAL",
    "ADP PAYROLL SERVICES",
    "{state_name} CHILD SUPPORT ENFORCEMENT",
    "AMERICAN EXPRESS",
    "{city} FEDERAL CREDIT UNION",
    "STATE DISBURSEMENT UNIT",
    "INTERCOMPANY TRANSFER",
    "CHAPTER 13 TRUSTEE",
    "US TREASURY",
    "FRANCHISE TAX BOARD",
)


def _has_legal_form(name: str) -> bool:
    """Whether a name carries a legal form (LLC, INC, CORP…)."""
    return any(tok in LEGAL_FORMS for tok in name.upper().replace(",", " ").replace(".", "").split())


@dataclass
class Vocab:
    """What generated suppliers, and the match model's generated queries, are made of."""

    companies: list[str]
    surnames: list[str]
    first_names: list[str]
    places: list[Place]

    @classmethod
    def load(cls, data: Path) -> Vocab:
        companies = [
            r["name"].upper()
            for r in rows(data / "company_names_combined.csv")
            if not may_be_a_person(r) or _has_legal_form(r["name"])
        ]
        surnames = [r["surname"] for r in rows(data / "us_surnames_census1990.csv") if int(r["rank"]) <= 5000]
        first = [
            r["first_name"].upper()
            for r in rows(data / "us_first_names_census1990.csv")
            if int(r["rank"]) <= 800
        ]
        return cls(sorted(set(companies)), surnames, first, places(data))


def reserved_outsider(name: str) -> bool:
    """A stable tenth of the real company names never enters a network: payees that are not in it."""
    return zlib.crc32(name.encode()) % 10 == 0


def _address(rng: random.Random) -> str:
    return f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"


def _zip(rng: random.Random) -> str:
    return f"{rng.randint(1000, 99950):05d}"


def _strip_legal(name: str) -> str:
    tokens = name.replace(",", " ").replace(".", "").split()
    core = [t for t in tokens if t not in LEGAL_FORMS]
    return " ".join(core or tokens)


def generate_network(data: Path, count: int, seed: int) -> Iterator[dict[str, str]]:
    """``count`` suppliers: real names first, then generated ones, with siblings and chains."""
    rng = random.Random(seed)
    vocab = Vocab.load(data)
    real = [name for name in vocab.companies if not reserved_outsider(name)]
    rng.shuffle(real)
    real = real[: count // 3]
    made = 0
    serial = 0

    def row(name: str, place: Place) -> dict[str, str]:
        nonlocal serial
        serial += 1
        return {
            "supplier_id": f"S{seed % 1000:03d}{serial:07d}",
            "name": name,
            "address": _address(rng),
            "city": place.city,
            "state": place.state,
            "zip": _zip(rng),
            "tax_id": f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}" if rng.random() < 0.5 else "",
            "sic_code": "",
            "accepts_card": rng.choice(("true", "false", "", "")),
        }

    names = iter(real)
    while made < count:
        roll = rng.random()
        base = next(names, None) if roll < 0.45 else None
        if base is None:
            kind = rng.random()
            if kind < 0.5:
                core = f"{rng.choice(vocab.surnames)} {rng.choice(TRADES)}"
            elif kind < 0.8:
                core = f"{rng.choice(vocab.places).city} {rng.choice(TRADES)}"
            else:
                core = f"{rng.choice(vocab.surnames)} AND {rng.choice(vocab.surnames)} {rng.choice(TRADES)}"
            base = f"{core} {rng.choice(SUFFIXES)}".strip()
        place = rng.choice(vocab.places)
        yield row(base, place)
        made += 1
        extra = rng.random()
        if extra < 0.08 and made < count:  # a sibling: same core, another form, another state
            sibling = f"{_strip_legal(base)} {rng.choice([s for s in SUFFIXES if s])}"
            yield row(sibling, rng.choice(vocab.places))
            made += 1
        elif extra < 0.11:  # a chain: one name, several locations
            for _ in range(min(rng.randint(2, 6), count - made)):
                yield row(base, rng.choice(vocab.places))
                made += 1


# What ERP exports wrap a supplier's name in: remit-to and attention lines, a department, care-of.
REMIT_NOISE = (
    "{name} ATTN ACCOUNTS RECEIVABLE", "{name} ATTN: AR DEPT", "{name} - AP DEPT", "{name} - A/R",
    "{name} C/O {person}", "REMIT TO: {name}", "{name} ATTN BILLING", "{name} - LOCKBOX 4471",
    "{name} ATTN: {person}", "{name} ACCOUNTS RECEIVABLE",
)  # fmt: skip
PLURAL_SWAPS = (
    ("SUPPLY", "SUPPLIES"),
    ("SERVICE", "SERVICES"),
    ("PRODUCT", "PRODUCTS"),
    ("SYSTEM", "SYSTEMS"),
)


def erp_noise(name: str, rng: random.Random, person: str) -> str:
    """One of the ways an ERP export wraps or cuts a name, beyond a clerk's typing (``perturb``)."""
    kind = rng.random()
    if kind < 0.45:
        return rng.choice(REMIT_NOISE).format(name=name, person=person)
    if kind < 0.65 and len(name) > 24:  # cut at a field limit, then a legal form appended
        return f"{name[:22].rstrip()} {rng.choice(('INC', 'LLC', 'CORP'))}"
    if kind < 0.75 and len(name) > 22:
        return f"THE {name}"[:22].rstrip()
    for one, many in PLURAL_SWAPS:
        if f" {one}" in f" {name} ":
            return name.replace(one, many, 1)
        if many in name:
            return name.replace(many, one, 1)
    return name


def perturb(name: str, rng: random.Random) -> str:
    """An AP clerk's rendering of a supplier name."""
    tokens = name.split()
    ops = rng.sample(range(8), k=rng.choice((0, 1, 1, 2, 2, 3)))
    for op in ops:
        if op == 0 and tokens and tokens[-1].replace(".", "").replace(",", "") in LEGAL_FORMS:
            tokens = tokens[:-1]  # drop the legal form
        elif op == 1 and tokens and tokens[-1] in SUFFIX_SWAP:
            tokens[-1] = SUFFIX_SWAP[tokens[-1]]
        elif op == 2:
            tokens = [ABBREVIATE.get(t, t) for t in tokens]
        elif op == 3 and tokens:  # one typo in a long word
            i = rng.randrange(len(tokens))
            word = tokens[i]
            if len(word) > 4:
                j = rng.randrange(1, len(word) - 1)
                tokens[i] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
        elif op == 4:
            tokens.append(f"#{rng.randint(1, 999)}")
        elif op == 5 and len(tokens) > 1:
            tokens[-2] = tokens[-2] + ","
        elif op == 6:
            tokens.insert(0, "THE") if tokens[:1] != ["THE"] else None
    out = " ".join(tokens)
    style = rng.random()
    if style < 0.3:
        out = out.title()
    elif style < 0.4:
        out = out.lower()
    if rng.random() < 0.15:
        out = out[: rng.choice((22, 35))].rstrip()
    return out or name


def generate_payees(
    data: Path, network: Path, count: int, seed: int, in_network: float = 0.55
) -> Iterator[dict[str, str]]:
    """Payees with their truth: network suppliers (perturbed), other firms, people, governments."""
    rng = random.Random(seed)
    vocab, people = Vocab.load(data), People.load(data)
    with network.open(newline="", encoding="utf-8") as fh:
        suppliers = list(csv.DictReader(fh))
    used = {_strip_legal(s["name"]) for s in suppliers}
    outsiders = [c for c in vocab.companies if reserved_outsider(c) and _strip_legal(c) not in used]
    for i in range(count):
        roll = rng.random()
        row = {
            "payee_id": f"P{seed:04d}{i:08d}",
            "name": "",
            "address": "",
            "city": "",
            "state": "",
            "zip": "",
            "expected_type": "",
            "expected_supplier_id": "",
        }
        place = rng.choice(vocab.places)
        if roll < in_network:
            supplier = rng.choice(suppliers)
            row.update(
                name=perturb(supplier["name"], rng),
                expected_type="BUSINESS",
                expected_supplier_id=supplier["supplier_id"],
            )
            if rng.random() < 0.7:
                row.update(
                    address=supplier["address"],
                    city=supplier["city"],
                    state=supplier["state"],
                    zip=supplier["zip"],
                )
        elif roll < in_network + 0.12:
            row.update(name=perturb(rng.choice(outsiders), rng), expected_type="BUSINESS")
        elif roll < in_network + 0.32:
            name = people.name(rng)
            row.update(name=name.title() if rng.random() < 0.4 else name, expected_type="INDIVIDUAL")
        elif roll < in_network + 0.40:
            row.update(name=public_body(rng, place), expected_type="GOVERNMENT")
        else:
            template = rng.choice(EXCLUDED)
            row.update(name=template.format(city=place.city, state_name=place.state_name), expected_type="")
        if not row["city"] and rng.random() < 0.5:
            row.update(address=_address(rng), city=place.city, state=place.state, zip=_zip(rng))
        yield row


def write_csv(rows: Iterator[dict[str, str]], path: Path, line_end: str = "\r\n") -> int:
    """Write ``rows`` under their first row's keys; ``line_end`` ``"\r"`` as old Mac exports end lines."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer: csv.DictWriter | None = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(fh, fieldnames=list(row), lineterminator=line_end)
                writer.writeheader()
            writer.writerow(row)
            count += 1
    return count


def write_workbook(source: Path, path: Path, sheet: str = "Payments") -> None:
    """An ``.xlsx`` copy of the CSV ``source``, one sheet, written row by row."""
    import openpyxl  # a dev dependency: only tests and benchmarks write workbooks

    book = openpyxl.Workbook(write_only=True)
    out = book.create_sheet(sheet)
    with source.open(newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            out.append(row)
    book.save(path)


# How ERP payment exports name their columns: the payee fields, and the payment's own. The last
# has no vendor id (ids then come from name and address) and splits long names over two columns.
PAYMENT_HEADERS = (
    {"payee_id": "Vendor ID", "name": "Vendor Name", "address": "Address Line 1", "city": "City",
     "state": "State", "zip": "Postal Code"},
    {"payee_id": "VENDOR_NO", "name": "VENDOR_NAME", "address": "REMIT_TO_ADDRESS", "city": "REMIT_TO_CITY",
     "state": "REMIT_TO_STATE", "zip": "ZIP"},
    {"payee_id": "Supplier Number", "name": " Supplier Name", "address": "Street", "city": "Town",
     "state": "Province", "zip": "Zip Code"},
    {"name": "Payee Name+Payee Name 2", "address": "Remit Address", "city": "Remit City",
     "state": "Remit State", "zip": "Remit Zip"},
)  # fmt: skip
NAME_FIELD_LIMIT = 20  # where the split style cuts a name into its second column
DEPARTMENTS = ("Parks", "Police", "Fire", "Water", "Streets", "Library", "Finance", "Health")


def generate_payments(
    payees: list[dict[str, str]], rows: int, seed: int, style: int = 0
) -> Iterator[dict[str, str]]:
    """A payment-level export of ``payees``: ``rows`` payments, each payee paid with a Zipf-like
    spread (a few vendors on most rows), under header ``style`` (``PAYMENT_HEADERS``; a
    ``+`` in a name column means the name is split over those two columns), with the noise such
    files carry: padded names and a placeholder where the city was not kept."""
    rng = random.Random(seed)
    header = PAYMENT_HEADERS[style % len(PAYMENT_HEADERS)]
    weights = [1 / (rank + 1) for rank in range(len(payees))]
    for i, payee in enumerate(rng.choices(payees, weights, k=rows)):
        out = {
            "Payment Date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
            "Department": rng.choice(DEPARTMENTS),
        }
        for field, column in header.items():
            value = payee[field]
            if field == "name" and rng.random() < 0.1:
                value += "  "  # fixed-width ERP fields
            elif field == "city" and not value:
                value = "UNASSIGNED"
            first, plus, second = column.partition("+")
            if plus:
                cut = value.rfind(" ", 0, NAME_FIELD_LIMIT + 1) if len(value) > NAME_FIELD_LIMIT else -1
                out[first], out[second] = (value[:cut], value[cut + 1 :]) if cut > 0 else (value, "")
            else:
                out[column] = value
        out["Amount"] = f"{rng.uniform(10, 20_000):.2f}"
        yield out
