"""A payment-level export through ``payeeflow process``: the shape real ERP files have (each
vendor repeated on many payments, their own headers, padded names, placeholders), as CSV and as
XLSX, against the same network.

    python benchmarks/payments.py [--rows 54354] [--vendors 2251] [--suppliers 50000]

Prints rows/s of each run, how many distinct payees the rows carried, and whether the CSV and the
XLSX got the same answers; with ``--processes 1`` runs a single process.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import SHARED_DATA

from payeeflow.agents.matching.synthetic import (
    generate_network,
    generate_payees,
    generate_payments,
    write_csv,
    write_workbook,
)

STAGE_COLUMNS = ("payee_type", "supplier_id", "match_type", "address_status", "payment_method")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=54_354)
    parser.add_argument("--vendors", type=int, default=2_251)
    parser.add_argument("--suppliers", type=int, default=50_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="payeeflow-payments-"))
    network, vendors = work / "network.csv", work / "vendors.csv"
    write_csv(generate_network(SHARED_DATA, args.suppliers, args.seed), network)
    write_csv(generate_payees(SHARED_DATA, network, args.vendors, args.seed), vendors)
    with vendors.open(newline="", encoding="utf-8") as fh:
        payees = list(csv.DictReader(fh))
    payments = work / "payments.csv"
    write_csv(generate_payments(payees, args.rows, args.seed), payments)
    write_workbook(payments, work / "payments.xlsx")
    with payments.open(newline="", encoding="utf-8") as fh:
        distinct = len({row["Vendor ID"] for row in csv.DictReader(fh)})
    print(f"{args.rows:,} payments of {distinct:,} distinct vendors, {args.suppliers:,} suppliers ({work})")

    answers = {}
    for name in ("payments.csv", "payments.xlsx"):
        out = work / f"{name}.out.csv"
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "payeeflow", "process", str(work / name), "--network", str(network),
             "-o", str(out), "--processes", str(args.processes)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        with out.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        answers[name] = [[row[c] for c in STAGE_COLUMNS] for row in rows]
        mapping = next(line for line in done.stderr.splitlines() if line.startswith("columns:"))
        print(f"process {name:14} {len(rows):,} rows in {seconds:5.1f}s = {len(rows) / seconds:8,.0f} rows/s"
              f" (network load included)  {mapping}")  # fmt: skip
    same = answers["payments.csv"] == answers["payments.xlsx"]
    print(f"CSV and XLSX answers identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
