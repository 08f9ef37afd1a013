"""The address step on real address lines: the shared sample (usaddress's labelled files and the
NCUA/OCC mailing addresses), one core.

    python benchmarks/addresses.py [--repeat 5] [--passes 7]

Prints lines/s with every line read once (cache cleared: each line costs what a new payee's
does; the median of several passes), then with each line ``--repeat`` times as payment files
have them, and the share of lines read without the CRF (the plain shapes
``agents/enrichment/address.py`` recognises).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time

from measure import SHARED_DATA

from payeeflow.agents.enrichment import address


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--passes", type=int, default=7, help="passes of each line once (median)")
    args = parser.parse_args()
    with (SHARED_DATA / "us_addresses_sample.csv").open(encoding="utf-8") as fh:
        payees = [
            {"address": row["address"], "city": None, "state": None, "zip": None}
            for row in csv.DictReader(fh)
        ]
    lines = [line for p in payees if (line := address._upper(p["address"]))]
    plain = sum(address._plain(line) is not None for line in lines)
    address.zip_table()  # loaded once a process, not a line's cost
    passes = []
    for _ in range(args.passes):  # a pass is ~0.15 s: the median of several
        address._read_line.cache_clear()
        started = time.process_time()
        for payee in payees:
            address.standardise_address(payee)
        passes.append(time.process_time() - started)
    once = statistics.median(passes)
    address._read_line.cache_clear()
    repeated = payees * args.repeat
    started = time.process_time()
    for payee in repeated:
        address.standardise_address(payee)
    again = time.process_time() - started
    print(f"{len(payees):,} real address lines ({len(set(lines)):,} distinct), one core, CPU time")
    print(f"read without the CRF: {plain / len(lines):.1%} of lines")
    per_line = once / len(payees) * 1e6
    print(
        f"each line once:       {len(payees) / once:10,.0f} lines/s ({per_line:.1f} µs a line,"
        f" median of {args.passes} passes)"
    )
    print(f"each line {args.repeat} times:    {len(repeated) / again:10,.0f} lines/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
