"""The daily report of one UTC day, from what the database holds: the day's batches and what became
of their payees, the review backlog, the day's dead letters, and the slow providers' answers; as
JSON or CSV, computed now or as ``payeeflow report --store`` kept it (``daily_reports``).

What each figure counts, and why from there:

- ``batches``: the batches whose ingest started this day (their manifest's ``started_at``), their
  distinct payees (``total``), file rows and rows rejected at source; ``open``, those with payees
  neither stored nor dead-lettered yet.
- ``payees``: those batches' payees as each batch stored them (``batch_payees``, which a later batch
  or a correction leaves alone): stored, dead-lettered, pending, excluded, needing review, by payee
  type and match type. Of a batch retention has closed (``results_deleted``), only the counts it
  kept on the batch (``final_counts``), which have no ``needs_review``: never the members it has not
  deleted yet (a run killed or still going, or the sink writing one again), or they count twice.
- ``review_backlog``: every stored payee needing review when the report was made (``generated_at``),
  and the oldest one's age since its current answer was stored: the database keeps no history of
  it, so a stored report is the only record of a past day's backlog.
- ``dead_letters``: the dead letters that failed this day, by reason and by stage, and how many of
  them were replayed since.
- ``providers``: those batches' stored payees (each once) by the slow providers' answers: the card
  network's and address validation's outcome as the payee's row holds it now (``answered``,
  ``timed_out``, ``failed``, ``over_budget``, ``circuit_open``), and the LLM's answers the batch
  adopted (a reason starting ``llm:``; one not adopted leaves no trace). That is not the spend: a
  cached answer cost nothing, and a payee sent again later holds its later answer. The budget units
  spent are counted only by the workers, in ``payeeflow_provider_spend_total``.

A live report of a day retention has thinned counts what is left (dead letters deleted, payees
written again since); a stored one keeps the figures as they were.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from pydantic import BaseModel, Field

from payeeflow.agents.formulas import neutralise
from payeeflow.agents.rows import cell
from payeeflow.connectors.database.batchcounts import BACKLOG, DONE, finished

CSV_COLUMNS = ("day", "section", "name", "value")

# One statement: the day's bounds in UTC are the database's to compute (a date near 9999 included).
COMPUTE = f"""
WITH bounds AS (
    SELECT %(day)s::date::timestamp AT TIME ZONE 'UTC' AS start,
           (%(day)s::date + 1)::timestamp AT TIME ZONE 'UTC' AS stop
), day_batches AS (
    SELECT b.batch_id, b.total, b.rejected, b.rows, b.results_deleted_at IS NOT NULL AS thinned,
           b.final_counts
      FROM batches b, bounds
     WHERE b.started_at >= bounds.start AND b.started_at < bounds.stop
), members AS (  -- of the batches not thinned: one thinned counts by its kept, whatever is left
    SELECT m.batch_id, m.payee_id, m.outcome, m.payee_type, m.match_type, m.excluded, m.needs_review, m.reason
      FROM batch_payees m JOIN day_batches d USING (batch_id)
     WHERE NOT d.thinned
), kept AS (  -- the counts retention kept on the batches it closed
    SELECT final_counts AS c FROM day_batches WHERE thinned AND final_counts IS NOT NULL
), per_batch AS (
    SELECT b.total,
           CASE WHEN b.thinned
                THEN coalesce((b.final_counts ->> 'stored')::bigint
                              + (b.final_counts ->> 'dead_lettered')::bigint, b.total)
                ELSE {DONE} END AS done
      FROM day_batches b
), stored AS (
    SELECT * FROM members WHERE outcome = 'stored'
), types AS (
    SELECT payee_type AS k, count(*) AS n FROM stored GROUP BY payee_type
    UNION ALL SELECT key, value::bigint FROM kept, jsonb_each_text(c -> 'by_payee_type')
), matches AS (
    SELECT match_type AS k, count(*) AS n FROM stored GROUP BY match_type
    UNION ALL SELECT key, value::bigint FROM kept, jsonb_each_text(c -> 'by_match_type')
), letters AS (
    SELECT stage, reason, replayed_at FROM dead_letters, bounds
     WHERE failed_at >= bounds.start AND failed_at < bounds.stop
), answered AS (  -- the stored payees' rows, each once, by their primary key
    SELECT card_network ->> 'outcome' AS card, address_validation ->> 'outcome' AS address FROM payees
     WHERE payee_id IN (SELECT payee_id FROM stored)
       AND (card_network IS NOT NULL OR address_validation IS NOT NULL)
), outcomes AS (
    SELECT 'card_network' AS provider, card AS outcome, count(*) AS n FROM answered
     WHERE card IS NOT NULL GROUP BY card
    UNION ALL
    SELECT 'address_validation', address, count(*) FROM answered WHERE address IS NOT NULL GROUP BY address
    UNION ALL
    SELECT 'llm', 'adopted', count(DISTINCT payee_id) FROM stored WHERE reason LIKE 'llm:%%'
    HAVING count(*) > 0
)
SELECT
  now() AS generated_at,
  (SELECT count(*) FROM day_batches) AS batches,
  (SELECT coalesce(sum(total), 0)::bigint FROM day_batches) AS batch_payees,
  (SELECT coalesce(sum(rows), 0)::bigint FROM day_batches) AS rows,
  (SELECT coalesce(sum(rejected), 0)::bigint FROM day_batches) AS rejected,
  (SELECT count(*) FROM per_batch b WHERE NOT {finished("b.done")}) AS open_batches,
  (SELECT count(*) FROM day_batches WHERE thinned) AS results_deleted,
  (SELECT coalesce(sum(greatest(total - done, 0)), 0)::bigint FROM per_batch) AS pending,
  (SELECT count(*) FROM stored) + (SELECT coalesce(sum((c ->> 'stored')::bigint), 0) FROM kept)::bigint
      AS stored,
  (SELECT count(*) FROM members WHERE outcome = 'dead_letter')
      + (SELECT coalesce(sum((c ->> 'dead_lettered')::bigint), 0) FROM kept)::bigint AS dead_lettered,
  (SELECT count(*) FROM stored WHERE excluded)
      + (SELECT coalesce(sum((c ->> 'excluded')::bigint), 0) FROM kept)::bigint AS excluded,
  (SELECT count(*) FROM stored WHERE needs_review) AS needs_review,
  (SELECT coalesce(json_object_agg(k, n), '{{}}') FROM
      (SELECT k, sum(n)::bigint n FROM types GROUP BY k) t) AS by_payee_type,
  (SELECT coalesce(json_object_agg(k, n), '{{}}') FROM
      (SELECT k, sum(n)::bigint n FROM matches GROUP BY k) t) AS by_match_type,
  r.backlog, r.oldest_review,
  (SELECT count(*) FROM letters) AS dead_letters,
  (SELECT count(*) FROM letters WHERE replayed_at IS NOT NULL) AS replayed,
  (SELECT coalesce(json_object_agg(reason, n), '{{}}') FROM
      (SELECT reason, count(*) n FROM letters GROUP BY reason) t) AS by_reason,
  (SELECT coalesce(json_object_agg(stage, n), '{{}}') FROM
      (SELECT stage, count(*) n FROM letters GROUP BY stage) t) AS by_stage,
  (SELECT coalesce(json_agg(json_build_array(provider, outcome, n)), '[]') FROM outcomes) AS providers
