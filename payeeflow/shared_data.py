"""Reading the shared data folder (``../shared/data`` beside a checkout) that training and the
generators take as an argument: the package never guesses where it is."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path


def rows(path: Path) -> Iterator[dict[str, str]]:
    """The rows of one of its CSV files, one at a time."""
    with path.open(newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def may_be_a_person(row: dict[str, str]) -> bool:
    """A ``company_names_combined.csv`` row from the Chicago licence list: that list holds sole
    proprietors' own names too, so such a name is a firm only when it carries a legal form."""
    return row["source_file"].startswith("payee_names_chicago")
