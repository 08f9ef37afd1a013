"""``payeeflow classify | match | process``: the stages over a CSV file, in this process.

Every input row comes out, in order: in OUTPUT with the stage columns appended, or in
``OUTPUT.rejects.csv`` with its line and reason. Rows stream through; the file is never held.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from payeeflow.agents.pipeline import Pipeline
from payeeflow.agents.rows import flat_row
from payeeflow.connectors.files import open_rows, to_record
from payeeflow.errors import InputError, RecordError


@dataclass(frozen=True)
class FileResult:
    rows: int
    rejected: int
    output: Path
    rejects: Path | None
    encoding: str


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rejects_path(output: Path) -> Path:
    name = output.name[: -len(".csv")] if output.name.endswith(".csv") else output.name
    return output.with_name(f"{name}.rejects.csv")


def run_file(
    pipeline: Pipeline, source: Path, output: Path, columns: list[str], encoding: str | None = None
) -> FileResult:
    """Run ``pipeline`` over every row of ``source``; ``columns`` are the ones appended.

    A reject keeps the row's original bytes in its ``raw`` column (decoded with the file's
    encoding, undecodable bytes as ``\\xNN``), so nothing a clerk must fix is lost.
    """
    opened = open_rows(source, encoding)
    in_columns = opened.columns
    if not in_columns:
        opened.rows.close()  # type: ignore[attr-defined]
        raise InputError(f"{source}: these commands take a CSV file with a header")
    out_columns = in_columns + [c for c in columns if c not in in_columns]
    reject_file = rejects_path(output)
    written = rejected = 0
    now = datetime.now(UTC)
    try:
        out_fh = output.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from exc
    reject_fh = None
    with out_fh:
        writer = csv.writer(out_fh)
        writer.writerow(out_columns)
        reject_writer = None
        for line, row, raw in opened.rows:
            try:
                if isinstance(row, RecordError):
                    raise row
                result = flat_row(pipeline.process(to_record(row, "cli", source.name, now)))
            except RecordError as exc:
                if reject_writer is None:
                    reject_fh = reject_file.open("w", newline="", encoding="utf-8")
                    reject_writer = csv.writer(reject_fh)
                    reject_writer.writerow(["line", "reason", "error", *in_columns, "raw"])
                values = row if isinstance(row, dict) else {}
                original = raw.decode(opened.encoding, errors="backslashreplace").rstrip("\r\n")
                reject_writer.writerow(
                    [line, exc.reason, exc.detail, *(values.get(c, "") for c in in_columns), original]
                )
                rejected += 1
                continue
            writer.writerow([row[c] if c in row else _cell(result.get(c)) for c in out_columns])
            written += 1
    if reject_fh is not None:
        reject_fh.close()
    elif reject_file.exists():
        reject_file.unlink()  # a stale rejects file from an earlier run would mislead
    return FileResult(written, rejected, output, reject_file if rejected else None, opened.encoding)
