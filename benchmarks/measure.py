"""Helpers shared by the benchmarks: memory readings (Linux /proc), percentiles, and the
worker(s) + sink of a pipeline started on a topic prefix of their own."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from pydantic import SecretStr

from payeeflow.config import Settings
from payeeflow.connectors.database.postgres import fresh_database
from payeeflow.streams.topics import delete_topics
from payeeflow.streams.worker import STAGE_NAMES

# The shared data beside a checkout (or where PAYEEFLOW_SHARED_DATA_DIR says): the generators' input.
SHARED_DATA = Path(
    os.environ.get("PAYEEFLOW_SHARED_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data"
)


def bench_settings(name: str) -> Settings:
    """The local settings on a topic prefix of the run's own and an empty database of the
    benchmark's (``payeeflow_{name}``, made again for each run): a stack database grown by earlier
    runs, with millions of batch rows, slows every insert, and runs would not compare."""
    settings = Settings()
    dsn = fresh_database(settings.dsn, f"payeeflow_{name}")
    prefix = f"{name}{os.urandom(3).hex()}."
    return settings.model_copy(update={"topic_prefix": prefix, "database_url": SecretStr(dsn)})


def rss_mib(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A process's resident memory (``VmRSS``) or its peak (``VmHWM``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kafka_pid() -> int | None:
    out = subprocess.run(["pgrep", "-f", "kafka.Kafka"], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else None


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used, in seconds (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """The PostgreSQL server's processes (postmaster, backends, background workers)."""
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout.split()
    return [int(pid) for pid in out]


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def start_pipeline(
    settings: Settings, layout: str, work: Path, workers: int = 1, env_extra: dict[str, str] | None = None
) -> dict[str, subprocess.Popen[bytes]]:
    """Worker(s) (``all`` fused, or ``per-stage``; ``workers`` processes of each, sharing its
    partitions) and the sink on ``settings``' topic prefix, logging to ``work``, with
    ``env_extra`` in their environment; returns once every worker is ready."""
    env = {
        **os.environ,
        "PAYEEFLOW_TOPIC_PREFIX": settings.topic_prefix,
        "PAYEEFLOW_DATABASE_URL": settings.dsn,
        "PAYEEFLOW_LOG_LEVEL": "WARNING",
        **(env_extra or {}),
    }
    procs: dict[str, subprocess.Popen[bytes]] = {}
    ports: list[int] = []
    groups = [",".join(STAGE_NAMES)] if layout == "all" else list(STAGE_NAMES)
    for stages, copy in itertools.product(groups, range(workers)):
        port = free_port()
        ports.append(port)
        name = ("worker" if layout == "all" else f"worker-{stages}") + (f"-{copy}" if copy else "")
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "payeeflow", "worker", "--stage", stages],
            env={**env, "PAYEEFLOW_WORKER_WEB_PORT": str(port)},
            stdout=(work / f"{name}.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
    if env.get("PAYEEFLOW_PROVIDERS_PROCESS") == "true":  # the slow providers' jobs advanced apart
        port = free_port()
        ports.append(port)
        procs["providers"] = subprocess.Popen(
            [sys.executable, "-m", "payeeflow", "worker", "--stage", "providers"],
            env={**env, "PAYEEFLOW_PROVIDERS_WEB_PORT": str(port)},
            stdout=(work / "providers.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
    procs["sink"] = subprocess.Popen(
        [sys.executable, "-m", "payeeflow", "sink", "--metrics-port", str(free_port())],
        env=env,
        stdout=(work / "sink.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    for port in ports:
        if not wait_ready(port, 300):
            for proc in procs.values():
                proc.kill()
            raise SystemExit(f"worker on {port} not ready; see {work}")
    return procs


def wait_ready(port: int, timeout: float, gone: Callable[[], bool] = lambda: False) -> bool:
    """True once the worker on ``port`` answers ``/ready``; False after ``timeout`` seconds, or as
    soon as ``gone()`` says its process ended."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        if gone() or time.monotonic() > deadline:
            return False
        time.sleep(0.5)


def stop_pipeline(settings: Settings, procs: dict[str, subprocess.Popen[bytes]]) -> None:
    """Stop what ``start_pipeline`` started and delete its topics."""
    for proc in procs.values():
        proc.terminate()
    for proc in procs.values():
        proc.wait(30)
    asyncio.run(delete_topics(settings))
