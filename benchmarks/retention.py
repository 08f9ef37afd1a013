"""Retention on a million old rows while the pipeline runs: does the sink slow down?

On the running stack (``payeeflow stack up`` first), in a database of its own: fills it with
``--old-rows`` rows older than every retention setting (finished batches' members, dead letters,
the name-change log, the audit log, job runs, uploads: ``generate_series``, in seconds), starts a
fused worker and the sink, and ingests ``--count`` payees three times: before retention, while
``payeeflow retention`` runs (started with the ingest), and after it, as a control. Each round
prints payees/s end to end (first produce to last committed row, as ``e2e.py`` measures it),
p99 latency, and the sink's transactions (its flushes) as ``pg_stat_activity`` shows them every
10 ms: their count, p99 and longest, and how often the sink was seen waiting for a lock (and for
one retention held). Then retention's time, rows deleted and longest transaction (its own clock
and the sampler's), each round's commits in the seconds retention ran, and the autovacuums since.

    flock /tmp/payeeflow-bench.lock python benchmarks/retention.py --count 100000 --suppliers 50000
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from measure import SHARED_DATA, bench_settings, percentile, start_pipeline, stop_pipeline

from payeeflow.agents.matching.synthetic import generate_network, generate_payees, write_csv
from payeeflow.config import Settings
from payeeflow.connectors.database.retention import APPLICATION
from payeeflow.connectors.files.ingest import IngestResult, ingest_file
from payeeflow.connectors.suppliers import load_suppliers
from payeeflow.streams.topics import create_topics

# Each table's share of the old rows, and their age: older than every default setting.
FILL = """
INSERT INTO batches (batch_id, source, total, rejected, rows, started_at, finished_at)
SELECT 'old-' || b, 'bench', %(members)s, 0, %(members)s, now() - interval '60 days 1 hour',
       now() - interval '60 days'
  FROM generate_series(1, %(batches)s) b;
INSERT INTO batch_payees (batch_id, payee_id, outcome, version, name, address, city, state, zip,
                          excluded, payee_type, confidence, reason, match_type, updated_at)
SELECT 'old-' || b, 'OLD' || b || '-' || p, CASE WHEN p %% 50 = 0 THEN 'dead_letter' ELSE 'stored' END,
       1, 'PAYEE ' || md5(b || '-' || p), p || ' MAIN ST', 'SPRINGFIELD', 'IL', '62701', false,
       'BUSINESS', 0.9, 'bench row', 'none', now() - interval '60 days'
  FROM generate_series(1, %(batches)s) b, generate_series(1, %(members)s) p;
INSERT INTO dead_letters (cluster_id, topic, partition, "offset", stage, reason, error, payee_id,
                          batch_id, key, payload, failed_at, replayed_at)
SELECT 'bench', 'payees.raw', g %% 6, g, 'classification', 'bench_' || g %% 5, 'an old error',
       'DL' || g, 'old-' || (g %% %(batches)s + 1), convert_to('DL' || g, 'UTF8'),
       decode(repeat(md5(g::text), 10), 'hex'), now() - interval '45 days' - g * interval '1 s',
       CASE WHEN g %% 10 = 0 THEN now() - interval '10 days' END
  FROM generate_series(1, %(letters)s) g;
INSERT INTO payee_name_changes (payee_id, name, changed_at)
SELECT 'NC' || g, 'OLD NAME ' || g, now() - interval '3 days' FROM generate_series(1, %(changes)s) g;
INSERT INTO audit_log (at, actor, action, target, detail)
SELECT now() - interval '400 days' - g * interval '1 s', 'cli', 'bench.old', 'x' || g, '{}'
  FROM generate_series(1, %(audit)s) g;
INSERT INTO job_runs (job, started_at, finished_at, outcome, counts)
SELECT 'bench-' || g %% 3, now() - interval '100 days', now() - interval '100 days' + g * interval '1 ms',
       'ok', '{"n": 1}' FROM generate_series(1, %(runs)s) g;
INSERT INTO uploads (batch_id, key_id, source, bytes, received_at, ingested_at, alive_at)
SELECT 'up-' || g, 'bench', 'old.csv', 1000, now() - interval '40 days', now() - interval '40 days',
       now() - interval '40 days' FROM generate_series(1, %(uploads)s) g;
