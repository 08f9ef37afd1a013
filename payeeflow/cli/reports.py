"""``payeeflow report``: one UTC day's report as JSON or CSV, and, with ``--store``, kept in the
database (the scheduled job's form: ``payeeflow report --store`` just after midnight, for the day
just ended) so the day's figures outlive retention, with the run recorded in ``job_runs``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from payeeflow.config import Settings
from payeeflow.errors import DatabaseError, InputError, first_line

if TYPE_CHECKING:
    from payeeflow.cli.parser import Add


def utc_day(text: str) -> date:
    """``--date``: a day as the API reads one (``reports.parse_day``), refused in argparse's one line."""
    from payeeflow.connectors.database.reports import parse_day

    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    import psycopg

    from payeeflow.connectors.database import reports
    from payeeflow.connectors.database.jobruns import recorded
    from payeeflow.connectors.database.postgres import migrate, wait_for_database

    day: date = args.date or datetime.now(UTC).date() - timedelta(days=1)
    if args.store and not reports.day_has_ended(day):
        raise InputError(f"--store keeps a whole day's report: {day} has not ended (UTC)")
    wait_for_database(settings.dsn, timeout=10)  # a clear one-line error when it is not there
    try:
        migrate(settings.dsn)
        with psycopg.connect(settings.dsn) as conn:
            if args.store:
                with recorded(settings.dsn, "report") as run:
                    report = reports.store(conn, reports.compute(conn, day))
                    conn.commit()
                    run.add("batches", report.batches.count)
                    run.add("payees", report.batches.payees)
                    run.add("dead_letters", report.dead_letters.total)
                    run.add("review_backlog", report.review_backlog.payees)
            else:
                report = reports.served(conn, day)
    except psycopg.Error as exc:  # gone since, or refusing (a timeout, a permission, a standby)
        raise DatabaseError(f"report of {day}: PostgreSQL: {first_line(exc)}") from exc
    text = reports.to_csv(report) if args.format == "csv" else reports.to_json(report)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
        kept = ", kept in daily_reports" if args.store else ""
        print(f"report of {day} -> {args.output}{kept}", file=sys.stderr)
    return 0


def register(add: Add) -> None:
    """report."""
    p = add(
        "report",
        cmd_report,
        "One UTC day's report: batches, rows, payee types, matches, review backlog, dead letters by "
        "reason, the slow providers' answers (docs/operations.md#the-daily-report).",
    )
    p.add_argument(
        "--date",
        type=utc_day,
        help="the UTC day, YYYY-MM-DD (default: yesterday); a day kept with --store is given as kept",
    )
    p.add_argument("--format", choices=("json", "csv"), default="json", help="default: json")
    p.add_argument("-o", "--output", type=Path, help="write it here (default: standard output)")
    p.add_argument(
        "--store",
        action="store_true",
        help="count it now and keep it in the database (replacing one kept before), for the API and "
        "for after retention; the run is recorded in job_runs as the scheduled job 'report'",
    )
