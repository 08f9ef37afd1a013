"""The real payee names two readers typed (``data/types``, built by ``benchmarks/type_names.py``).

The set's development part is split once more, by a stable hash of the name's id: two thirds the
model learns from (``learn``), one third its confidence is calibrated and its review flag tuned
on (``calibrate``). The test parts are read by ``payeeflow model eval`` alone, never by training:
``test``; ``fresh``, drawn later since ``test`` was read after several models; ``sealed``, drawn
from names no model had looked at, since both were read in tuning rounds; ``sealed2``, drawn on
the same way once ``sealed`` had been read for two models. A test name
written as a development name is (``ARLINGTON, CITY OF``, ``ARLINGTON-CITY OF``) grades nothing:
the model learnt its answer.
Names drawn where the model was unsure (``boundary``, not at random) are only learnt from.
Names the readers typed UNKNOWN (petty cash, a lone ambiguous word) are no example of any class.
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

from payeeflow.agents.text import canonical
from payeeflow.errors import InputError

TYPES_DIR = Path(__file__).resolve().parents[2] / "data" / "types"
LABELS = TYPES_DIR / "labels.csv"
PARTS = ("learn", "calibrate", "dev", "test", "fresh", "sealed", "sealed2")
TESTS = ("test", "fresh", "sealed", "sealed2")
CLASSES = ("INDIVIDUAL", "BUSINESS", "GOVERNMENT")


def part_of(name_id: str, split: str) -> str:
    """A test part as it is; ``learn`` for a boundary name; which third of the development part
    for a development name. Any other split is refused rather than learnt from."""
    if split in TESTS:
        return split
    if split == "boundary":
        return "learn"
    if split == "dev":
        return "calibrate" if zlib.crc32(f"calibrate:{name_id}".encode()) % 3 == 0 else "learn"
    raise InputError(f"{LABELS}: name {name_id} has an unknown split {split!r}")


def typed_names(part: str, path: Path = LABELS) -> list[tuple[str, str]]:
    """(name, type) of one part (``dev``: learn and calibrate together), in the file's order."""
    if part not in PARTS:
        raise ValueError(f"no part {part!r}: one of {', '.join(PARTS)}")
    if not path.exists():
        raise InputError(f"{path}: the typed names are missing (they ship in a checkout, under data/types)")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] in CLASSES]
    named = [(r["name"], r["label"], part_of(r["name_id"], r["split"])) for r in rows]
    if part == "dev":
        return [(name, label) for name, label, at in named if at not in TESTS]
    if part in TESTS:
        learnt = {canonical(name) for name, _, at in named if at not in TESTS}
        return [(name, label) for name, label, at in named if at == part and canonical(name) not in learnt]
    return [(name, label) for name, label, at in named if at == part]
