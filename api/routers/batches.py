"""``/batches/{batch_id}``: how far a batch has come, per stage and outcome.

Progress is counted from ``batch_payees``: one outcome (stored or dead-lettered) per payee the
batch carried, kept when a later batch carries the same payee again. ``total`` is the number of
distinct payees ingest produced, so ``stored + dead_lettered + pending == total``; rows ingest
could not read at all are ``rejected_at_source``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from payeeflow.api.deps import ConnDep
from payeeflow.api.models import ID_LENGTH, NO_NUL, BatchStatus, Problem
from payeeflow.api.security import REFUSALS, require

router = APIRouter(prefix="/batches", tags=["batches"], dependencies=[require("read")], responses=REFUSALS)

COUNTS = """
WITH members AS (SELECT payee_id, outcome FROM batch_payees WHERE batch_id = %(id)s),
     stored AS (SELECT p.payee_type, p.match_type, p.excluded
                  FROM members m JOIN payees p USING (payee_id) WHERE m.outcome = 'stored')
SELECT
  (SELECT row_to_json(b) FROM batches b WHERE b.batch_id = %(id)s) AS manifest,
  (SELECT row_to_json(u) FROM uploads u WHERE u.batch_id = %(id)s) AS upload,
  (SELECT count(*) FROM members WHERE outcome = 'stored') AS stored,
  (SELECT count(*) FROM members WHERE outcome = 'dead_letter') AS dead,
  (SELECT coalesce(json_object_agg(stage, n), '{}') FROM
      (SELECT stage, count(*) n FROM dead_letters
        WHERE batch_id = %(id)s AND replayed_at IS NULL GROUP BY stage) s) AS dl_stage,
  (SELECT coalesce(json_object_agg(reason, n), '{}') FROM
      (SELECT reason, count(*) n FROM dead_letters
        WHERE batch_id = %(id)s AND replayed_at IS NULL GROUP BY reason) r) AS dl_reason,
  (SELECT coalesce(json_object_agg(payee_type, n), '{}') FROM
      (SELECT payee_type, count(*) n FROM stored GROUP BY payee_type) t) AS by_type,
  (SELECT coalesce(json_object_agg(match_type, n), '{}') FROM
      (SELECT match_type, count(*) n FROM stored GROUP BY match_type) m) AS by_match,
  (SELECT count(*) FROM stored WHERE excluded) AS excluded
"""


@router.get("/{batch_id}", response_model=BatchStatus, responses={404: {"model": Problem}})
async def get_batch(
    batch_id: Annotated[str, Path(max_length=ID_LENGTH, pattern=NO_NUL)], conn: ConnDep
) -> dict:
    cur = await conn.execute(COUNTS, {"id": batch_id})
    row = await cur.fetchone()
    assert row is not None
    manifest = row["manifest"]
    stored, dead = row["stored"], row["dead"]
    by_stage: dict[str, int] = row["dl_stage"]
    upload = row["upload"]
    if manifest is None and upload is None and not stored and not dead and not by_stage:
        raise HTTPException(404, f"no batch {batch_id!r}")
    error = upload["error"] if upload else None
    total = manifest["total"] if manifest else None
    rejected = manifest["rejected"] if manifest else 0
    pending = max(total - stored - dead, 0) if total is not None else None
    if error and total is None:
        status = "failed"
    elif total is None:
        status = "receiving"
    elif pending:
        status = "processing"
    else:
        status = "complete_with_errors" if dead or rejected else "complete"
    return {
        "batch_id": batch_id,
        "status": status,
        "error": error,
        "source": manifest["source"] if manifest else upload["source"] if upload else None,
        "total": total,
        "rejected_at_source": rejected,
        "stored": stored,
        "dead_lettered": dead,
        "pending": pending,
        "dead_letters_by_stage": by_stage,
        "dead_letters_by_reason": row["dl_reason"],
        "excluded": row["excluded"],
        "by_payee_type": row["by_type"],
        "by_match_type": row["by_match"],
        "started_at": manifest["started_at"] if manifest else None,
        "finished_at": manifest["finished_at"] if manifest else None,
    }
