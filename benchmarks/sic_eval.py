"""SIC codes from names, on labeled samples built from the shared data.

    python benchmarks/sic_eval.py [--data ../shared/data]

Truth comes from the sources themselves: NCUA credit unions and OCC national banks are
depository institutions (SIC major group 60: 6021 national banks, 6061 federal / 6062 state credit
unions); .gov registrants are public administration (SIC division J, 91-97). Trade names (surname +
trade word) check the trade words AP files carry most; their expected codes are the SIC manual's.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from measure import SHARED_DATA

from payeeflow.agents.classification.logic import Classifier

TRADE_SIC = {
    "PLUMBING": "1711",
    "ROOFING": "1761",
    "ELECTRIC": "1731",
    "ELECTRICAL CONTRACTORS": "1731",
    "LANDSCAPING": "0781",
    "PAINTING": "1721",
    "CONCRETE": "1771",
    "TRUCKING": "4212",
    "PRINTING": "2752",
    "CATERING": "5812",
    "DENTAL GROUP": "8021",
    "LAW OFFICE": "8111",
    "ACCOUNTING": "8721",
    "PEST CONTROL": "7342",
    "STAFFING": "7363",
    "ENGINEERING": "8711",
    "TOWING": "7549",
    "FLORIST": "5992",
    "PHARMACY": "5912",
    "FUNERAL HOME": "7261",
    "SECURITY SERVICES": "7381",
    "JANITORIAL": "7349",
    "AUTO REPAIR": "7538",
    "CONSULTING": "8742",
    "BAKERY": "5461",
    "HARDWARE": "5251",
    "TRAVEL": "4724",
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    args = parser.parse_args()
    classifier = Classifier.load()
    rng = random.Random(7)
    with (args.data / "us_financial_institutions.csv").open(newline="", encoding="utf-8") as fh:
        banks = [
            (
                r["display_name"],
                {"national_bank": "6021", "federal": "6061", "state": "6062"}.get(
                    r["charter_type"] if r["institution_type"] == "credit_union" else "national_bank", "60"
                ),
            )
            for r in csv.DictReader(fh)
        ]
    with (args.data / "us_government_entities_dotgov.csv").open(newline="", encoding="utf-8") as fh:
        governments = [r["organization_name"] for r in csv.DictReader(fh)]
    with (args.data / "us_surnames_census1990.csv").open(newline="", encoding="utf-8") as fh:
        surnames = [r["surname"] for r in csv.DictReader(fh) if int(r["rank"]) <= 3000]
    samples = {
        "depository institutions (major group 60)": [(n, c) for n, c in rng.sample(banks, 1000)],
        "government bodies (division J, 91-97)": [(n, "9") for n in rng.sample(governments, 1000)],
        "trade names (SIC manual code)": [
            (f"{rng.choice(surnames)} {trade} {rng.choice(('INC', 'LLC', ''))}".strip(), code)
            for trade, code in TRADE_SIC.items()
            for _ in range(20)
        ],
    }
    print(f"{'sample':44} {'n':>5} {'any code':>9} {'group ok':>9} {'exact':>7}")
    for title, rows in samples.items():
        coded = group = exact = 0
        for name, truth in rows:
            code = classifier.classify(name)["sic_code"] or ""
            coded += bool(code)
            group += code[: min(2, len(truth))] == truth[:2] if len(truth) > 1 else code.startswith(truth)
            exact += code == truth
        n = len(rows)
        exact_txt = f"{exact / n:7.1%}" if any(len(t) == 4 for _, t in rows) else "      -"
        print(f"{title:44} {n:5d} {coded / n:9.1%} {group / n:9.1%} {exact_txt}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
