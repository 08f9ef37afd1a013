"""Soak benchmark against the running stack (``payeeflow stack up`` first).

Streams payees at a steady rate for a given time through the worker(s) and the sink on fresh
topics and, every ``--every`` seconds, prints each process's RSS and the end-to-end latency
(source timestamp to the row's commit) of the rows committed in that window. At the end it prints
the drift: RSS of the last sample against the first, and p95 latency of the last window against
the first. Flat RSS and flat latency are what "bounded memory" and "nothing stuck" look like.

    python benchmarks/soak.py --minutes 10 --rate 500 [--suppliers 50000] [--layout all|per-stage]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
from measure import SHARED_DATA, bench_settings, kafka_pid, percentile, rss_mib, start_pipeline, stop_pipeline

from payeeflow.agents.matching.synthetic import generate_network, generate_payees, write_csv
from payeeflow.connectors.files.ingest import IngestResult, ingest_file
from payeeflow.connectors.suppliers import load_suppliers
from payeeflow.streams.topics import create_topics

WINDOW_LATENCIES = """
SELECT extract(epoch FROM p.updated_at - p.source_ts) * 1000
  FROM batch_payees m JOIN payees p USING (payee_id)
 WHERE m.batch_id = %s AND p.updated_at > %s AND p.updated_at <= %s
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=500, help="payees per second")
    parser.add_argument("--every", type=float, default=30, help="seconds between samples")
    parser.add_argument("--suppliers", type=int, default=50_000)
    parser.add_argument("--layout", choices=["all", "per-stage"], default="all")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    settings = bench_settings("soak")
    work = Path(tempfile.mkdtemp(prefix="payeeflow-soak-"))
    count = int(args.rate * args.minutes * 60)
    network, payees = work / "network.csv", work / "payees.csv"
    write_csv(generate_network(SHARED_DATA, args.suppliers, args.seed), network)
    write_csv(generate_payees(SHARED_DATA, network, count, args.seed), payees)
    asyncio.run(create_topics(settings))
    asyncio.run(load_suppliers(settings, network, progress=False))
    procs = start_pipeline(settings, args.layout, work)
    pids = {name: proc.pid for name, proc in procs.items()}
    if (pid := kafka_pid()) is not None:
        pids["kafka (JVM)"] = pid
    print(
        f"{count:,} payees at {args.rate:,.0f}/s for {args.minutes:g} min,"
        f" {args.suppliers:,} suppliers ({work})"
    )

    result: list[IngestResult] = []
    batch_id = f"soak-{uuid.uuid4().hex[:8]}"
    feeder = threading.Thread(
        target=lambda: result.append(
            asyncio.run(ingest_file(settings, payees, batch_id, progress=False, rate=args.rate))
        )
    )
    names = list(pids)
    print(
        f"{'t (s)':>6} {'stored':>9} {'/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  "
        + "  ".join(f"{n[:14]:>14}" for n in names)
    )
    samples: list[tuple[dict[str, float], float]] = []
    try:
        with psycopg.connect(settings.dsn, autocommit=True) as conn:
            [(since,)] = conn.execute("SELECT clock_timestamp()").fetchall()
            started = time.monotonic()
            feeder.start()
            stored = 0
            while True:
                time.sleep(args.every)
                [(now,)] = conn.execute("SELECT clock_timestamp()").fetchall()
                window = sorted(float(r[0]) for r in conn.execute(WINDOW_LATENCIES, (batch_id, since, now)))
                since = now
                [(total,)] = conn.execute(
                    "SELECT count(*) FROM batch_payees WHERE batch_id = %s", (batch_id,)
                ).fetchall()
                rates = (total - stored) / args.every
                stored = total
                rss = {name: rss_mib(pid) for name, pid in pids.items()}
                p95 = percentile(window, 95) if window else float("nan")
                samples.append((rss, p95))
                figures = (
                    f"{percentile(window, 50):7.0f} {p95:7.0f} {percentile(window, 99):7.0f}"
                    if window
                    else f"{'-':>7} {'-':>7} {'-':>7}"
                )
                print(
                    f"{time.monotonic() - started:6.0f} {total:9,} {rates:6.0f} {figures}  "
                    + "  ".join(f"{rss[n]:10.0f} MiB" for n in names),
                    flush=True,
                )
                if not feeder.is_alive() and result and total >= result[0].produced:
                    break
                if time.monotonic() - started > args.minutes * 60 * 3 + 300:
                    print("gave up: the pipeline fell far behind the feed")
                    return 1
        first, last = samples[0], samples[-1]
        print(
            f"\ndrift over {len(samples)} samples"
            f" ({(len(samples) - 1) * args.every:.0f} s between the first and the last):"
        )
        for name in names:
            change = last[0][name] - first[0][name]
            print(f"  {name:28} RSS {first[0][name]:7.0f} -> {last[0][name]:7.0f} MiB ({change:+.0f} MiB)")
        print(f"  {'p95 latency':28} {first[1]:7.0f} -> {last[1]:7.0f} ms")
    finally:
        if feeder.ident is not None:  # started: let the feed finish before the topics go
            feeder.join()
        stop_pipeline(settings, procs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
