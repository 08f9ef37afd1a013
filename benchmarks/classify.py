"""Screening + classification in-process: throughput per core, model load time, RSS.

    python benchmarks/classify.py [--repeat 3]

Screens and types every held-out name (agents/classification/model/heldout.csv) once on one core,
N times, each run in a freshly loaded screener and classifier with the name cache emptied, so no
run profits from an earlier one; prints the best and the median run (CPU time).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time

from measure import rss_mib


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    before = rss_mib()
    started = time.perf_counter()
    from payeeflow.agents.classification.artifacts import HELDOUT_FILE
    from payeeflow.agents.classification.logic import Classifier
    from payeeflow.agents.exclusion import Screener
    from payeeflow.agents.text import canonical_tokens

    Screener.from_file(), Classifier.load()
    load_s = time.perf_counter() - started
    loaded = rss_mib()
    with HELDOUT_FILE.open(newline="", encoding="utf-8") as fh:
        names = [row["name"] for row in csv.DictReader(fh)]

    def rate() -> float:
        """Payees/s of one core over every name, in fresh instances."""
        canonical_tokens.cache_clear()
        screener, classifier = Screener.from_file(), Classifier.load()
        cpu = time.process_time()
        for name in names:
            screener.screen("p", name)
            classifier.classify(name)
        return len(names) / (time.process_time() - cpu)

    rates = [rate() for _ in range(args.repeat)]
    peak = rss_mib(field="VmHWM")
    best, median = max(rates), statistics.median(rates)
    print(f"names: {len(names)} (held-out set), runs: {args.repeat}, one core")
    print(
        f"screening + classification: best {best:,.0f} payees/s per core ({1e6 / best:.1f} us/payee), "
        f"median {median:,.0f} ({1e6 / median:.1f} us/payee); runs: {', '.join(f'{r:,.0f}' for r in rates)}"
    )
    print(f"model load: {load_s * 1000:.0f} ms (imports, lexicon, model, keyword automaton)")
    print(f"RSS: {before:.0f} MiB before, {loaded:.0f} MiB loaded, peak {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
