"""Commands over the project's data: the supplier network, dead letters, and the payee-type
and match models."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from payeeflow.cli.files import CORRECTIONS_HELP
from payeeflow.config import Settings
from payeeflow.errors import InputError

DATA_HELP = "folder of the shared data CSVs (default: PAYEEFLOW_SHARED_DATA_DIR)"

if TYPE_CHECKING:
    from payeeflow.cli.parser import Add


def _data(args: argparse.Namespace, settings: Settings) -> Path:
    """The shared data folder: given, or configured; an installed package has none of its own."""
    data: Path | None = args.data or settings.shared_data_dir
    if data is None:
        raise InputError("no shared data folder: pass --data or set PAYEEFLOW_SHARED_DATA_DIR")
    return data


def cmd_suppliers(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.connectors.suppliers import delete_supplier, load_suppliers

    if args.action == "generate":
        from payeeflow.agents.matching.synthetic import generate_network, write_csv

        count = write_csv(generate_network(_data(args, settings), args.count, args.seed), args.output)
        print(f"{count} suppliers -> {args.output}")
        return 0
    if args.action == "sync":
        return _sync(args, settings)
    if args.action == "load":
        count = asyncio.run(load_suppliers(settings, args.file, progress=not args.quiet))
        print(f"{count} suppliers sent to {settings.topic('suppliers')}")
    else:
        asyncio.run(delete_supplier(settings, args.supplier_id))
        print(f"tombstone sent for {args.supplier_id}")
    return 0


def _sync(args: argparse.Namespace, settings: Settings) -> int:
    """``suppliers sync``, recorded in ``job_runs`` whether it ends well or not."""
    from payeeflow.connectors.database.jobruns import recorded
    from payeeflow.connectors.database.postgres import migrate, wait_for_database
    from payeeflow.connectors.supplier_sync.run import JOB, source_for, sync_suppliers

    wait_for_database(settings.dsn, timeout=10)  # where the run is recorded
    migrate(settings.dsn)
    started = time.perf_counter()
    with recorded(settings.dsn, JOB) as run:
        source = source_for(settings, args.source or settings.supplier_source)
        asyncio.run(sync_suppliers(settings, source, run.counts, args.allow_deletes, args.rejects))
    counts = run.counts
    print(
        f"{counts['read']} rows read from {source.label} in {time.perf_counter() - started:.1f}s: "
        f"{counts['unchanged']} unchanged, {counts['upserted']} upserted, {counts['deleted']} deleted, "
        f"{counts['rejected']} rejected"
        + (f" (see {args.rejects})" if counts["rejected"] and args.rejects else "")
    )
    return 0


def cmd_dlq(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.connectors.database.dlq import Filters, listing, replay, show, summary
    from payeeflow.connectors.database.postgres import migrate, wait_for_database

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
        print(
            f"{result.not_replayable} not replayable (ingest rejects: fix the file and ingest it again;"
            " letters cut to fit the broker: replay the original at their topic, partition and offset)"
        )
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
            sealed = (
                {
                    f"real {part} test": evaluate(classifier, typed_names(part))
                    for part in ("sealed2", "sealed")
                }
                if args.sealed
                else {}
            )
            reports = {
                **sealed,
                "real fresh test": evaluate(classifier, typed_names("fresh")),
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
    from payeeflow.agents.classification.training.fit import train_all

    for line in train_all(_data(args, settings), corrections=args.corrections):
        print(line)
    return 0


def register(add: Add) -> None:
    """suppliers, dlq, model."""
    p = add(
        "suppliers",
        cmd_suppliers,
        "Load a network CSV into the suppliers topic, sync it from the supplier master, or delete one.",
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
    sync_help = (
        "make the topic hold the supplier master (a PostgreSQL query, or BigQuery): send the new and "
        "changed suppliers and a tombstone for each one gone; a second run sends nothing, a run stopped "
        "half-way is finished by the next; each run recorded in job_runs (docs/suppliers.md)"
    )
    sync = ssub.add_parser("sync", help=sync_help, description=sync_help)
    sync.add_argument(
        "--source",
        choices=("postgres", "bigquery"),
        help="where the suppliers are (default: PAYEEFLOW_SUPPLIER_SOURCE, postgres)",
    )
    sync.add_argument(
        "--allow-deletes",
        action="store_true",
        help="send the tombstones even when they are more than PAYEEFLOW_SUPPLIER_SYNC_MAX_DELETE_SHARE "
        "of the network (after checking the source really lost them)",
    )
    sync.add_argument(
        "--rejects", type=Path, metavar="FILE.csv", help="write the rows rejected, with why, to this CSV"
    )

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
        "names' test parts (fresh, then test) and calibrate part (data/types), then the outside and heldout "
        "sets, side by side",
    )
    evaluate.add_argument("files", type=Path, nargs="*", help="CSVs with columns name,label")
    evaluate.add_argument(
        "--sealed",
        action="store_true",
        help="the sealed test parts first (sealed2, then sealed): read them once for each model shipped, "
        "never while tuning",
    )
