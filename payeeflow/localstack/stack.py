"""Brings the whole local stack up or down, and runs payeeflow's own services in the background."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

from payeeflow.config import Settings
from payeeflow.connectors.database.postgres import migrate, wait_for_database
from payeeflow.localstack.kafka import LocalKafka
from payeeflow.localstack.postgres import LocalPostgres
from payeeflow.localstack.process import port_open, stop_pid, wait_for_port
from payeeflow.streams.topics import create_topics

log = logging.getLogger(__name__)


def up(settings: Settings) -> dict[str, str]:
    """Install/start what is local and missing, create topics, migrate; returns what it did."""
    report = {}
    if settings.kafka_is_local:
        started = LocalKafka(settings.stack_dir).start()
        report["kafka"] = (
            f"{settings.kafka_bootstrap_servers} ({'started' if started else 'already running'})"
        )
    else:
        report["kafka"] = f"{settings.kafka_bootstrap_servers} (configured, not managed)"
    if settings.database_is_local:
        started = LocalPostgres(settings.stack_dir).start()
        report["postgres"] = f"127.0.0.1:5433 ({'started' if started else 'already running'})"
    else:
        report["postgres"] = "DATABASE_URL (configured, not managed)"
    created = asyncio.run(create_topics(settings))
    report["topics"] = f"{len(created)} created" if created else "all present"
    wait_for_database(settings.dsn)
    applied = migrate(settings.dsn)
    report["migrations"] = ", ".join(applied) if applied else "up to date"
    report["registry"] = start_registry(settings)
    return report


def start_registry(settings: Settings) -> str:
    """The schema-registry stand-in, unless a registry was configured or is already serving."""
    if not settings.registry_is_local:
        return f"{settings.schema_registry_url} (configured, not managed)"
    host, port = settings.registry_address
    if port_open(host, port):
        return f"{settings.schema_registry_url} (already running)"
    start_service(settings, "registry", ["registry"])
    wait_for_port(host, port, 60, "the schema registry", run_dir(settings) / "registry.log")
    return f"{settings.schema_registry_url} (started)"


def down(settings: Settings) -> dict[str, str]:
    report = {
        name: "stopped" if stopped else "not running" for name, stopped in stop_services(settings).items()
    }
    if settings.kafka_is_local:
        report["kafka"] = "stopped" if LocalKafka(settings.stack_dir).stop() else "not running"
    if settings.database_is_local:
        report["postgres"] = "stopped" if LocalPostgres(settings.stack_dir).stop() else "not running"
    return report


def run_dir(settings: Settings) -> Path:
    path = settings.stack_dir.resolve() / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_service(settings: Settings, name: str, args: list[str], env: dict[str, str] | None = None) -> int:
    """Start ``payeeflow ARGS`` in the background, logging to ``.stack/run/NAME.log``."""
    folder = run_dir(settings)
    with (folder / f"{name}.log").open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "payeeflow", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    (folder / f"{name}.pid").write_text(str(proc.pid))
    return proc.pid


def stop_services(settings: Settings) -> dict[str, bool]:
    """Stop the supervisor first (it stops its children), then anything left from before it."""
    folder = run_dir(settings)
    report = {"services": stop_pid(folder / "supervisor.pid")}
    report.update({pid.stem: stop_pid(pid) for pid in sorted(folder.glob("*.pid"))})
    return report
