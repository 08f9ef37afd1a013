"""Network match on real payers' names, judged by two readers: the figures of issue 30's table.

    python benchmarks/match_real.py [--split test] [--misses misses.csv]

The network: the real names of ``data/matching/network.csv`` among generated suppliers, 483,227 in
all (``benchmarks/match_pairs.py``). Each query of ``data/matching/queries.csv`` is matched by name
alone, and its answer read against the readers' verdicts (``labels.csv``):

- *exact*: a query whose own spelling is a network name judged the same supplier;
- *variant*: a query judged the same supplier as a network name spelled otherwise; *found* when
  matched to it, or sent to review with it first;
- *look-alike*: a query whose near network names were all judged different suppliers;
- *absent*: a query with no network name near enough to judge (the network lacks it).

A query with a pair in doubt (a reader unsure, or the readers apart and not settled) and none
judged the same is left out. An answer naming a network name no reader judged for that query is
counted against the matcher and listed (``--unjudged``) for the readers' next round.
``--misses`` writes each wrong or missed query with its answer and candidates; it refuses the test
part, which tuning never reads.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from measure import SHARED_DATA

from payeeflow.agents.matching.labelled import SPLITS, Truth, fold, queries, write_network


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, outcome: str) -> None:
        self.counts[kind] += 1
        self.counts[f"{kind}:{outcome}"] += 1

    def share(self, kind: str, *outcomes: str) -> str:
        n = self.counts[kind]
        hit = sum(self.counts[f"{kind}:{o}"] for o in outcomes)
        return f"{hit / n:6.3f} ({hit}/{n})" if n else "     -"

    def render(self, title: str) -> str:
        c = self.counts
        total = sum(c[k] for k in ("exact", "variant", "look-alike", "absent"))
        reviewed = sum(c[f"{k}:review-right"] + c[f"{k}:review-wrong"] + c[f"{k}:review"]
                       for k in ("exact", "variant", "look-alike", "absent"))  # fmt: skip
        rows = [
            ("exact names", self.share("exact", "match-right")),
            (
                "real variants found (match or review first)",
                self.share("variant", "match-right", "review-right"),
            ),
            ("real variants matched without review", self.share("variant", "match-right")),
            ("real variants matched to another supplier", self.share("variant", "match-wrong")),
            ("false match on similar-but-different vendors", self.share("look-alike", "match-wrong")),
            ("false match on real names the network lacks", self.share("absent", "match-wrong")),
            ("payees sent to review", f"{reviewed / max(total, 1):6.3f} ({reviewed}/{total})"),
        ]
        lines = [f"== {title}: {total:,} queries", *(f"{label:<45}{figure}" for label, figure in rows)]
        return "\n".join(lines)


def outcome(answer: dict, truth: Truth) -> tuple[str, str | None]:
    """(outcome, the network name answered) of a match section against the readers' verdicts."""
    if answer["supplier_id"]:
        name = fold(answer["supplier_name"])
        return ("match-right" if name in truth.same else "match-wrong"), name
    if answer.get("candidate_id"):
        name = fold(answer["candidates"][0]["supplier_name"])
        return ("review-right" if name in truth.same else "review-wrong"), name
    return "none", None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=(*SPLITS, "all"), default="all", help="the parts to print")
    parser.add_argument(
        "--misses", type=Path, help="write dev and train queries not answered right without review"
    )
    parser.add_argument("--unjudged", type=Path, help="write (query, answer) pairs no reader judged")
    args = parser.parse_args()

    asked = queries()
    network = write_network(
        SHARED_DATA, Path(tempfile.mkdtemp(prefix="payeeflow-match-real-")) / "network.csv"
    )

    from payeeflow.agents.matching import Matcher

    started = time.perf_counter()
    matcher = Matcher.from_csv(network)
    print(f"network: {len(matcher.index):,} suppliers in {time.perf_counter() - started:.1f} s")

    tallies = {split: Tally() for split in SPLITS}
    by_source: dict[str, Tally] = defaultdict(Tally)
    left_out: Counter[str] = Counter()
    latencies: list[float] = []
    misses: list[dict[str, str]] = []
    unjudged: set[tuple[str, str]] = set()
    for query in asked:
        truth = query.truth
        what = truth.kind(query.name)
        if what is None:
            left_out[truth.split] += 1
            continue
        t = time.perf_counter()
        answer = matcher.match({"name": query.name})
        latencies.append(time.perf_counter() - t)
        result, name = outcome(answer, truth)
        if name and name not in truth.same | truth.different:
            unjudged.add((query.name, name))
        tallies[truth.split].add(what, result)
        if truth.split == (args.split if args.split != "all" else "test"):
            by_source[query.source].add(what, result)
        right = result == "match-right" or (result == "none" and what in ("look-alike", "absent"))
        if not right and truth.split != "test":
            misses.append({"split": truth.split, "source": query.source, "kind": what, "outcome": result,
                           "query": query.name, "same": " | ".join(sorted(truth.same)),
                           "answer": name or "", "review": answer.get("review") or "",
                           "candidates": json.dumps(answer["candidates"])})  # fmt: skip
    for split in ("test", "dev", "train") if args.split == "all" else (args.split,):
        print(tallies[split].render(f"{split} part"))
        print(f"left out in doubt: {left_out[split]}")
    for source, tally in sorted(by_source.items()):
        print(tally.render(f"{'test' if args.split == 'all' else args.split} part, {source}"))
    latencies.sort()
    ms = [latencies[int(p / 100 * (len(latencies) - 1))] * 1000 for p in (50, 95, 99)]
    print(f"latency ms  p50 {ms[0]:.3f}  p95 {ms[1]:.3f}  p99 {ms[2]:.3f} ({len(latencies):,} queries)")
    print(f"answers no reader judged: {len(unjudged)}")
    if args.misses:
        write(args.misses, misses)
    if args.unjudged:
        write(args.unjudged, [{"query": q, "candidate": c} for q, c in sorted(unjudged)])
    return 0


def write(path: Path, rows: list[dict[str, str]]) -> None:
    if not rows:
        print(f"{path}: nothing to write", file=sys.stderr)
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    raise SystemExit(main())
