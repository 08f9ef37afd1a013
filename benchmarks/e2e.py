"""End-to-end benchmark against the running stack (``payeeflow stack up`` first).

Generates a supplier network and N payees (default 100,000), starts the stage worker(s) and the
sink on fresh topics, ingests the payees and waits for the last row to commit. Prints payees/s
from the first produce to the last committed row, p50/p95/p99 of per-record latency (source
timestamp to the row's write in the sink's transaction), the CPU each process (workers, sink,
broker, PostgreSQL) spent a payee, and the peak RSS (VmHWM) of every process.

    python benchmarks/e2e.py --count 100000 --suppliers 50000 [--layout all|per-stage] [--rate 1000]
        [--card-network off|fast|slow|held|failing] [--address-validation off|fast|failing]
        [--providers worker|process]

With a provider on, the throughput is the first versions' (what payees not waiting for it see);
the later versions are waited for and counted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from measure import (
    SHARED_DATA,
    bench_settings,
    cpu_seconds,
    kafka_pid,
    percentile,
    postgres_pids,
    rss_mib,
    start_pipeline,
    stop_pipeline,
)

from payeeflow.agents.matching.synthetic import (
    generate_network,
    generate_payees,
    generate_payments,
    write_csv,
)
from payeeflow.config import Settings
from payeeflow.connectors.files.ingest import ingest_file
from payeeflow.connectors.suppliers import load_suppliers
from payeeflow.streams.topics import create_topics

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--suppliers", type=int, default=50_000)
    parser.add_argument(
        "--layout",
        choices=["all", "per-stage"],
        default="all",
        help="one worker with every stage, or one worker process per stage",
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes of each stage set")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rate", type=float, help="ingest at this many payees/s (latency below saturation)")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument(
        "--payments",
        type=int,
        help="ingest a payment-level export of this many rows carrying the --count payees instead",
    )
    parser.add_argument(
        "--card-network",
        choices=("off", "fast", "slow", "held", "failing"),
        default="off",
        help="the card network's search against the local fake: answering at once, slow (2 s a "
        "request, 3 polls PENDING), held (every job PENDING until the run ends: the old system's "
        "25-minute search), or failing (503); businesses the network does not know wait for it",
    )
    parser.add_argument(
        "--address-validation",
        choices=("off", "fast", "failing"),
        default="off",
        help="address validation against the local fake, answering at once or failing (503); "
        "every payee with an address waits for it",
    )
    parser.add_argument(
        "--providers",
        choices=("worker", "process"),
        default="worker",
        help="where the slow providers' jobs are advanced: in the enrichment worker, or in a "
        "process of their own (PAYEEFLOW_PROVIDERS_PROCESS)",
    )
    args = parser.parse_args()

    settings = bench_settings("bench")
    work = Path(tempfile.mkdtemp(prefix="payeeflow-bench-"))
    network, payees = work / "network.csv", work / "payees.csv"
    started = time.perf_counter()
    write_csv(generate_network(SHARED_DATA, args.suppliers, args.seed), network)
    write_csv(generate_payees(SHARED_DATA, network, args.count, args.seed), payees)
    if args.payments:  # the same payees as a payment-level export: each on many rows
        with payees.open(newline="", encoding="utf-8") as fh:
            distinct = list(csv.DictReader(fh))
        payees = work / "payments.csv"
        write_csv(generate_payments(distinct, args.payments, args.seed), payees)
    print(
        f"generated {args.suppliers} suppliers and {args.count} payees"
        f" in {time.perf_counter() - started:.1f}s ({work})"
    )

    asyncio.run(create_topics(settings))
    asyncio.run(load_suppliers(settings, network, progress=False))
    fake, card_env = card_network(args.card_network, work)
    checker, address_env = address_validation(args.address_validation)
    apart = {"PAYEEFLOW_PROVIDERS_PROCESS": "true"} if args.providers == "process" else {}
    procs = start_pipeline(settings, args.layout, work, args.workers, card_env | address_env | apart)
    try:
        print(f"workers ready ({args.layout}); ingesting")
        clock_offset = time.time() - time.monotonic()
        watched = {name: [proc.pid] for name, proc in procs.items()}
        if (broker := kafka_pid()) is not None:
            watched["kafka broker (JVM)"] = [broker]
        cpu_before = {pid: cpu_seconds(pid) for pids in watched.values() for pid in pids}
        cpu_before |= {pid: cpu_seconds(pid) for pid in postgres_pids()}
        t_ingest = time.perf_counter()
        own_before = time.process_time()  # this process: the ingest, and the fake providers' servers
        result = asyncio.run(ingest_file(settings, payees, progress=False, rate=args.rate))
        ingest_s = time.perf_counter() - t_ingest
        print(
            f"ingest: {result.produced} records in {ingest_s:.1f}s ({result.produced / ingest_s:,.0f}/s)"
            + (f", {result.repeats:,} repeated rows folded into them" if result.repeats else "")
        )
        with psycopg.connect(settings.dsn, autocommit=True) as conn:
            deadline = time.monotonic() + args.timeout
            while True:
                [(stored, dead)] = conn.execute(
                    "SELECT count(*) FILTER (WHERE outcome = 'stored'),"
                    " count(*) FILTER (WHERE outcome = 'dead_letter')"
                    " FROM batch_payees WHERE batch_id = %s",
                    (result.batch_id,),
                ).fetchall()
                if stored + dead >= result.produced:
                    t_done = time.perf_counter()
                    own_used = time.process_time() - own_before
                    watched["postgresql (all processes)"] = postgres_pids()
                    cpu_used = {
                        name: sum(cpu_seconds(pid) - cpu_before.get(pid, 0.0) for pid in pids)
                        for name, pids in watched.items()
                    }
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"timed out with {stored}/{result.produced} stored; see {work}")
                time.sleep(0.2)
            rows = conn.execute(
                "SELECT extract(epoch FROM updated_at - source_ts) FROM payees WHERE batch_id = %s",
                (result.batch_id,),
            ).fetchall()
            [(first, last)] = conn.execute(
                "SELECT min(source_ts), max(updated_at) FROM payees WHERE batch_id = %s", (result.batch_id,)
            ).fetchall()
        step = time.time() - time.monotonic() - clock_offset
        latencies = sorted(float(r[0]) * 1000 for r in rows)
        elapsed = (last - first).total_seconds()
        observed = t_done - t_ingest
        print(
            f"\nobserved by this process (monotonic clock): {result.produced / observed:,.0f} payees/s"
            f" ({observed:.1f}s from ingest start until the last row was seen, polling every 0.2s)"
        )
        if abs(step) > 0.2:
            print(
                f"WALL CLOCK STEPPED by {step:+.1f}s during the run: timestamp-based figures below are void"
            )
        print(
            f"\nend to end: {result.produced:,} payees ({stored:,} stored, {dead} dead-lettered) in "
            f"{elapsed:.1f}s = {result.produced / elapsed:,.0f} payees/s"
            " (first produce -> last committed row)"
        )
        print(
            f"latency per record (source_ts -> updated_at), ms: p50 {percentile(latencies, 50):,.0f}  "
            f"p95 {percentile(latencies, 95):,.0f}  p99 {percentile(latencies, 99):,.0f}  "
            f"max {latencies[-1]:,.0f}"
        )
        cores = os.cpu_count() or 1
        budget = cores * 1e6 / (result.produced / observed)  # µs of CPU per payee at the rate seen
        print(
            f"CPU a payee, ingest start to the last row ({cores} cores give {budget:,.0f} µs at this rate):"
        )
        for name, seconds in cpu_used.items():
            print(f"  {name:28} {seconds / result.produced * 1e6:7.0f} µs")
        total = sum(cpu_used.values()) / result.produced * 1e6
        print(f"  {'all of them':28} {total:7.0f} µs")
        print(
            f"  {'this process':28} {own_used / result.produced * 1e6:7.0f} µs"
            " (the ingest" + (", the fake providers' servers)" if fake or checker else ")")
        )
        print("peak RSS (VmHWM):")
        for name, proc in procs.items():
            print(f"  {name:28} {rss_mib(proc.pid, 'VmHWM'):7.0f} MiB")
        if (pid := kafka_pid()) is not None:
            print(f"  {'kafka broker (JVM)':28} {rss_mib(pid, 'VmHWM'):7.0f} MiB")
        if fake is not None and fake.hold:
            print(f"\nproviders: {len(fake.submissions):,} bulk searches held PENDING, as asked")
        elif fake is not None or checker is not None:
            settle_providers(settings, result.batch_id, t_ingest, args.timeout, fake)
    finally:
        stop_pipeline(settings, procs)
        for server in (fake, checker):
            if server is not None:
                server.stop()
    return 0


def card_network(mode: str, work: Path) -> tuple[Any, dict[str, str]]:
    """The local fake card network in ``mode`` (``tests/fakes``), and the worker settings that
    point at it."""
    if mode == "off":
        return None, {}
    sys.path.insert(0, str(ROOT))
    from tests.fakes.cardnetwork_server import FakeCardNetwork

    fake = FakeCardNetwork(work).start()
    fake.reset(pending_polls=3 if mode == "slow" else 0, hold=mode == "held")
    fake.delay = 2.0 if mode == "slow" else 0.0
    fake.failing = mode == "failing"
    return fake, {
        "PAYEEFLOW_CARD_NETWORK_ENABLED": "true",
        "PAYEEFLOW_CARD_NETWORK_URL": fake.base_url,
        "PAYEEFLOW_CARD_NETWORK_CONSUMER_KEY": "bench",
        "PAYEEFLOW_CARD_NETWORK_SIGNING_KEY_FILE": str(fake.key_file),
        "PAYEEFLOW_CARD_NETWORK_POLL_SECONDS": "1",
        "PAYEEFLOW_CARD_NETWORK_RETRIES": "1",
        "PAYEEFLOW_CARD_NETWORK_DAILY_BUDGET": "1000000",
    }


def address_validation(mode: str) -> tuple[Any, dict[str, str]]:
    """The local fake Address Validation server in ``mode``, and the worker settings that point
    at it (a rate and concurrency the fake can take)."""
    if mode == "off":
        return None, {}
    sys.path.insert(0, str(ROOT))
    from tests.fakes.address_server import API_KEY, FakeAddressValidation

    fake = FakeAddressValidation().start()
    fake.reset(failing=mode == "failing")
    return fake, {
        "PAYEEFLOW_ADDRESS_VALIDATION_ENABLED": "true",
        "PAYEEFLOW_ADDRESS_VALIDATION_URL": fake.base_url,
        "PAYEEFLOW_ADDRESS_VALIDATION_API_KEY": API_KEY,
        "PAYEEFLOW_ADDRESS_VALIDATION_RETRIES": "1",
        "PAYEEFLOW_ADDRESS_VALIDATION_RATE": "5000",
        "PAYEEFLOW_ADDRESS_VALIDATION_CONCURRENCY": "32",
        "PAYEEFLOW_ADDRESS_VALIDATION_DAILY_BUDGET": "1000000",
        "PAYEEFLOW_CARD_NETWORK_POLL_SECONDS": "1",
    }


def settle_providers(settings: Settings, batch_id: str, t_ingest: float, timeout: float, fake: Any) -> None:
    """Wait for every payee's last version; print how long the providers' answers took."""
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        deadline = time.monotonic() + timeout
        while True:
            [(pending,)] = conn.execute(
                "SELECT count(*) FILTER (WHERE cardinality(providers_pending) > 0)"
                " FROM payees WHERE batch_id = %s",
                (batch_id,),
            ).fetchall()
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        outcomes = conn.execute(
            "SELECT 'card network ' || (card_network->>'outcome') FROM payees WHERE batch_id = %(b)s"
            " AND card_network IS NOT NULL UNION ALL SELECT 'address validation ' ||"
            " (address_validation->>'outcome') FROM payees WHERE batch_id = %(b)s"
            " AND address_validation IS NOT NULL",
            {"b": batch_id},
        ).fetchall()
    counted = Counter(kind for (kind,) in outcomes)
    searches = f" in {len(fake.submissions):,} bulk searches" if fake is not None else ""
    print(
        f"\nproviders: {pending:,} payees still pending {time.perf_counter() - t_ingest:.1f}s after ingest"
        f" start{searches}; " + ", ".join(f"{kind} {n:,}" for kind, n in sorted(counted.items()))
    )


if __name__ == "__main__":
    raise SystemExit(main())
