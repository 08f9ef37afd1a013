"""Commands that run things: the main job on local defaults, the local stack, and each service."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from payeeflow.config import Settings
from payeeflow.errors import PayeeflowError

EXAMPLES = Path(__file__).parents[1] / "examples"  # package data: the samples `payeeflow run` pushes

if TYPE_CHECKING:
    from payeeflow.cli.parser import Add


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.demo import run_demo

    return run_demo(settings, args.network, args.payees, args.timeout)


def cmd_stack(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.localstack import stack

    if args.action == "up":
        report = stack.up(settings)
    elif args.action == "down":
        report = stack.down(settings)
    else:
        from payeeflow.localstack.process import port_open

        host, _, port = settings.kafka_bootstrap_servers.split(",")[0].rpartition(":")
        report = {"kafka": "up" if port_open(host, int(port)) else "down"}
        try:
            from payeeflow.connectors.database.postgres import wait_for_database

            wait_for_database(settings.dsn, timeout=2)
            report["postgres"] = "up"
        except PayeeflowError:
            report["postgres"] = "down"
        up = port_open(*settings.registry_address)
        report["registry"] = f"{'up' if up else 'down'} ({settings.schema_registry_url})"
    for key, value in report.items():
        print(f"{key:12} {value}")
    return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.streams.worker import parse_stages, run_worker

    run_worker(settings, parse_stages(args.stage))
    return 0


def cmd_sink(args: argparse.Namespace, settings: Settings) -> int:
    from prometheus_client import start_http_server

    from payeeflow.connectors.database.sink.runner import SinkRunner

    start_http_server(args.metrics_port, addr=settings.metrics_host)
    asyncio.run(SinkRunner(settings).run())
    return 0


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    uvicorn.run(
        "payeeflow.api.main:app",
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        log_config=None,
        access_log=settings.api_access_log,
    )
    return 0


def cmd_registry(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from payeeflow.registry.app import create_app

    _, port = settings.registry_address
    uvicorn.run(create_app(settings), host=settings.registry_host, port=port, log_config=None)
    return 0


def cmd_supervise(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.demo import service_commands
    from payeeflow.localstack.stack import run_dir
    from payeeflow.localstack.supervisor import supervise

    supervise(run_dir(settings), service_commands(settings))
    return 0


def cmd_schedule(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.scheduler import Scheduler
    from payeeflow.schedules import scheduled_jobs

    jobs = scheduled_jobs(settings)
    if args.list:
        for job in jobs:
            when = job.schedule or f"never ({job.why_not or 'empty schedule'})"
            print(f"{job.name:15} {when:20} payeeflow {' '.join(job.args)}")
        return 0
    Scheduler(jobs).run()
    return 0


def cmd_topics(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.streams.topics import create_topics

    created = asyncio.run(create_topics(settings))
    print(f"created: {', '.join(created) or 'none (all present)'}")
    return 0


def register(add: Add) -> None:
    """run, stack, worker, sink, api, registry, topics, supervise, schedule."""
    p = add(
        "run", cmd_run, "The main job on local defaults: stack up, services started, samples pushed through."
    )
    p.add_argument("--network", type=Path, default=EXAMPLES / "suppliers.csv", help="supplier network CSV")
    p.add_argument("--payees", type=Path, default=EXAMPLES / "payees.csv", help="payee file to ingest")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for the batch")

    p = add(
        "stack",
        cmd_stack,
        "Install/start (up), stop (down) or check (status) the local Kafka, PostgreSQL and schema registry.",
    )
    p.add_argument("action", choices=["up", "down", "status"])

    p = add("worker", cmd_worker, "Run stage agents in a Faust worker.")
    p.add_argument(
        "--stage",
        default="all",
        help="all, a comma list of exclusion,classification,matching,enrichment, or providers"
        " (the slow providers' jobs, with PAYEEFLOW_PROVIDERS_PROCESS)",
    )

    p = add("sink", cmd_sink, "Run the PostgreSQL sink (payees.enriched, payees.dlq, payees.batches).")
    p.add_argument(
        "--metrics-port",
        type=int,
        default=6067,
        help="port of the sink's /metrics (on PAYEEFLOW_METRICS_HOST)",
    )

    add("api", cmd_api, "Run the FastAPI reader (PAYEEFLOW_API_HOST / PAYEEFLOW_API_PORT).")
    add(
        "registry",
        cmd_registry,
        "Serve the schema-registry stand-in on PAYEEFLOW_REGISTRY_HOST and the port of "
        "PAYEEFLOW_SCHEMA_REGISTRY_URL (`stack up` starts it); writes need PAYEEFLOW_REGISTRY_ADMIN_KEY "
        "(unset: the key in .stack/registry.key).",
    )
    add("topics", cmd_topics, "Create the topics that are missing.")
    add(
        "supervise",
        cmd_supervise,
        "Run the worker, sink, API and scheduler, restarting any that exits (what `run` starts).",
    )

    p = add(
        "schedule",
        cmd_schedule,
        "Run the scheduled jobs (supplier sync, retention, report) on their *_SCHEDULE settings, as the "
        "chart's CronJobs do; `payeeflow run` starts it.",
    )
    p.add_argument("--list", action="store_true", help="print each job's schedule and command, and exit")
