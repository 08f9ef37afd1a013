"""API benchmark: requests/s and p50/p95/p99 per endpoint against a 1,000,000-row payees table.

Needs the local PostgreSQL (``payeeflow stack up``) and ``wrk`` (Debian's package). Builds a
database of its own (``payeeflow_apibench``, never the stack's data) with N payees in batches of
10,000, makes an API key, starts ``payeeflow api`` with W workers, and drives each endpoint with
wrk (T threads, C connections, D seconds, after a warm-up of 2 s) through a Lua script that sends
the key, draws each request's payee, batch or name word at random and reports p95 (wrk itself
prints p50/p75/p90/p99 only). Each line also gives the CPU the API's processes and PostgreSQL's
spent a request, read from /proc: on two cores, their sum bounds the rate.

    python benchmarks/api.py --rows 1000000 --workers 2 --duration 10 --connections 16
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

import httpx
import psycopg
from measure import SHARED_DATA, cpu_seconds, free_port, postgres_pids, rss_mib

from payeeflow.api import keys
from payeeflow.config import Settings
from payeeflow.connectors.database.postgres import fresh_database
from payeeflow.connectors.database.sink.tables import SNAPSHOT_COLUMNS

DATABASE = "payeeflow_apibench"
BATCH = 10_000
FILL = f"""
INSERT INTO payees (payee_id, batch_id, source, version, source_ts, name, city, state, zip, excluded,
                    payee_type, confidence, reason, sic_code, match_type, address_status,
                    payment_method, needs_review, review_reason)
SELECT 'P' || lpad(i::text, 9, '0'), 'B' || lpad((i / {BATCH})::text, 4, '0'), 'bench.csv', 1, now(),
       n.name || CASE WHEN i < %(names)s THEN '' ELSE ' #' || (i / %(names)s) END,
       'SPRINGFIELD', 'IL', '62701', false, 'BUSINESS', 0.97, 'model (business)', '1711', 'none',
       'complete', 'ACH', false, ''
  FROM generate_series(0, %(rows)s - 1) AS i JOIN bench_names n ON n.n = mod(i, %(names)s)
