"""Network match at production scale: recall, wrong and false matches, reviews, latency, build
time, RSS.

    python benchmarks/match.py [--suppliers 483227] [--queries 20000] [--unknown 5000] [--seed 1]
                               [--erp | --clerk]

Generates the network (``agents/matching/synthetic.py``), then payee queries from it, perturbed
the way AP files are (typos, legal-form swaps and drops, abbreviations, truncation to 22/35 characters, store
numbers, case and punctuation; 70 % with city/state), plus payees that are not in the network.
``--erp`` also wraps each query as ERP exports do (``synthetic.erp_noise``); ``--clerk``
writes each as clerks do instead (``clerks.py``: spacing, possessives, shortened words, cuts
anywhere, qualifiers, numbers as letters), half of them with a place.
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from clerks import distort
from measure import SHARED_DATA, rss_mib

from payeeflow.agents.generated_names import People
from payeeflow.agents.matching.normalize import match_key
from payeeflow.agents.matching.synthetic import (
    Vocab,
    erp_noise,
    generate_network,
    perturb,
    reserved_outsider,
    write_csv,
)


def rss_of_index(network: Path) -> str:
    """Build the index alone in this (fresh) process: what a match worker holds."""
    from payeeflow.agents.matching import Matcher

    before = rss_mib()
    started = time.perf_counter()
    matcher = Matcher.from_csv(network)
    elapsed = time.perf_counter() - started
    peak = rss_mib(field="VmHWM")
    return (
        f"{len(matcher.index):,} suppliers in {elapsed:.1f} s; process RSS {rss_mib():.0f} MiB "
        f"(interpreter + libraries {before:.0f} MiB), peak {peak:.0f} MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--suppliers", type=int, default=483_227)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--unknown", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--erp",
        action="store_true",
        help="wrap every query the way ERP exports do (remit-to/attention lines, cut + legal form, "
        "leading THE, plurals), half of them without a place",
    )
    parser.add_argument(
        "--clerk",
        action="store_true",
        help="write every query as clerks do (clerks.py), half without a place",
    )
    parser.add_argument("--rss-of", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_of:
        print(rss_of_index(args.rss_of))
        return 0
    network = Path(tempfile.mkdtemp(prefix="payeeflow-match-")) / "network.csv"
    write_csv(generate_network(SHARED_DATA, args.suppliers, args.seed), network)
    with network.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rng = random.Random(args.seed + 1)
    vocab = Vocab.load(SHARED_DATA)
    queries = []
    for supplier in rng.sample(rows, args.queries):
        query = {"name": perturb(supplier["name"], rng)}
        if args.erp:
            person = f"{rng.choice(vocab.first_names)} {rng.choice(vocab.surnames)}"
            query["name"] = erp_noise(query["name"], rng, person)
        elif args.clerk:
            query["name"] = distort(supplier["name"], rng, supplier["city"], supplier["state"])
        if rng.random() < (0.5 if args.erp or args.clerk else 0.7):
            query.update(city=supplier["city"], state=supplier["state"], zip=supplier["zip"])
        queries.append((query, supplier))
    keys = {match_key(r["name"]) for r in rows}
    outsiders = [c for c in vocab.companies if reserved_outsider(c) and match_key(c) not in keys]
    unknown = [{"name": perturb(rng.choice(outsiders), rng)} for _ in range(args.unknown // 2)]
    people = People.load(SHARED_DATA)
    unknown += [{"name": people.name(rng)} for _ in range(args.unknown - len(unknown))]
    same_key = Counter(match_key(r["name"]) for r in rows)
    del vocab, people, keys, outsiders, rows  # half a million dicts the collector would walk while timing
    gc.collect()

    from payeeflow.agents.matching import Matcher

    build = subprocess.run(
        [sys.executable, __file__, "--rss-of", str(network)], capture_output=True, text=True, check=True
    ).stdout.strip()
    started = time.perf_counter()
    matcher = Matcher.from_csv(network)
    build_s = time.perf_counter() - started

    latencies: list[float] = []
    reviewed = namesakes = 0
    tally: Counter[tuple[bool, str]] = Counter()  # (whether the name names several, outcome)
    for query, truth in queries:
        t = time.perf_counter()
        result = matcher.match(query)
        latencies.append(time.perf_counter() - t)
        reviewed += result["match_type"] == "review" and result["candidate_id"] == truth["supplier_id"]
        # a chain's places or same-key siblings, and no place given: the name names several
        several = "state" not in query and same_key[match_key(truth["name"])] > 1
        if result["supplier_id"] == truth["supplier_id"]:
            outcome = "correct"
        elif result["supplier_id"] is None:
            outcome = "refused"
        elif several and result["supplier_name"] == truth["name"]:
            outcome = "sibling"  # another place of its very name
        else:
            outcome = "wrong"
            # the clerk's name is also another supplier's key (ACME PRINTING, truth ACME PRINTING LLC)
            namesakes += several and match_key(result["supplier_name"]) == match_key(truth["name"])
        tally[several, outcome] += 1
    blocked = sum(truth["supplier_id"] in matcher.candidates(query["name"]) for query, truth in queries)
    false_match = sent_to_review = 0
    for query in unknown:
        t = time.perf_counter()
        result = matcher.match(query)
        latencies.append(time.perf_counter() - t)
        false_match += result["supplier_id"] is not None
        sent_to_review += result["match_type"] == "review"
    latencies.sort()
    ms = [latencies[int(p / 100 * (len(latencies) - 1))] * 1000 for p in (50, 95, 99)]
    n = len(queries)
    print(f"network: {args.suppliers:,} suppliers; queries: {n:,} in the network, {len(unknown):,} not")
    one = sum(count for (several, _), count in tally.items() if not several)
    correct = tally[False, "correct"] + tally[True, "correct"]
    wrong = tally[False, "wrong"] + tally[True, "wrong"]
    share = {
        outcome: f"{tally[True, outcome] / n:.2%}" for outcome in ("correct", "sibling", "refused", "wrong")
    }
    print(
        f"recall@1         {correct / n:7.2%} of all; "
        f"{tally[False, 'correct'] / one:.2%} of the {one:,} that name one supplier"
    )
    print(
        f"name several     {(n - one) / n:7.2%}  (same key at several suppliers, query without place): "
        f"{share['correct']} the very one, {share['sibling']} another place of its name, "
        f"{share['refused']} none or review, {share['wrong']} another"
    )
    print(f"refused          {tally[False, 'refused'] / n:7.2%}  (one supplier named, but none returned)")
    print(
        f"found            {(correct + reviewed) / n:7.2%}  of all: matched, or sent to review with it first "
        f"({reviewed / n:.2%} of all)"
    )
    print(f"candidate recall {blocked / n:7.2%}  (the true supplier among the rows scored)")
    print(
        f"wrong supplier   {wrong / n:7.2%}  ({namesakes / n:.2%} of all: another supplier of the same "
        "key, query without place)"
    )
    print(f"false match      {false_match / len(unknown):7.2%}  (payees not in the network)")
    print(f"review           {sent_to_review / len(unknown):7.2%}  of the payees not in the network")
    print(f"latency ms       p50 {ms[0]:.3f}  p95 {ms[1]:.3f}  p99 {ms[2]:.3f}")
    print(f"build            {build_s:.1f} s in this process (read CSV + index)")
    print(f"memory           {build}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