"""
MEMBERS = 5000  # a batch's payees


def fill(dsn: str, rows: int) -> dict[str, int]:
    """``rows`` old rows across the tables retention deletes from, vacuumed and analysed as
    autovacuum would have left them; returns each table's count."""
    batches = max(1, rows * 60 // 100 // MEMBERS)
    shares = {
        "members": MEMBERS,
        "batches": batches,
        "letters": rows * 20 // 100,
        "changes": rows * 10 // 100,
        "audit": rows * 5 // 100,
        "runs": rows * 3 // 100,
        "uploads": rows - batches * MEMBERS - rows * 38 // 100,
    }
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in FILL.split(";\n")[:-1]:  # one at a time: a statement with parameters is prepared
            conn.execute(statement, shares)
        for table in (
            "batches",
            "batch_payees",
            "dead_letters",
            "payee_name_changes",
            "audit_log",
            "job_runs",
            "uploads",
        ):
            conn.execute(f"VACUUM ANALYZE {table}")
    return {
        "batch_payees": batches * MEMBERS,
        "dead_letters": shares["letters"],
        "payee_name_changes": shares["changes"],
        "audit_log": shares["audit"],
        "job_runs": shares["runs"],
        "uploads": shares["uploads"],
    }


@dataclass
class Transactions:
    """Transactions seen open in ``pg_stat_activity``, by kind: (pid, start) -> longest seen open."""

    seen: dict[str, dict[tuple[int, datetime], float]] = field(
        default_factory=lambda: {"sink": {}, "retention": {}}
    )
    sink_pids: set[int] = field(default_factory=set)
    retention_pids: set[int] = field(default_factory=set)
    sink_samples: int = 0  # the sink's backend seen in a transaction
    sink_waiting: int = 0  # …waiting for a lock
    sink_waiting_for_retention: int = 0  # …held by retention's backend

    def durations(self, kind: str) -> list[float]:
        return sorted(self.seen[kind].values())


class Sampler(threading.Thread):
    """Reads ``pg_stat_activity`` every ``every`` seconds: the sink's backend is the one whose
    statements name ``payees_in`` or ``sink_offsets``; retention's, by its application name."""

    def __init__(self, dsn: str, every: float = 0.01) -> None:
        super().__init__(daemon=True)
        self.dsn = dsn
        self.every = every
        self.stopping = threading.Event()
        self.found = Transactions()

    def run(self) -> None:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not self.stopping.is_set():
                for pid, started, open_for, query, app, blockers in conn.execute(
                    "SELECT pid, xact_start, extract(epoch FROM clock_timestamp() - xact_start), query,"
                    " application_name, CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) END"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND xact_start IS NOT NULL AND pid <> pg_backend_pid()"
                ).fetchall():
                    if "payees_in" in query or "sink_offsets" in query:
                        self.found.sink_pids.add(pid)
                    if app == APPLICATION:
                        self.found.retention_pids.add(pid)
                    if pid in self.found.sink_pids:
                        self.found.sink_samples += 1
                        self.found.sink_waiting += blockers is not None
                        self.found.sink_waiting_for_retention += bool(
                            set(blockers or ()) & self.found.retention_pids
                        )
                    kind = (
                        "retention" if app == APPLICATION else "sink" if pid in self.found.sink_pids else None
                    )
                    if kind is not None:
                        seen = self.found.seen[kind]
                        seen[(pid, started)] = max(seen.get((pid, started), 0.0), float(open_for))
                time.sleep(self.every)

    def stop(self) -> Transactions:
        self.stopping.set()
        self.join()
        return self.found


@dataclass
class Round:
    name: str
    payees_per_second: float
    p99_ms: float
    sink: list[float]  # its transactions' durations seen, seconds
    waits: tuple[int, int, int]  # the sink seen in a transaction, waiting for a lock, held by retention
    retention: list[float]
    seconds: float  # first produce to last committed row
    batch_id: str
    first: datetime  # its first produce


def run_round(settings: Settings, name: str, payees: Path, timeout: float) -> Round:
    """Ingest ``payees`` and wait for its last row; what the round measured."""
    sampler = Sampler(settings.dsn)
    sampler.start()
    result: IngestResult = asyncio.run(ingest_file(settings, payees, progress=False))
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        deadline = time.monotonic() + timeout
        while True:
            [(done,)] = conn.execute(
                "SELECT count(*) FROM batch_payees WHERE batch_id = %s", (result.batch_id,)
            ).fetchall()
            if done >= result.produced:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{name}: timed out with {done}/{result.produced} stored")
            time.sleep(0.2)
        found = sampler.stop()
        [(first, last)] = conn.execute(
            "SELECT min(source_ts), max(updated_at) FROM payees WHERE batch_id = %s", (result.batch_id,)
        ).fetchall()
        latencies = sorted(
            float(r[0]) * 1000
            for r in conn.execute(
                "SELECT extract(epoch FROM updated_at - source_ts) FROM payees WHERE batch_id = %s",
                (result.batch_id,),
            ).fetchall()
        )
    elapsed = (last - first).total_seconds()
    return Round(
        name,
        result.produced / elapsed,
        percentile(latencies, 99),
        found.durations("sink"),
        (found.sink_samples, found.sink_waiting, found.sink_waiting_for_retention),
        found.durations("retention"),
        elapsed,
        result.batch_id,
        first,
    )


def committed_in(dsn: str, round_: Round, start: timedelta, end: timedelta) -> float:
    """Payees/s of ``round_`` committed from ``start`` to ``end`` after its first produce."""
    with psycopg.connect(dsn) as conn:
        [(count,)] = conn.execute(
            "SELECT count(*) FROM payees WHERE batch_id = %s AND updated_at >= %s AND updated_at < %s",
            (round_.batch_id, round_.first + start, round_.first + end),
        ).fetchall()
    return float(count) / (end - start).total_seconds()


def prefixed(source: Path, target: Path, prefix: str) -> Path:
    """The payees of ``source`` under ids of their own, so each round stores new payees."""
    with (
        source.open(newline="", encoding="utf-8") as fh,
        target.open("w", newline="", encoding="utf-8") as out,
    ):
        reader = csv.DictReader(fh)
        writer = csv.DictWriter(out, fieldnames=list(reader.fieldnames or []))
        writer.writeheader()
        for row in reader:
            writer.writerow({**row, "payee_id": prefix + row["payee_id"]})
    return target


def describe(round_: Round) -> str:
    sink = round_.sink
    flushes = (
        f"sink transactions {len(sink):,}: p99 {percentile(sink, 99) * 1000:,.0f} ms,"
        f" longest {sink[-1] * 1000:,.0f} ms"
        if sink
        else "no sink transaction seen"
    )
    samples, waiting, for_retention = round_.waits
    return (
        f"{round_.name:>17}: {round_.payees_per_second:,.0f} payees/s ({round_.seconds:.1f}s), "
        f"p99 latency {round_.p99_ms:,.0f} ms; {flushes}; waiting for a lock in {waiting} of {samples:,}"
        f" samples of them ({for_retention} for retention's)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000, help="payees ingested each round")
    parser.add_argument("--suppliers", type=int, default=50_000)
    parser.add_argument("--old-rows", type=int, default=1_000_000, help="old rows for retention to delete")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()

    settings = bench_settings("retention")
    work = Path(tempfile.mkdtemp(prefix="payeeflow-retention-"))
    network, generated = work / "network.csv", work / "payees.csv"
    write_csv(generate_network(SHARED_DATA, args.suppliers, args.seed), network)
    write_csv(generate_payees(SHARED_DATA, network, args.count, args.seed), generated)
    started = time.perf_counter()
    filled = fill(settings.dsn, args.old_rows)
    print(f"filled {sum(filled.values()):,} old rows in {time.perf_counter() - started:.1f}s: {filled}")

    asyncio.run(create_topics(settings))
    asyncio.run(load_suppliers(settings, network, progress=False))
    procs = start_pipeline(settings, "all", work)
    env = {**os.environ, "PAYEEFLOW_DATABASE_URL": settings.dsn, "PAYEEFLOW_LOG_LEVEL": "WARNING"}
    try:
        rounds = [
            run_round(
                settings, "before retention", prefixed(generated, work / "before.csv", "B-"), args.timeout
            )
        ]
        retention = subprocess.Popen(
            [sys.executable, "-m", "payeeflow", "retention"], env=env, stdout=subprocess.PIPE, text=True
        )
        rounds.append(
            run_round(
                settings, "during retention", prefixed(generated, work / "during.csv", "D-"), args.timeout
            )
        )
        output, _ = retention.communicate(timeout=args.timeout)
        rounds.append(
            run_round(
                settings, "after retention", prefixed(generated, work / "after.csv", "A-"), args.timeout
            )
        )
    finally:
        stop_pipeline(settings, procs)
    with psycopg.connect(settings.dsn) as conn:
        [(counts, ran_from, ran_to)] = conn.execute(
            "SELECT counts, started_at, finished_at FROM job_runs WHERE job = 'retention'"
            " ORDER BY run_id DESC LIMIT 1"
        ).fetchall()
        vacuumed = conn.execute(
            "SELECT relname, last_autovacuum FROM pg_stat_user_tables"
            " WHERE last_autovacuum > %s ORDER BY last_autovacuum",
            (rounds[1].first,),
        ).fetchall()
    print()
    for round_ in rounds:
        print(describe(round_))
    seen = rounds[1].retention
    start, end = ran_from - rounds[1].first, ran_to - rounds[1].first
    window = max(start, timedelta(0)), min(end, timedelta(seconds=rounds[1].seconds))
    print(
        f"\nretention: exit {retention.returncode}, ran {(end - start).total_seconds():.1f}s, from"
        f" {start.total_seconds():.1f}s to {end.total_seconds():.1f}s after the during round's first produce"
        f" (the round's last row at {rounds[1].seconds:.1f}s)"
    )
    print(
        f"payees/s committed from {window[0].total_seconds():.1f}s to {window[1].total_seconds():.1f}s after"
        " each round's first produce (while retention ran, in the round with it):"
    )
    for round_ in rounds:
        print(f"  {round_.name:>17}: {committed_in(settings.dsn, round_, *window):,.0f}")
    print(
        f"retention deleted {sum(counts.values()):,} rows {json.dumps(counts)}; its longest transaction seen"
        f" by the sampler {seen[-1] * 1000 if seen else 0:,.0f} ms ({len(seen)} of its transactions seen)"
    )
    print(
        "autovacuum since the round with retention began (s after its first produce): "
        + (
            ", ".join(f"{table} {(at - rounds[1].first).total_seconds():.0f}" for table, at in vacuumed)
            or "none"
        )
    )
    print("its own report:\n" + output.rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