"""
MEMBERS = (  # each batch's snapshot of its payees, as the sink writes it
    f"INSERT INTO batch_payees (batch_id, payee_id, outcome, {', '.join(SNAPSHOT_COLUMNS)})"
    f" SELECT batch_id, payee_id, 'stored', {', '.join(SNAPSHOT_COLUMNS)} FROM payees"
)
LUA = """
local key = "%(key)s"
local rows = %(rows)d
local batches = %(batches)d
local terms = {%(terms)s}
wrk.headers["X-API-Key"] = key
math.randomseed(%(seed)d)
request = function()
  local path = "%(path)s"
  path = string.gsub(path, "{id}", function() return string.format("P%%09d", math.random(0, rows - 1)) end)
  path = string.gsub(path, "{batch}",
    function() return string.format("B%%04d", math.random(0, batches - 1)) end)
  path = string.gsub(path, "{term}", function() return terms[math.random(1, #terms)] end)
  return wrk.format("GET", path)
end
done = function(summary, latency, requests)
  local out = string.format('{"requests": %%d, "seconds": %%f, "errors": %%d, "non2xx": %%d, ',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status)
  out = out .. string.format('"p50": %%f, "p95": %%f, "p99": %%f}',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000)
  io.stderr:write("RESULT " .. out .. "\\n")
end
"""
# {id}: a random payee; {batch}: a random batch; {term}: a random word of the real names;
# {polled}: the batch in the middle
ENDPOINTS = {
    "lookup by id": "/payees/{id}",
    "search by batch": "/payees?batch_id={batch}&limit=50",
    "search by type": "/payees?payee_type=BUSINESS&limit=50&cursor={id}",
    "search by name": "/payees?name=miller&limit=20",
    "search by name, varied": "/payees?name={term}&limit=20",
    "batch progress": "/batches/{polled}",  # one batch, polled by all: its counts kept a second
    "health (no database)": "/health",
}


def real_names() -> list[str]:
    """The shared data's company and Chicago business names: the variety a name search meets."""
    names: set[str] = set()
    for file in ("company_names_combined.csv", "payee_names_chicago_business_licenses.csv"):
        with (SHARED_DATA / file).open(newline="", encoding="utf-8") as fh:
            names.update(row["name"].strip().upper() for row in csv.DictReader(fh) if row["name"].strip())
    return sorted(names)


def prepare(settings: Settings, rows: int) -> str:
    """A database of the benchmark's own with ``rows`` payees; returns its DSN."""
    dsn = fresh_database(settings.dsn, DATABASE)
    started = time.monotonic()
    names = real_names()
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TEMP TABLE bench_names (n integer PRIMARY KEY, name text NOT NULL)")
        with conn.cursor().copy("COPY bench_names (n, name) FROM STDIN") as copy:
            for n, name in enumerate(names):
                copy.write_row((n, name))
        conn.execute(FILL, {"rows": rows, "names": len(names)})  # type: ignore[arg-type]
        conn.execute(MEMBERS)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE payees")
        conn.execute("VACUUM ANALYZE batch_payees")
    print(
        f"{rows:,} payees in {BATCH:,}-payee batches ({len(names):,} real company and business names, "
        f"repeated with a number), loaded in {time.monotonic() - started:.0f}s"
    )
    return dsn


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2, help="API processes")
    parser.add_argument("--duration", type=int, default=10, help="seconds per endpoint")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--reuse", action="store_true", help="keep the database an earlier run filled")
    args = parser.parse_args()

    settings = Settings()
    dsn = (
        psycopg.conninfo.make_conninfo(settings.dsn, dbname=DATABASE)
        if args.reuse
        else prepare(settings, args.rows)
    )
    _, secret = keys.create(dsn, "benchmarks/api.py", ["read"], "1000000/second")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "PAYEEFLOW_API_PORT": str(port),
        "PAYEEFLOW_API_WORKERS": str(args.workers),
        "PAYEEFLOW_API_ACCESS_LOG": "false",
        "PAYEEFLOW_LOG_LEVEL": "WARNING",
    }
    api = subprocess.Popen([sys.executable, "-m", "payeeflow", "api"], env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.3)
        out = subprocess.run(["pgrep", "-P", str(api.pid)], capture_output=True, text=True).stdout
        workers = [int(pid) for pid in out.split()]
        terms = name_words(real_names())
        print(
            f"payeeflow api, {args.workers} workers; wrk -t{args.threads} -c{args.connections} "
            f"-d{args.duration}s per endpoint, every request with an API key\n"
        )
        print(
            f"{'endpoint':24} {'requests/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
            f" {'API µs':>7} {'PG µs':>6}  errors"
        )
        for name, path in ENDPOINTS.items():
            run_wrk(port, path, secret, terms, args, seconds=2)  # the pools filled, the statements prepared
            api_before, pg_before = cpu_by_pid(workers), cpu_by_pid(postgres_pids())
            result = run_wrk(port, path, secret, terms, args, seconds=args.duration)
            api_cpu = cpu_since(api_before, workers)
            pg_cpu = cpu_since(pg_before, postgres_pids())
            count = max(1, result["requests"])
            print(
                f"{name:24} {count / result['seconds']:>10,.0f} {result['p50']:>8.2f} {result['p95']:>8.2f}"
                f" {result['p99']:>8.2f} {api_cpu / count * 1e6:>7.0f} {pg_cpu / count * 1e6:>6.0f}"
                f"  {result['errors']:.0f}"
            )
        print("\nRSS: " + ", ".join(f"{rss_mib(int(pid)):.0f} MiB" for pid in [api.pid, *workers]))
    finally:
        api.terminate()
        api.wait(20)
    return 0


def name_words(names: list[str], count: int = 2000) -> list[str]:
    """``count`` words of four letters or more from the names, drawn with a fixed seed: what a
    clerk types, from rare surnames to ``services``."""
    words = sorted({word for name in names for word in re.findall(r"[A-Z]{4,}", name)})
    return random.Random(7).sample(words, min(count, len(words)))


def cpu_by_pid(pids: Iterable[int]) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids}


def cpu_since(before: dict[int, float], pids: Iterable[int]) -> float:
    """The CPU ``pids`` used since ``before``, a process started meanwhile all of its own. (One
    that ended meanwhile, an autovacuum worker say, took its share with it.)"""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in cpu_by_pid(pids).items())


def run_wrk(
    port: int, path: str, secret: str, terms: list[str], args: argparse.Namespace, seconds: int
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fields = {
            "key": secret,
            "rows": args.rows,
            "batches": max(1, args.rows // BATCH),
            "terms": ", ".join(f'"{term.lower()}"' for term in terms),
            "seed": 7,
            "path": path.replace("{polled}", f"B{args.rows // BATCH // 2:04d}"),
        }
        fh.write(LUA % fields)
    try:
        done = subprocess.run(
            [
                "wrk",
                f"-t{args.threads}",
                f"-c{args.connections}",
                f"-d{seconds}s",
                "-s",
                fh.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(fh.name).unlink()
    line = next(line for line in done.stderr.splitlines() if line.startswith("RESULT "))
    result: dict[str, float] = json.loads(line[len("RESULT ") :])
    result["errors"] += result.pop("non2xx")
    return result


if __name__ == "__main__":
    sys.exit(main())
