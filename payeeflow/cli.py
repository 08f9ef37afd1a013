"""The ``payeeflow`` command: one entry point for the stack, the services and the file jobs."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from payeeflow.config import Settings, get_settings
from payeeflow.errors import InputError, PayeeflowError
from payeeflow.logs import setup_logging

if TYPE_CHECKING:
    from payeeflow.agents.pipeline import Pipeline

EXAMPLES = Path(__file__).parent / "examples"  # package data: the samples `payeeflow run` pushes
DATA_HELP = "folder of the shared data CSVs (default: PAYEEFLOW_SHARED_DATA_DIR)"
CORRECTIONS_HELP = "reviewers' corrections to apply or learn from (a GET /corrections.csv export)"
ENCODING_HELP = "the file's encoding (default: detected: a BOM, else UTF-8, else Windows-1252)"


def _pipeline(
    settings: Settings, network: Path | None, command: str, corrections_file: Path | None = None
) -> Pipeline:
    """The stages a file command runs: ``classify``, ``match`` or ``process``, applying the
    corrections of ``corrections_file`` (a ``GET /corrections.csv`` export) when given."""
    from payeeflow.agents.classification.logic import Classifier
    from payeeflow.agents.corrections import Corrections, read_corrections
    from payeeflow.agents.enrichment import Enricher
    from payeeflow.agents.exclusion import Screener
    from payeeflow.agents.matching import Matcher
    from payeeflow.agents.pipeline import Pipeline

    screening = command != "match"
    with ThreadPoolExecutor(1) as pool:  # the index is built without the GIL while the rest loads
        building = pool.submit(Matcher.from_csv, network) if network else None
        corrections = Corrections(read_corrections(corrections_file) if corrections_file else ())
        classifier = Classifier.load() if screening else None
        screener = (
            Screener.from_file(settings.exclusion_keywords_file, settings.exclusion_allowlist_file)
            if screening
            else None
        )
        enricher = Enricher() if command == "process" else None
        matcher = building.result() if building else None
    for stage in (classifier, matcher):
        if stage is not None:
            stage.corrections = corrections
    return Pipeline(screener, classifier, matcher, enricher, settings.max_name_length)


def cmd_file_job(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.agents.rows import (
        CANDIDATE_COLUMNS,
        CLASSIFICATION_COLUMNS,
        ENRICHMENT_COLUMNS,
        MATCH_COLUMNS,
        REVIEW_COLUMNS,
        SCREENING_COLUMNS,
    )
    from payeeflow.inprocess import run_file

    matching = MATCH_COLUMNS + CANDIDATE_COLUMNS
    columns = {
        "classify": SCREENING_COLUMNS + CLASSIFICATION_COLUMNS,
        "match": matching,
        "process": SCREENING_COLUMNS + CLASSIFICATION_COLUMNS + matching + ENRICHMENT_COLUMNS,
    }[args.command] + REVIEW_COLUMNS
    started = time.perf_counter()
    pipeline = _pipeline(settings, getattr(args, "network", None), args.command, args.corrections)
    result = run_file(
        pipeline, args.input, args.output, columns, args.encoding, args.processes, _maps(args), args.sheet
    )
    print(f"columns: {result.mapping}", file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(
        f"{result.rows} rows ({result.encoding}) -> {result.output}"
        + (f", {result.rejected} rejected -> {result.rejects}" if result.rejects else "")
        + f" in {elapsed:.2f}s"
    )
    return 0


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
            from payeeflow.connectors.database import wait_for_database

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

    from payeeflow.connectors.postgres_sink import SinkRunner

    start_http_server(args.metrics_port, addr="0.0.0.0")
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

    host, port = settings.registry_address
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None)
    return 0


def cmd_supervise(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.demo import service_commands
    from payeeflow.localstack.stack import run_dir
    from payeeflow.localstack.supervisor import supervise

    supervise(run_dir(settings), service_commands(settings))
    return 0


def cmd_topics(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.streams.topics import create_topics

    created = asyncio.run(create_topics(settings))
    print(f"created: {', '.join(created) or 'none (all present)'}")
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.connectors.ingest import ingest_file

    result = asyncio.run(
        ingest_file(
            settings,
            args.file,
            args.batch_id,
            not args.quiet,
            args.rate,
            args.encoding,
            maps=_maps(args),
            sheet=args.sheet,
        )
    )
    if result.mapping:
        print(f"columns: {result.mapping}", file=sys.stderr)
    print(
        f"batch {result.batch_id} ({result.encoding}): {result.produced} payees produced"
        + (f", {result.repeats} repeated rows folded into them" if result.repeats else "")
        + f", {result.rejected} rejected"
    )
    return 0


def _maps(args: argparse.Namespace) -> dict[str, str]:
    from payeeflow.connectors.columns import parse_maps

    return parse_maps(args.map or [])


def _file_options(parser: argparse.ArgumentParser) -> None:
    """How a payee file is read: its encoding, its sheet, which columns hold which fields."""
    parser.add_argument("--encoding", help=ENCODING_HELP)
    parser.add_argument("--sheet", help="the sheet of an .xlsx workbook (default: the first)")
    parser.add_argument(
        "--map",
        action="append",
        metavar="FIELD=COLUMN",
        help="the column holding a field (payee_id, name, address, city, state, zip, tax_id); "
        "COLUMN+COLUMN joins two; repeatable; without it the usual header names are recognised",
    )


def _data(args: argparse.Namespace, settings: Settings) -> Path:
    """The shared data folder: given, or configured; an installed package has none of its own."""
    data: Path | None = args.data or settings.shared_data_dir
    if data is None:
        raise InputError("no shared data folder: pass --data or set PAYEEFLOW_SHARED_DATA_DIR")
    return data


def cmd_suppliers(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.connectors.suppliers import delete_supplier, load_suppliers

    if args.action == "generate":
        from payeeflow.synthetic import generate_network, write_csv

        count = write_csv(generate_network(_data(args, settings), args.count, args.seed), args.output)
        print(f"{count} suppliers -> {args.output}")
        return 0
    if args.action == "load":
        count = asyncio.run(load_suppliers(settings, args.file, progress=not args.quiet))
        print(f"{count} suppliers sent to {settings.topic('suppliers')}")
    else:
        asyncio.run(delete_supplier(settings, args.supplier_id))
        print(f"tombstone sent for {args.supplier_id}")
    return 0


def cmd_dlq(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.connectors.database import migrate, wait_for_database
    from payeeflow.connectors.dlq import Filters, listing, replay, show, summary

    wait_for_database(settings.dsn, timeout=10)  # a clear one-line error when it is not there
    migrate(settings.dsn)
    if args.action == "show":
        print(json.dumps(show(settings, args.id), indent=2, ensure_ascii=False))
        return 0
    filters = Filters(
        args.reason, args.stage, args.batch, args.since, getattr(args, "include_replayed", False)
    )
    if args.action == "list":
        groups = summary(settings.dsn, filters)
        print(f"{'count':>8}  {'stage':15} {'reason':28} last failed")
        for group in groups:
            print(f"{group['count']:>8}  {group['stage']:15} {group['reason']:28} {group['last_failed_at']}")
        if args.limit:
            print()
            for row in listing(settings.dsn, filters, args.limit):
                replayed = f" replayed {row['replayed_at']:%Y-%m-%d %H:%M}" if row["replayed_at"] else ""
                print(
                    f"{row['id']:>8}  {row['failed_at']:%Y-%m-%d %H:%M:%S}  {row['stage']}/{row['reason']}"
                    f"  payee {row['payee_id']}  batch {row['batch_id']}{replayed}"
                )
        return 0
    result = asyncio.run(replay(settings, filters, args.dry_run))
    verb = "would send" if args.dry_run else "sent"
    for topic, count in result.sent.items():
        print(f"{verb} {count} to {topic}")
    if not result.sent:
        print("nothing to replay")
    if result.not_replayable:
        print(f"{result.not_replayable} not replayable (ingest rejects: fix the file and ingest it again)")
    return 0


def cmd_apikey(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.api import keys
    from payeeflow.connectors.database import migrate, wait_for_database

    wait_for_database(settings.dsn, timeout=10)
    migrate(settings.dsn)
    if args.action == "create":
        try:
            key, text = keys.create(
                settings.dsn, args.name, args.scope, args.rate_limit or settings.api_rate_limit
            )
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        print(f"created key {key.key_id} ({key.name}; {', '.join(key.scopes)}; {key.rate_limit})")
        print("send it as the X-API-Key header; it is shown only now:")
        print(text)
        return 0
    if args.action == "list":
        print(f"{'key id':14} {'scopes':28} {'rate limit':14} {'created':17} {'revoked':17} name")
        for k in keys.list_keys(settings.dsn):
            revoked = f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "-"
            created = f"{k.created_at:%Y-%m-%d %H:%M}" if k.created_at else "-"
            print(
                f"{k.key_id:14} {','.join(k.scopes):28} {k.rate_limit:14} {created:17} {revoked:17} {k.name}"
            )
        return 0
    if not keys.revoke(settings.dsn, args.key_id):
        raise InputError(f"no live key {args.key_id!r} (see payeeflow apikey list)")
    print(f"revoked {args.key_id}; the API refuses it within {settings.api_key_cache_seconds:.0f}s")
    return 0


def cmd_asyncapi(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.asyncapi import render

    text = render(settings)
    if args.check:
        if not args.output or not args.output.exists() or args.output.read_text() != text:
            print(
                f"{args.output} is not up to date: run `payeeflow asyncapi -o {args.output}`", file=sys.stderr
            )
            return 1
        print(f"{args.output} is up to date")
    elif args.output:
        args.output.write_text(text)
        print(f"AsyncAPI document -> {args.output}")
    else:
        print(text, end="")
    return 0


def cmd_schemas(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.schemas.history import check, release

    if args.action == "release":
        for path in release():
            print(f"released {path}")
        return 0
    found = check()
    for why in found:
        print(why, file=sys.stderr)
    if found:
        return 1
    print("every topic's schema reads all its released versions (BACKWARD_TRANSITIVE)")
    return 0


def cmd_model(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.agents.classification.evaluate import evaluate, read_labeled, side_by_side
    from payeeflow.agents.classification.logic import Classifier

    if args.action == "eval":
        from payeeflow.agents.classification.artifacts import HELDOUT_FILE, OUTSIDE_FILE
        from payeeflow.agents.classification.labelled import typed_names

        classifier = Classifier.load()
        if args.files:
            reports = {path.stem: evaluate(classifier, read_labeled(path)) for path in args.files}
        else:
            reports = {
                "real test": evaluate(classifier, typed_names("test")),
                "real calibrate": evaluate(classifier, typed_names("calibrate")),
                **{p.stem: evaluate(classifier, read_labeled(p)) for p in (OUTSIDE_FILE, HELDOUT_FILE)},
            }
        print(side_by_side(reports))
        for name, report in reports.items():
            print(f"\n== {name}\n{report.render()}")
        return 0
    if args.action == "train-matcher":
        from payeeflow.agents.matching.train import train

        for line in train(_data(args, settings), corrections=args.corrections):
            print(line)
        return 0
    from payeeflow.agents.classification.model_train import train_all

    for line in train_all(_data(args, settings), corrections=args.corrections):
        print(line)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.demo import run_demo

    return run_demo(settings, args.network, args.payees, args.timeout)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="payeeflow",
        description="Screen, classify, match and enrich payees as event streams on Kafka.",
        epilog="Settings come from environment variables: see docs/operations.md (KAFKA_BOOTSTRAP_SERVERS, "
        "DATABASE_URL, PAYEEFLOW_*).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[..., int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

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
    p.add_argument("--metrics-port", type=int, default=6067, help="port of the sink's /metrics")

    add("api", cmd_api, "Run the FastAPI reader (PAYEEFLOW_API_HOST / PAYEEFLOW_API_PORT).")
    add(
        "registry",
        cmd_registry,
        "Serve the schema-registry stand-in at PAYEEFLOW_SCHEMA_REGISTRY_URL (`stack up` starts it).",
    )
    add("topics", cmd_topics, "Create the topics that are missing.")
    add(
        "supervise",
        cmd_supervise,
        "Run the worker, sink and API, restarting any that exits (what `run` starts in the background).",
    )

    p = add("ingest", cmd_ingest, "Produce a payee file (CSV, JSONL or XLSX) to payees.raw as one batch.")
    p.add_argument("file", type=Path)
    p.add_argument("--batch-id", help="batch id (default: time + random)")
    p.add_argument("--rate", type=float, help="at most this many records per second")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _file_options(p)

    p = add(
        "suppliers", cmd_suppliers, "Load a network CSV into the suppliers topic, or delete one supplier."
    )
    ssub = p.add_subparsers(dest="action", required=True)
    load = ssub.add_parser("load", help="send every supplier of a network CSV")
    load.add_argument("file", type=Path)
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    generate = ssub.add_parser("generate", help="a deterministic synthetic network from the shared data")
    generate.add_argument("--count", type=int, default=483_227)
    generate.add_argument("--seed", type=int, default=1)
    generate.add_argument("--data", type=Path, help=DATA_HELP)
    generate.add_argument("-o", "--output", type=Path, required=True)
    delete = ssub.add_parser("delete", help="send a tombstone for one supplier id")
    delete.add_argument("supplier_id")

    for name, help in (
        ("classify", "Screening + classification of a CSV, in-process (no Kafka)."),
        ("match", "Network match of a CSV against a network CSV, in-process."),
        ("process", "All stages over a CSV, in-process."),
    ):
        p = add(name, cmd_file_job, help)
        p.add_argument(
            "input", type=Path, help="CSV, JSONL or XLSX (first sheet) with a header and a 'name' column"
        )
        if name != "classify":
            p.add_argument("--network", type=Path, required=True, help="network CSV (supplier_id, name, ...)")
        p.add_argument(
            "-o", "--output", type=Path, required=True, help="output CSV; rejects go to OUTPUT.rejects.csv"
        )
        _file_options(p)
        p.add_argument("--corrections", type=Path, help=CORRECTIONS_HELP)
        p.add_argument(
            "--processes",
            type=_positive,
            default=len(os.sched_getaffinity(0)),
            help="processes answering rows, sharing the loaded stages (default: the cores this may use)",
        )

    p = add("apikey", cmd_apikey, "API keys: create one (shown once), list them, revoke one.")
    ksub = p.add_subparsers(dest="action", required=True)
    create = ksub.add_parser("create", help="a new key with its scopes")
    create.add_argument("--name", required=True, help="who or what uses it, e.g. 'ERP nightly upload'")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=("read", "ingest", "review", "admin"),
        help="repeatable: read (lookups, search, batches), ingest (uploads), review (corrections), "
        "admin (everything)",
    )
    create.add_argument("--rate-limit", help="e.g. 100/second, 5000/minute (default: api_rate_limit)")
    ksub.add_parser("list", help="every key, revoked ones too (never the secrets)")
    revoke = ksub.add_parser("revoke", help="stop a key")
    revoke.add_argument("key_id")

    p = add("dlq", cmd_dlq, "Dead letters: list them by reason, show one decoded, replay after a fix.")
    dsub = p.add_subparsers(dest="action", required=True)
    dlq_list = dsub.add_parser("list", help="counts by stage and reason, then the newest letters")
    dlq_replay = dsub.add_parser(
        "replay", help="send matching letters back to the topic of the stage they failed at"
    )
    for q in (dlq_list, dlq_replay):
        q.add_argument("--reason", help="only this reason (e.g. name_too_long)")
        q.add_argument(
            "--stage", help="only this stage (exclusion, classification, matching, enrichment, sink)"
        )
        q.add_argument("--batch", help="only this batch id")
        q.add_argument(
            "--since", type=datetime.fromisoformat, help="only failures at or after this ISO time (UTC)"
        )
    dlq_list.add_argument("--limit", type=int, default=20, help="letters listed after the counts")
    dlq_list.add_argument("--include-replayed", action="store_true", help="also letters replayed already")
    dlq_replay.add_argument("--dry-run", action="store_true", help="say what would be sent, send nothing")
    dlq_show = dsub.add_parser("show", help="one letter with its payload decoded, as JSON")
    dlq_show.add_argument("id", type=int)

    p = add("asyncapi", cmd_asyncapi, "The AsyncAPI 3.0 document of every topic (to stdout or -o FILE).")
    p.add_argument("-o", "--output", type=Path)
    p.add_argument("--check", action="store_true", help="fail when OUTPUT differs from what would be written")

    p = add(
        "schemas", cmd_schemas, "Check the topic schemas against their released versions, or release them."
    )
    schemas = p.add_subparsers(dest="action", required=True)
    schemas.add_parser("check", help="fail, naming the field, when a schema cannot read a released version")
    schemas.add_parser("release", help="record each changed schema as its next version in schemas/history")

    p = add(
        "model", cmd_model, "Train the payee-type model from the shared data (deterministic), or evaluate it."
    )
    msub = p.add_subparsers(dest="action", required=True)
    train = msub.add_parser(
        "train", help="rebuild agents/classification/model/ (lexicon, model, held-out set)"
    )
    train.add_argument("--data", type=Path, help=DATA_HELP)
    train.add_argument("--corrections", type=Path, help=CORRECTIONS_HELP)
    train_matcher = msub.add_parser(
        "train-matcher",
        help="rebuild agents/matching/model/match.json.gz from data/matching's labelled real pairs and "
        "generated ones (needs scikit-learn, a dev dependency)",
    )
    train_matcher.add_argument("--data", type=Path, help=DATA_HELP)
    train_matcher.add_argument("--corrections", type=Path, help=CORRECTIONS_HELP)
    evaluate = msub.add_parser(
        "eval",
        help="accuracy, per-class recall, confusion, calibration, the review flag; by default the real "
        "names' test and calibrate parts (data/types), then the outside and heldout sets, side by side",
    )
    evaluate.add_argument("files", type=Path, nargs="*", help="CSVs with columns name,label")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    setup_logging(settings.log_level, settings.log_json)
    try:
        return int(args.handler(args, settings))
    except PayeeflowError as exc:
        print(f"payeeflow: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader (head, less) closed early: nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
