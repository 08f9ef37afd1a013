"""The ZIP table the address step checks city and state against: ZIP -> state, USPS city and the
other city names USPS accepts for it.

Built from the ``zipcodes`` package (MIT; USPS ZIP data) by ``python -m
payeeflow.agents.enrichment.zip_table`` into a small committed file, because the package itself
gives the table only as 42,789 dicts (140 MiB in every worker) or by a linear scan (0.3 ms a ZIP).
"""

from __future__ import annotations

import gzip
import sys
from functools import cache
from pathlib import Path
from typing import NamedTuple

TABLE_FILE = Path(__file__).parent / "data" / "zip_codes.tsv.gz"


class Zip(NamedTuple):
    state: str
    city: str  # USPS's preferred name, upper case
    also: tuple[str, ...]  # other city names USPS accepts for the ZIP

    def accepts(self, city: str) -> bool:
        return city == self.city or city in self.also


@cache
def zip_table() -> dict[str, Zip]:
    """Every active ZIP (about 16 MiB in memory), read once per process."""
    table = {}
    with gzip.open(TABLE_FILE, "rt", encoding="utf-8") as fh:
        for line in fh:
            zip5, state, city, also = line.rstrip("\n").split("\t")
            also_names = tuple(map(sys.intern, also.split("|"))) if also else ()
            table[zip5] = Zip(sys.intern(state), sys.intern(city), also_names)
    return table


def build(path: Path = TABLE_FILE) -> int:
    """Write the table from the ``zipcodes`` package; returns the number of ZIPs."""
    from zipcodes import _zipcodes  # build time only (the package is a dev dependency)

    rows = sorted(
        (z["zip_code"], z["state"], z["city"].upper(), "|".join(c.upper() for c in z["acceptable_cities"]))
        for z in _zipcodes.list_all()
        if z["active"]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(path, "wb", mtime=0) as raw:  # no timestamp: the same table, the same bytes
        raw.write("".join("\t".join(row) + "\n" for row in rows).encode())
    return len(rows)


if __name__ == "__main__":
    print(f"{build()} ZIPs -> {TABLE_FILE}")
