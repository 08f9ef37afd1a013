"""Screening + classification in-process: throughput per core, model load time, RSS.

    python benchmarks/classify.py [--repeat 3]

Runs over the held-out names (agents/classification/model/heldout.csv) on one core, best of N,
each run in a freshly loaded classifier, so its word caches start empty:

* cold: every held-out name once; most of their words are new to the process;
* steady state: typing half of the names (every other one) after the other half, as a worker
  does once it has seen other payees; no name repeats, only words do.
"""

from __future__ import annotations

import argparse
import csv
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

    Screener.from_file(), Classifier.load()
    load_s = time.perf_counter() - started
    loaded = rss_mib()
    with HELDOUT_FILE.open(newline="", encoding="utf-8") as fh:
        names = [row["name"] for row in csv.DictReader(fh)]

    def rate(warm: list[str], measured: list[str]) -> float:
        """Payees/s of one core over ``measured``, after ``warm`` went through the same instances."""
        canonical_tokens.cache_clear()
        screener, classifier = Screener.from_file(), Classifier.load()

        def both(name: str) -> None:
            screener.screen("p", name)
            classifier.classify(name)

        for name in warm:
            both(name)
        cpu = time.process_time()
        for name in measured:
            both(name)
        return len(measured) / (time.process_time() - cpu)

    cold = [rate([], names) for _ in range(args.repeat)]
    steady = [rate(names[i % 2 :: 2], names[1 - i % 2 :: 2]) for i in range(args.repeat)]
    peak = rss_mib(field="VmHWM")
    print(f"names: {len(names)} (held-out set), runs: {args.repeat}, one core")
    for label, rates in (("cold", cold), ("steady state", steady)):
        print(
            f"screening + classification, {label}: best {max(rates):,.0f} payees/s per core "
            f"({1e6 / max(rates):.1f} us/payee; runs: {', '.join(f'{r:,.0f}' for r in rates)})"
        )
    print(f"model load: {load_s * 1000:.0f} ms (imports, lexicon, model, keyword automaton)")
    print(f"RSS: {before:.0f} MiB before, {loaded:.0f} MiB loaded, peak {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
