"""``payeeflow suppliers sync`` on the network's full size, against the running stack (``payeeflow
stack up``), on a topic prefix and a database of its own.

The generated network (483,227 suppliers, as ``benchmarks/e2e.py --suppliers 483227`` makes it)
is copied into a PostgreSQL table and synced into an empty ``suppliers`` topic; a match worker
then builds its index from the topic; 1 % of the suppliers are renamed and 0.5 % deleted in the
table and the sync runs again while the worker follows; then once more with nothing changed. Each
sync runs as the CronJob would (the command, in a process of its own): its wall time (start-up
included), its counts from ``job_runs``, the records it sent and its peak memory; then the
worker's index (``payeeflow_supplier_index_size`` and ``_rows``) once it applied the change.

    flock /tmp/payeeflow-bench.lock .venv/bin/python benchmarks/supplier_sync.py
        [--suppliers 483227] [--changed 0.01] [--deleted 0.005]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from measure import SHARED_DATA, bench_settings, free_port, wait_ready

from payeeflow.agents.matching.synthetic import generate_network
from payeeflow.config import Settings
from payeeflow.connectors.supplier_sync.records import COLUMNS
from payeeflow.streams.topics import create_topics, delete_topics

TABLE = "supplier_master"


def fill_table(settings: Settings, count: int, seed: int) -> list[str]:
    """The generated network as the supplier master; its ids, in order."""
    ids = []
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        columns = ", ".join(f"{c} boolean" if c == "accepts_card" else f"{c} text" for c in COLUMNS)
        conn.execute(f"CREATE TABLE {TABLE} ({columns}, PRIMARY KEY (supplier_id))")
        with conn.cursor().copy(f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in generate_network(SHARED_DATA, count, seed):
                card = {"true": True, "false": False}.get(row["accepts_card"])
                copy.write_row([row[c] or None for c in COLUMNS[:-1]] + [card])
                ids.append(row["supplier_id"])
    return ids


def change_table(settings: Settings, ids: list[str], changed: int, deleted: int, seed: int) -> None:
    """Renames ``changed`` suppliers and deletes ``deleted`` others, chosen at random."""
    chosen = random.Random(seed).sample(ids, changed + deleted)
    with psycopg.connect(settings.dsn, autocommit=True) as conn:
        conn.execute(
            f"UPDATE {TABLE} SET name = name || ' GROUP' WHERE supplier_id = ANY(%s)", [chosen[:changed]]
        )
        conn.execute(f"DELETE FROM {TABLE} WHERE supplier_id = ANY(%s)", [chosen[changed:]])


def run_sync(env: dict[str, str], settings: Settings, work: Path, label: str) -> dict[str, int]:
    """The command once, as a CronJob runs it; prints its figures and returns its counts."""
    log = work / f"{label.split()[0]}-sync.log"
    started = time.perf_counter()
    with log.open("w") as out:
        pid = subprocess.Popen(
            [sys.executable, "-m", "payeeflow", "suppliers", "sync"], env=env, stdout=out, stderr=out
        ).pid
        _, status, usage = os.wait4(pid, 0)  # its own peak memory (ru_maxrss), not the children's
    wall = time.perf_counter() - started
    text = log.read_text()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{label}: sync failed: {text}")
    with psycopg.connect(settings.dsn) as conn:
        [(counts,)] = conn.execute(
            "SELECT counts FROM job_runs WHERE job = 'suppliers-sync' ORDER BY run_id DESC LIMIT 1"
        ).fetchall()
    inside = re.search(r" in ([0-9.]+)s:", text)
    print(
        f"{label}: {wall:.1f}s wall ({inside.group(1) if inside else '?'}s in the command), "
        f"{counts['upserted'] + counts['deleted']:,} records sent ({counts['upserted']:,} upserts, "
        f"{counts['deleted']:,} tombstones), {counts['unchanged']:,} unchanged, {counts['read']:,} read, "
        f"{counts['rejected']:,} rejected; peak RSS {usage.ru_maxrss / 1024:.0f} MiB"
    )
    return dict(counts)


def gauge(port: int, name: str) -> float | None:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    hit = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(hit.group(1)) if hit else None


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--suppliers", type=int, default=483_227)
    parser.add_argument("--changed", type=float, default=0.01, help="share of suppliers renamed")
    parser.add_argument("--deleted", type=float, default=0.005, help="share of suppliers deleted")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    settings = bench_settings("suppliersync")
    work = Path(tempfile.mkdtemp(prefix="payeeflow-bench-"))
    started = time.perf_counter()
    ids = fill_table(settings, args.suppliers, args.seed)
    print(f"{len(ids):,} suppliers generated into {TABLE} in {time.perf_counter() - started:.1f}s ({work})")
    asyncio.run(create_topics(settings))
    env = {
        **os.environ,
        "PAYEEFLOW_TOPIC_PREFIX": settings.topic_prefix,
        "DATABASE_URL": settings.dsn,
        "PAYEEFLOW_SUPPLIER_SOURCE_URL": settings.dsn,
        "PAYEEFLOW_SUPPLIER_SOURCE_QUERY": f"SELECT {', '.join(COLUMNS)} FROM {TABLE}",
        "PAYEEFLOW_LOG_LEVEL": "WARNING",
    }
    worker = None
    try:
        run_sync(env, settings, work, "first sync (empty topic)")

        port = free_port()
        began = time.perf_counter()
        worker = subprocess.Popen(
            [sys.executable, "-m", "payeeflow", "worker", "--stage", "matching"],
            env={**env, "PAYEEFLOW_WORKER_WEB_PORT": str(port)},
            stdout=(work / "worker.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        if not wait_ready(port, 600, gone=lambda: worker.poll() is not None):
            raise SystemExit(f"the match worker did not get ready; see {work / 'worker.log'}")
        size, rows = (
            gauge(port, "payeeflow_supplier_index_size"),
            gauge(port, "payeeflow_supplier_index_rows"),
        )
        print(
            f"match worker ready in {time.perf_counter() - began:.1f}s: "
            f"index {size:,.0f} suppliers, {rows:,.0f} rows"
        )

        changed, deleted = round(args.suppliers * args.changed), round(args.suppliers * args.deleted)
        change_table(settings, ids, changed, deleted, args.seed)
        print(f"table changed: {changed:,} suppliers renamed, {deleted:,} deleted")
        counts = run_sync(env, settings, work, "change sync")
        synced = time.perf_counter()
        # a tombstone takes a supplier out; a renamed one gets a new row, its old one retired
        want = (size - counts["deleted"], rows + counts["upserted"])  # type: ignore[operator]
        while (
            found := (
                gauge(port, "payeeflow_supplier_index_size"),
                gauge(port, "payeeflow_supplier_index_rows"),
            )
        ) != want:
            if time.perf_counter() - synced > 300:
                raise SystemExit(f"the worker's index is {found}, not {want}")
            time.sleep(0.2)
        print(
            f"match worker's index after the change sync: {found[0]:,.0f} suppliers, {found[1]:,.0f} rows "
            f"(applied within {time.perf_counter() - synced:.1f}s of the sync's end)"
        )
        assert (counts["upserted"], counts["deleted"]) == (changed, deleted), counts
        again = run_sync(env, settings, work, "again: sync with nothing changed")
        assert again["upserted"] + again["deleted"] == 0, again
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(30)
        asyncio.run(delete_topics(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
