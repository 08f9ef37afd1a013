"""Hostile uploads against ``payeeflow api``: each one's answer, its time, and how far it moved
the API process's peak RSS (VmHWM, read from /proc) and its RSS after; for an accepted one, also
the time until it was ingested ("done").

Needs the local stack (``payeeflow stack up``). Starts ``payeeflow api`` (one worker, the default
limits) on a database and topic prefix of its own, then posts, one after another: the zip bomb of
issue 32 (shared strings inflating to 600 MiB in ~600 KB), a smaller bomb refused by its ratio, a
billion-laughs workbook, a workbook whose zip directory lies (200 MiB said to be 1,000 bytes), a
sheet declaring the dimension A1:XFD1048576 with a row at 1,048,576 (read before as a million
rows of 16,384 cells), a 1 GB field in a CSV streamed as it is made, a legitimate workbook of N
payees (for scale; after the hostile ones, so their peaks count from the API's start), and ten
uploads at once, three of them held half sent (``PAYEEFLOW_API_UPLOADS_AT_ONCE=3``). Files are
made before the clock starts and sent a mebibyte at a time.

    python benchmarks/hostile_uploads.py [--payees 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openpyxl
from measure import bench_settings, free_port, rss_mib

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.hostile, beside the benchmarks

from payeeflow.api import keys
from payeeflow.streams.topics import create_topics, delete_topics
from tests.hostile import MiB, billion_laughs, dimensioned, long_field_lines, lying, zip_bomb

AT_ONCE = 3


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(MiB):
            yield chunk


def legitimate(folder: Path, payees: int) -> Path:
    path = folder / "payees.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["payee_id", "name", "address", "city", "state", "zip"])
    for n in range(payees):
        sheet.append([f"hb-{n}", f"ACME PLUMBING {n} LLC", f"{n} MAIN ST", "AUSTIN", "TX", "78701"])
    book.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payees", type=int, default=10_000, help="payees of the legitimate workbook")
    args = parser.parse_args()
    settings = bench_settings("hostile")
    asyncio.run(create_topics(settings))
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.dsn,
        "PAYEEFLOW_TOPIC_PREFIX": settings.topic_prefix,
        "PAYEEFLOW_API_PORT": str(port),
        "PAYEEFLOW_API_WORKERS": "1",
        "PAYEEFLOW_API_UPLOADS_AT_ONCE": str(AT_ONCE),
        "PAYEEFLOW_API_ACCESS_LOG": "false",
        "PAYEEFLOW_LOG_LEVEL": "WARNING",
    }
    url = f"http://127.0.0.1:{port}"
    api = subprocess.Popen([sys.executable, "-m", "payeeflow", "api"], env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        _, key = keys.create(settings.dsn, "hostile-bench", ["ingest", "read"], "10000/second")
        client = httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=300)
        client.get("/batches/warm-up")
        rss, peak = rss_mib(api.pid), rss_mib(api.pid, "VmHWM")
        print(f"API pid {api.pid} after a request: RSS {rss:.0f} MiB, peak {peak:.0f} MiB")
        print(
            f"{'upload':<44} {'sent':>10} {'answer':>6} {'seconds':>8} {'done s':>8} {'peak +MiB':>9} "
            f"{'RSS MiB':>8}"
        )
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (warm := folder / "warm").mkdir()  # a refused workbook first: openpyxl imported, a thread started
            client.post("/batches", params={"source": "warm.xlsx"}, content=chunks(billion_laughs(warm)))

            def measure(name: str, source: str, make: Callable[[Path], Path | Iterator[bytes]]) -> None:
                (where := folder / source).mkdir()
                made = make(where)
                size = f"{made.stat().st_size / MiB:,.1f} MiB" if isinstance(made, Path) else "streamed"
                body = chunks(made) if isinstance(made, Path) else made
                before = rss_mib(api.pid, "VmHWM")
                started = time.perf_counter()
                answer = client.post("/batches", params={"source": source}, content=body)
                seconds = time.perf_counter() - started
                while b"payeeflow_api_uploads 0.0" not in httpx.get(f"{url}/metrics").content:
                    time.sleep(0.05)  # an accepted upload ingested, its memory counted here
                done = time.perf_counter() - started
                grown = rss_mib(api.pid, "VmHWM") - before
                print(
                    f"{name:<44} {size:>10} {answer.status_code:>6} {seconds:>8.2f} {done:>8.2f} "
                    f"{grown:>9.0f} {rss_mib(api.pid):>8.0f}"
                )

            measure("zip bomb, 600 MiB of shared strings", "bomb.xlsx", lambda d: zip_bomb(d, 600))
            measure("zip bomb, 20 MiB (refused by ratio)", "small.xlsx", lambda d: zip_bomb(d, 20))
            measure("billion laughs in the shared strings", "laughs.xlsx", billion_laughs)
            measure("lying directory, 200 MiB said 1,000 B", "lying.xlsx", lambda d: lying(d, 200))
            sparse = [b'<row r="1048576"><c r="A1048576" t="n"><v>1</v></c></row>']
            measure(
                "sparse sheet, A1:XFD1048576, a row at 1048576",
                "sparse.xlsx",
                lambda d: dimensioned(d, b"A1:XFD1048576", sparse),
            )
            measure("1 GB field (CSV, 10^9 bytes)", "long.csv", lambda d: long_field_lines(10**9, before=0))
            measure(
                f"legitimate workbook, {args.payees:,} payees",
                "payees.xlsx",
                lambda d: legitimate(d, args.payees),
            )
        go_on = threading.Event()

        def held() -> Iterator[bytes]:
            yield b"payee_id,name\n"
            go_on.wait(60)
            yield b"hb-held,ACME PLUMBING LLC\n"

        def upload(content: object) -> int:
            with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=120) as each:
                return each.post("/batches", params={"source": "ten.csv"}, content=content).status_code  # type: ignore[arg-type]

        before = rss_mib(api.pid, "VmHWM")
        started = time.perf_counter()
        with ThreadPoolExecutor(10) as pool:
            holding = [pool.submit(upload, held()) for _ in range(AT_ONCE)]
            while b"payeeflow_api_uploads 3.0" not in httpx.get(f"{url}/metrics").content:
                time.sleep(0.05)
            refused = list(pool.map(upload, [b"payee_id,name\nhb-x,ACME PLUMBING LLC\n"] * (10 - AT_ONCE)))
            refused_in = time.perf_counter() - started
            go_on.set()
            answers = Counter(refused + [f.result() for f in holding])
        print(
            f"ten uploads at once, {AT_ONCE} places: {dict(sorted(answers.items()))}; the seven refused "
            f"within {refused_in:.2f} s of the first; peak +{rss_mib(api.pid, 'VmHWM') - before:.0f} MiB"
        )
        print(f"API peak RSS over the whole run {rss_mib(api.pid, 'VmHWM'):.0f} MiB ({os.cpu_count()} cores)")
    finally:
        api.terminate()
        api.wait(20)
        asyncio.run(delete_topics(settings))


if __name__ == "__main__":
    main()