FROM ({BACKLOG}) r
"""
# PostgreSQL compiles a plan costed this high with JIT first: 0.79 s a day's report, 0.48 s without.
NO_JIT = "SET LOCAL jit = off"
STORED = "SELECT report FROM daily_reports WHERE day = %s"
STORE = """
INSERT INTO daily_reports (day, report) VALUES (%s, %s)
ON CONFLICT (day) DO UPDATE SET report = EXCLUDED.report, stored_at = now()
"""


class Batches(BaseModel):
    count: int = Field(description="Batches whose ingest started this day (UTC)")
    payees: int = Field(description="Distinct payees their files held")
    rows: int = Field(description="Rows their files held (a payee on many payments counted each time)")
    rejected_at_source: int = Field(description="Rows ingest could not read as payees")
    open: int = Field(description="Batches with payees neither stored nor dead-lettered yet")
    results_deleted: int = Field(
        description="Batches whose per-payee results retention has deleted: counted from the counts it "
        "kept on them, which leave out needs_review"
    )


class Payees(BaseModel):
    """The day's batches' payees, as each batch stored them."""

    stored: int
    dead_lettered: int
    pending: int = Field(description="Neither stored nor dead-lettered yet")
    excluded: int = Field(description="Stored, and excluded from the supplier network by screening")
    needs_review: int = Field(description="Stored with needs_review")
    by_payee_type: dict[str, int] = Field(description="Stored, by payee type")
    by_match_type: dict[str, int] = Field(description="Stored, by match type")


class ReviewBacklog(BaseModel):
    """Every stored payee needing review when the report was made (``generated_at``)."""

    payees: int
    oldest_since: datetime | None = Field(
        description="When the oldest one's current answer was stored; null with none"
    )
    oldest_age_seconds: float = Field(description="Its age at generated_at; 0 with none")


class DeadLetters(BaseModel):
    """The dead letters that failed this day."""

    total: int
    replayed: int = Field(description="Of them, replayed since")
    by_reason: dict[str, int]
    by_stage: dict[str, int]


class DailyReport(BaseModel):
    """One UTC day's report (docs/operations.md#the-daily-report says what each figure counts)."""

    day: date
    generated_at: datetime = Field(description="When its figures were counted")
    stored: bool = Field(
        description="Kept by `payeeflow report --store` (the figures as they were at generated_at), "
        "or computed now"
    )
    batches: Batches
    payees: Payees
    review_backlog: ReviewBacklog
    dead_letters: DeadLetters
    providers: dict[str, dict[str, int]] = Field(
        description="The day's batches' stored payees by provider (card_network, address_validation: "
        "the outcome their row holds; llm: answers adopted) and outcome; not the budget spent"
    )


