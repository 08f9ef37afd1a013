"""``payeeflow classify | match | process``: the stages over a CSV file, without Kafka.

Every input row comes out, in order: in OUTPUT with the stage columns appended, or in
``OUTPUT.rejects.csv`` with its line and reason (among them a row giving a payee's id to another
payee: ``connectors/files/identities.py``). Rows stream through; the file is never held.
With several processes, this one reads and writes while forked copies of the loaded pipeline
(the supplier index shared copy-on-write) answer chunks of rows, a bounded number at a time.
"""

from __future__ import annotations

import csv
import gc
import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cachetools import LRUCache

from payeeflow.agents.pipeline import Pipeline
from payeeflow.agents.rows import cell, flat_row
from payeeflow.connectors.files.identities import PayeeIds
from payeeflow.connectors.files.rows import open_rows, payee_id_for, to_record
from payeeflow.errors import InputError, RecordError


@dataclass(frozen=True)
class FileResult:
    rows: int
    rejected: int
    output: Path
    rejects: Path | None
    encoding: str
    mapping: str  # the fields and the columns they were read from


def rejects_path(output: Path) -> Path:
    name = output.name[: -len(".csv")] if output.name.endswith(".csv") else output.name
    return output.with_name(f"{name}.rejects.csv")


Answer = list[str] | tuple[str, str]  # the output row's cells, or a reject's (reason, detail)
CHUNK = 1024  # rows a forked process answers at a time
_PIPELINE: Pipeline | None = None  # what forked processes run: set before the fork, inherited


def run_file(
    pipeline: Pipeline,
    source: Path,
    output: Path,
    columns: list[str],
    encoding: str | None = None,
    processes: int = 1,
    maps: dict[str, str] | None = None,
    sheet: str | None = None,
) -> FileResult:
    """Run ``pipeline`` over every row of ``source``; ``columns`` are the ones appended.

    A reject keeps the row's original bytes in its ``raw`` column (decoded with the file's
    encoding, undecodable bytes as ``\\xNN``), so nothing a clerk must fix is lost.
    """
    opened = open_rows(source, encoding, maps, sheet)
    _ANSWERED.clear()  # answers belong to this run's pipeline
    in_columns = opened.columns
    if not in_columns:
        opened.rows.close()  # type: ignore[attr-defined]
        raise InputError(f"{source}: these commands take a CSV file with a header")
    out_columns = in_columns + [c for c in columns if c not in in_columns]
    reject_file = rejects_path(output)
    written = rejected = 0
    job = _Job(out_columns, source.name, datetime.now(UTC), opened.mapping.consumed)
    ids = PayeeIds()  # a row giving a payee's id to another payee is a reject, as in ingest
    try:
        out_fh = output.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from exc
    reject_fh = None
    with out_fh:
        writer = csv.writer(out_fh)
        writer.writerow(out_columns)
        reject_writer = None
        for (line, row, raw), answer in _answers(pipeline, job, opened.rows, processes):
            if isinstance(row, dict):  # in the file's order, as ingest sees them
                try:
                    ids.see(line, payee_id_for(row), row)
                except RecordError as exc:
                    answer = exc.reason, exc.detail
            if isinstance(answer, list):
                writer.writerow(answer)
                written += 1
                continue
            if reject_writer is None:
                reject_fh = reject_file.open("w", newline="", encoding="utf-8")
                reject_writer = csv.writer(reject_fh)
                reject_writer.writerow(["line", "reason", "error", *in_columns, "raw"])
            values = row if isinstance(row, dict) else {}
            original = raw.decode(opened.encoding, errors="backslashreplace").rstrip("\r\n")
            reject_writer.writerow([line, *answer, *(values.get(c, "") for c in in_columns), original])
            rejected += 1
    if reject_fh is not None:
        reject_fh.close()
    elif reject_file.exists():
        reject_file.unlink()  # a stale rejects file from an earlier run would mislead
    rejects = reject_file if rejected else None
    return FileResult(written, rejected, output, rejects, opened.encoding, opened.mapping.describe())


@dataclass(frozen=True)
class _Job:
    """What answering a row needs besides the pipeline (sent with each chunk)."""

    out_columns: list[str]
    source: str
    now: datetime
    consumed: frozenset[str]  # columns the mapping read into fields

    def answer(self, pipeline: Pipeline, row: dict[str, str] | RecordError) -> Answer:
        try:
            if isinstance(row, RecordError):
                raise row
            record = to_record(row, "cli", self.source, self.now, self.consumed)
            key = _payee_key(record)
            result = _ANSWERED.get(key)
            if result is None:  # a payee's first row in this file: every stage answers it
                try:
                    result = _ANSWERED[key] = flat_row(pipeline.process(record))
                except RecordError as exc:
                    _ANSWERED[key] = exc
                    raise
            elif isinstance(result, RecordError):
                raise result
        except RecordError as exc:
            return exc.reason, exc.detail
        return [
            row[c] if c in row else value if (value := result.get(c)).__class__ is str else cell(value)
            for c in self.out_columns
        ]


# Payment-level files repeat a payee on every payment: its answer is kept (per process, bounded)
# by what the stages read of a row, so each distinct payee is answered once and every row gets it.
_ANSWERED: LRUCache[tuple[Any, ...], dict[str, Any] | RecordError] = LRUCache(maxsize=50_000)


def _payee_key(record: dict[str, Any]) -> tuple[Any, ...]:
    """What the stages read of a record: its id (the allow-list), name, address and tax id."""
    payee = record["payee"]
    where = (payee["address"], payee["city"], payee["state"], payee["zip"])
    return record["payee_id"], payee["name"], *where, payee["extra"].get("tax_id")


Row = tuple[int, dict[str, str] | RecordError, bytes]  # (line, the row or why it is unreadable, raw)


def _answers(
    pipeline: Pipeline, job: _Job, rows: Iterable[Row], processes: int
) -> Iterator[tuple[Row, Answer]]:
    """Each row with its answer, in order."""
    if processes <= 1:
        for row in rows:
            yield row, job.answer(pipeline, row[1])
        return
    global _PIPELINE
    _PIPELINE = pipeline
    gc.freeze()  # the forked copies then never write to the index's pages to collect it
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            pending: deque[tuple[list[Row], Any]] = deque()
            for chunk in _chunks(rows, CHUNK):
                readable = [None if isinstance(row[1], RecordError) else row[1] for row in chunk]
                pending.append((chunk, pool.apply_async(_answer_chunk, (job, readable))))
                if len(pending) > 2 * processes:  # bounded: a file is never held
                    yield from _collect(pipeline, job, *pending.popleft())
            while pending:
                yield from _collect(pipeline, job, *pending.popleft())
    finally:  # a file given up half way (a bad row, ^C) leaves the process collecting as before
        gc.unfreeze()


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _collect(pipeline: Pipeline, job: _Job, chunk: list[Row], result: Any) -> Iterator[tuple[Row, Answer]]:
    """A chunk's rows with their answers; an unreadable row's is its reject, given here."""
    for row, answer in zip(chunk, result.get(), strict=True):
        yield row, job.answer(pipeline, row[1]) if answer is None else answer


def _answer_chunk(job: _Job, rows: list[dict[str, str] | None]) -> list[Answer | None]:
    """In a forked process: the answers to a chunk's readable rows (``None`` for the others)."""
    assert _PIPELINE is not None
    return [None if row is None else job.answer(_PIPELINE, row) for row in rows]
