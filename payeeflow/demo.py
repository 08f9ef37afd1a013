"""``payeeflow run``: the main job on local defaults, from nothing to results in the API.

Stack up, workers + sink + API + the scheduled jobs' scheduler started in the background under a
supervisor that restarts any that dies (their logs in ``.stack/run``), the sample network loaded,
the sample payees ingested, and the batch followed until it is done.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

from payeeflow.api import keys
from payeeflow.config import Settings
from payeeflow.connectors.files.ingest import ingest_file
from payeeflow.connectors.suppliers import load_suppliers
from payeeflow.errors import StackError
from payeeflow.localstack import stack

SERVICES = {
    "worker": ["worker", "--stage", "all"],
    "sink": ["sink"],
    "api": ["api"],
    "scheduler": ["schedule"],  # the chart's CronJobs, locally: supplier sync, retention, report
}


def service_commands(settings: Settings) -> dict[str, list[str]]:
    """What the supervisor runs: each service as ``python -m payeeflow ARGS``, and the providers
    process when the settings want the slow providers' jobs advanced apart."""
    services = dict(SERVICES)
    providers_on = settings.card_network_enabled or settings.address_validation_enabled
    if settings.providers_process and providers_on:
        services["providers"] = ["worker", "--stage", "providers"]
    return {name: [sys.executable, "-m", "payeeflow", *args] for name, args in services.items()}


def _alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text()), 0)
        return True
    except (OSError, ValueError):
        return False


def _wait_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise StackError(f"{url} was not ready within {timeout:.0f}s (see .stack/run/*.log)")


def run_demo(settings: Settings, network: Path, payees: Path, timeout: float) -> int:
    print("== stack")
    for key, value in stack.up(settings).items():
        print(f"   {key:12} {value}")
    print("== data")
    count = asyncio.run(load_suppliers(settings, network, progress=False))
    print(f"   {count} suppliers from {network} -> topic {settings.topic('suppliers')}")
    folder = stack.run_dir(settings)
    print("== services (logs in", folder, ")")
    if _alive(folder / "supervisor.pid"):
        print(f"   {', '.join(SERVICES)}: already running under their supervisor")
    else:
        pid = stack.start_service(settings, "supervisor", ["supervise"])
        print(f"   {', '.join(SERVICES)}: started by a supervisor (pid {pid}) that restarts any that dies")
    api = f"http://{settings.api_host}:{settings.api_port}"
    _wait_ready(f"{api}/ready", 60)
    _wait_ready(f"http://127.0.0.1:{settings.worker_web_port}/ready", 90)
    demo_key, secret = keys.create(
        settings.dsn, "payeeflow run (local demo)", ["read"], settings.api_rate_limit
    )
    headers = {"X-API-Key": secret}
    result = asyncio.run(ingest_file(settings, payees, progress=False))
    print(
        f"   {result.produced} payees from {payees} -> batch {result.batch_id} "
        f"({result.rejected} unreadable rows to the dead-letter topic)"
    )
    started = time.monotonic()
    status: dict = {}
    while time.monotonic() - started < timeout:
        response = httpx.get(f"{api}/batches/{result.batch_id}", headers=headers, timeout=5)
        if response.status_code == 200:
            status = response.json()
            if status["status"].startswith("complete"):
                break
        time.sleep(0.5)
    else:
        print(f"   batch not complete after {timeout:.0f}s: {status}")
        return 1
    print(f"== batch {result.batch_id}: {status['status']} in {time.monotonic() - started:.1f}s")
    print(
        f"   stored {status['stored']}, dead-lettered {status['dead_lettered']} "
        f"{status['dead_letters_by_reason']}, excluded {status['excluded']}"
    )
    print(f"   types {status['by_payee_type']}  matches {status['by_match_type']}")
    print("== look at the results")
    print(f"   a read-only API key for this demo (key id {demo_key.key_id}), sent as the X-API-Key header:")
    print(f"   export PAYEEFLOW_KEY={secret}")
    print(f"   {api}/docs                              the API (OpenAPI; Authorize with the key)")
    print(f'   curl -H "X-API-Key: $PAYEEFLOW_KEY" {api}/batches/{result.batch_id}')
    print(f'   curl -H "X-API-Key: $PAYEEFLOW_KEY" "{api}/payees?batch_id={result.batch_id}&limit=5"')
    print(
        f"   {api}/metrics, http://127.0.0.1:{settings.worker_web_port}/metrics (worker), "
        "http://127.0.0.1:6067/metrics (sink)"
    )
    print(f"   {settings.schema_registry_url}/subjects            the schema registry (Confluent API)")
    print("   python examples/consume_enriched.py      the enriched topic, read as another team would")
    print("   payeeflow schedule --list                the scheduled jobs (sync, retention, report)")
    print("   payeeflow stack down                     stops the services, Kafka and PostgreSQL")
    return 0
