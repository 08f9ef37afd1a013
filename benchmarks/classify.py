"""Screening + classification in-process: throughput per core, model load time, RSS.

    python benchmarks/classify.py [--repeat 3]

Runs over the held-out names (agents/classification/model/heldout.csv), one core, best of N.
"""

from __future__ import annotations

import argparse
import csv
import resource
import time

from measure import rss_mib


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    before = rss_mib()
    started = time.perf_counter()
    from agents.classification import Classifier
    from agents.classification.model_train import HELDOUT_FILE
    from agents.exclusion import Screener
    from agents.text import canonical_tokens

    screener, classifier = Screener.from_file(), Classifier.load()
    load_s = time.perf_counter() - started
    loaded = rss_mib()
    with HELDOUT_FILE.open(newline="", encoding="utf-8") as fh:
        names = [row["name"] for row in csv.DictReader(fh)]
    rates = []
    for _ in range(args.repeat):
        canonical_tokens.cache_clear()
        cpu = time.process_time()
        for name in names:
            screener.screen("p", name)
            classifier.classify(name)
        rates.append(len(names) / (time.process_time() - cpu))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"names: {len(names)} (held-out set), runs: {args.repeat}, one core")
    print(
        f"screening + classification: best {max(rates):,.0f} payees/s per core "
        f"({1e6 / max(rates):.1f} us/payee; runs: {', '.join(f'{r:,.0f}' for r in rates)})"
    )
    print(f"model load: {load_s * 1000:.0f} ms (imports, lexicon, model, keyword automaton)")
    print(f"RSS: {before:.0f} MiB before, {loaded:.0f} MiB loaded, peak {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
