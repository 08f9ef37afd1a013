"""Commands that keep the database bounded: ``retention``, the scheduled job that deletes what is
older than its settings (the chart's CronJob and ``payeeflow schedule`` run it)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from payeeflow.config import Settings
from payeeflow.errors import first_line

if TYPE_CHECKING:
    from payeeflow.cli.parser import Add
    from payeeflow.connectors.database.retention import Outcome


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    import psycopg

    from payeeflow.connectors.database import retention
    from payeeflow.connectors.database.jobruns import recorded
    from payeeflow.connectors.database.postgres import migrate, wait_for_database

    wait_for_database(settings.dsn, timeout=30)
    migrate(settings.dsn)
    try:
        with retention.connect(settings) as conn:
            job = retention.Retention(conn, settings, retention.database_now(conn))
            if args.dry_run:
                _print(job.plan(), "would delete")
                return 0
            if not retention.take_lock(conn):
                holder = retention.lock_holder(conn)
                print(f"retention is already running (PostgreSQL backend {holder}); nothing done")
                return 0
            with recorded(settings.dsn, "retention") as run:  # SIGTERM too: a failed run
                for table in retention.TABLES:  # a table with nothing old shows 0, not nothing
                    run.add(table, 0)
                _print(job.run(run.add), "deleted")
    except psycopg.Error as exc:  # the deleted stays deleted; the next run goes on from there
        print(f"payeeflow: retention stopped: {first_line(exc)}", file=sys.stderr)
        return 1
    return 0


def _print(outcome: Outcome, verb: str) -> None:
    total = sum(outcome.deleted.values())
    print(f"retention {verb} {total:,} rows", end="")
    if outcome.transactions:
        print(
            f" in {outcome.seconds:.1f}s ({outcome.transactions:,} transactions, the longest"
            f" {outcome.longest * 1000:,.0f} ms)",
            end="",
        )
    print()
    for table, count in outcome.deleted.items():
        print(f"  {table:20} {count:>12,}")
    if outcome.closed:
        print(f"  {outcome.closed:,} finished batches' results among them: their counts stay on each batch")


def register(add: Add) -> None:
    """``payeeflow retention [--dry-run]``."""
    p = add(
        "retention",
        cmd_retention,
        "Delete what is older than the PAYEEFLOW_RETENTION_* settings (finished batches' results, dead "
        "letters, the name-change log, old job runs, the audit log, ended uploads), in short transactions "
        "that leave the sink's flushes through; the counts go to job_runs (the sink's payeeflow_job_* "
        "metrics). A second run at once says so and does nothing.",
    )
    p.add_argument("--dry-run", action="store_true", help="print what would be deleted; delete nothing")
