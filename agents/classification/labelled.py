"""The real payee names two readers typed (``data/types``, built by ``benchmarks/type_names.py``).

The set's development part is split once more, by a stable hash of the name's id: two thirds the
model learns from (``learn``), one third its confidence is calibrated and its review flag tuned
on (``calibrate``). The test parts are read by ``payeeflow model eval`` alone, never by training:
``test``, and ``fresh``, drawn later since ``test`` was read after several models.
Names drawn where the model was unsure (``boundary``, not at random) are only learnt from.
Names the readers typed UNKNOWN (petty cash, a lone ambiguous word) are no example of any class.
"""

from __future__ import annotations

import csv
import zlib
from pathlib import Path

from payeeflow.errors import InputError

TYPES_DIR = Path(__file__).resolve().parents[2] / "data" / "types"
LABELS = TYPES_DIR / "labels.csv"
PARTS = ("learn", "calibrate", "dev", "test", "fresh")
TESTS = ("test", "fresh")
CLASSES = ("INDIVIDUAL", "BUSINESS", "GOVERNMENT")


def part_of(name_id: str, split: str) -> str:
    """A test part as it is; ``learn`` for a boundary name; else which third of the development part."""
    if split in TESTS:
        return split
    if split == "boundary":
        return "learn"
    return "calibrate" if zlib.crc32(f"calibrate:{name_id}".encode()) % 3 == 0 else "learn"


def typed_names(part: str, path: Path = LABELS) -> list[tuple[str, str]]:
    """(name, type) of one part (``dev``: learn and calibrate together), in the file's order."""
    if part not in PARTS:
        raise ValueError(f"no part {part!r}: one of {', '.join(PARTS)}")
    if not path.exists():
        raise InputError(f"{path}: the typed names are missing (they ship in a checkout, under data/types)")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] in CLASSES]
    return [
        (r["name"], r["label"])
        for r in rows
        if part_of(r["name_id"], r["split"]) == part or (part == "dev" and r["split"] not in TESTS)
    ]
