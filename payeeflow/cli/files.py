"""Commands over payee files: into Kafka as a batch (``ingest``), or through the stages in this
process (``classify``, ``match``, ``process``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from payeeflow.config import Settings

if TYPE_CHECKING:
    from payeeflow.agents.pipeline import Pipeline
    from payeeflow.cli.parser import Add

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


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.connectors.files.ingest import ingest_file

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
        + (f", {result.versions} later versions of them (moved, or tax id added)" if result.versions else "")
        + f", {result.rejected} rejected"
        + (f" ({result.conflicting} giving a payee's id to another payee)" if result.conflicting else "")
    )
    return 0


def _maps(args: argparse.Namespace) -> dict[str, str]:
    from payeeflow.connectors.files.columns import parse_maps

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


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {text!r}")
    return int(text)


def register(add: Add) -> None:
    """ingest, classify, match, process."""
    p = add("ingest", cmd_ingest, "Produce a payee file (CSV, JSONL or XLSX) to payees.raw as one batch.")
    p.add_argument("file", type=Path)
    p.add_argument("--batch-id", help="batch id (default: time + random)")
    p.add_argument("--rate", type=float, help="at most this many records per second")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _file_options(p)

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