def _sorted(counts: Mapping[str, int]) -> dict[str, int]:
    """Keys in order, so two reports of the same figures read alike (SQL aggregates in any order)."""
    return {key: int(counts[key]) for key in sorted(counts)}


def shape(day: date, row: Mapping[str, Any]) -> DailyReport:
    """The report of ``day`` from the row ``COMPUTE`` returned."""
    now, oldest = row["generated_at"], row["oldest_review"]
    providers: dict[str, dict[str, int]] = {}
    for provider, outcome, count in row["providers"]:
        providers.setdefault(provider, {})[outcome] = count
    return DailyReport(
        day=day,
        generated_at=now,
        stored=False,
        batches=Batches(
            count=row["batches"],
            payees=row["batch_payees"],
            rows=row["rows"],
            rejected_at_source=row["rejected"],
            open=row["open_batches"],
            results_deleted=row["results_deleted"],
        ),
        payees=Payees(
            stored=row["stored"],
            dead_lettered=row["dead_lettered"],
            pending=row["pending"],
            excluded=row["excluded"],
            needs_review=row["needs_review"],
            by_payee_type=_sorted(row["by_payee_type"]),
            by_match_type=_sorted(row["by_match_type"]),
        ),
        review_backlog=ReviewBacklog(
            payees=row["backlog"],
            oldest_since=oldest,
            oldest_age_seconds=0.0 if oldest is None else round(max((now - oldest).total_seconds(), 0), 1),
        ),
        dead_letters=DeadLetters(
            total=row["dead_letters"],
            replayed=row["replayed"],
            by_reason=_sorted(row["by_reason"]),
            by_stage=_sorted(row["by_stage"]),
        ),
        providers={name: _sorted(outcomes) for name, outcomes in sorted(providers.items())},
    )


def _cells(section: str, values: Mapping[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(section, name, value) of every figure: nested sections joined with dots."""
    for name, value in values.items():
        if isinstance(value, Mapping):
            yield from _cells(f"{section}.{name}" if section else name, value)
        else:
            yield section or "report", name, value


def to_csv(report: DailyReport) -> str:
    """The report as ``day,section,name,value`` rows (``batches,count,3``, ``payees.by_payee_type,
    BUSINESS,80``…): one shape for every day, so days concatenate; no cell a spreadsheet formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    figures = report.model_dump(mode="json")
    day = figures.pop("day")
    writer.writerows(
        [neutralise(cell(v)) for v in (day, section, name, value)]
        for section, name, value in _cells("", figures)
    )
    return out.getvalue()


def to_json(report: DailyReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


def parse_day(text: str) -> date:
    """A UTC day written ``YYYY-MM-DD``, nothing looser: ``date.fromisoformat`` also takes
    ``20240501`` and week dates, and pydantic a datetime at midnight or a count of seconds, which
    read as typos here. The ``ValueError`` says what is wanted (the API's 422, the command's error)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ValueError(f"{text!r} is not a date such as 2024-05-01 (YYYY-MM-DD, a UTC day)")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a date: {exc}") from exc


def day_has_ended(day: date) -> bool:
    """Whether ``day`` is over in UTC: only a whole day's report is worth keeping."""
    return day < datetime.now(UTC).date()


def compute(conn: psycopg.Connection[Any], day: date) -> DailyReport:
    """The report of ``day`` counted now."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute(NO_JIT)
        row = cur.execute(COMPUTE, {"day": day}).fetchone()
    assert row is not None
    return shape(day, row)


def served(conn: psycopg.Connection[Any], day: date) -> DailyReport:
    """The report of ``day`` that ``store`` kept, or else counted now."""
    with conn.cursor(row_factory=dict_row) as cur:
        kept = cur.execute(STORED, (day,)).fetchone()
    return compute(conn, day) if kept is None else DailyReport.model_validate(kept["report"])


def store(conn: psycopg.Connection[Any], report: DailyReport) -> DailyReport:
    """Keeps ``report`` as its day's (replacing one kept before); returns it as kept."""
    kept = report.model_copy(update={"stored": True})
    conn.execute(STORE, (kept.day, Jsonb(kept.model_dump(mode="json"))))
    return kept


async def served_async(conn: psycopg.AsyncConnection[Any], day: date) -> DailyReport:
    """``served``, on an asynchronous connection (the API's)."""
    async with conn.cursor(row_factory=dict_row) as cur:
        kept = await (await cur.execute(STORED, (day,))).fetchone()
        if kept is not None:
            return DailyReport.model_validate(kept["report"])
        async with conn.transaction():
            await cur.execute(NO_JIT)
            row = await (await cur.execute(COMPUTE, {"day": day})).fetchone()
    assert row is not None
    return shape(day, row)
