"""``/batches/{batch_id}``: how far a batch has come, per stage and outcome."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from api.deps import ConnDep
from api.models import BatchStatus

router = APIRouter(prefix="/batches", tags=["batches"])

COUNTS = """
SELECT
  (SELECT row_to_json(b) FROM batches b WHERE b.batch_id = %(id)s) AS manifest,
  (SELECT stored FROM batch_progress WHERE batch_id = %(id)s) AS stored,
  (SELECT coalesce(json_object_agg(stage, n), '{}') FROM
      (SELECT stage, count(*) n FROM dead_letters WHERE batch_id = %(id)s GROUP BY stage) s) AS dl_stage,
  (SELECT coalesce(json_object_agg(reason, n), '{}') FROM
      (SELECT reason, count(*) n FROM dead_letters WHERE batch_id = %(id)s GROUP BY reason) r) AS dl_reason,
  (SELECT coalesce(json_object_agg(payee_type, n), '{}') FROM
      (SELECT payee_type, count(*) n FROM payees WHERE batch_id = %(id)s GROUP BY payee_type) t) AS by_type,
  (SELECT coalesce(json_object_agg(match_type, n), '{}') FROM
      (SELECT match_type, count(*) n FROM payees WHERE batch_id = %(id)s GROUP BY match_type) m) AS by_match,
  (SELECT count(*) FROM payees WHERE batch_id = %(id)s AND excluded) AS excluded
"""


@router.get("/{batch_id}", response_model=BatchStatus)
async def get_batch(batch_id: str, conn: ConnDep) -> dict:
    cur = await conn.execute(COUNTS, {"id": batch_id})
    row = await cur.fetchone()
    assert row is not None
    manifest = row["manifest"]
    stored = row["stored"] or 0
    by_stage: dict[str, int] = row["dl_stage"]
    if manifest is None and not stored and not by_stage:
        raise HTTPException(404, f"no batch {batch_id!r}")
    in_pipeline = sum(n for stage, n in by_stage.items() if stage != "ingest")
    total = manifest["total"] if manifest else None
    pending = max(total - stored - in_pipeline, 0) if total is not None else None
    if total is None:
        status = "receiving"
    elif pending:
        status = "processing"
    else:
        status = "complete_with_errors" if by_stage else "complete"
    return {
        "batch_id": batch_id,
        "status": status,
        "source": manifest["source"] if manifest else None,
        "total": total,
        "rejected_at_source": manifest["rejected"] if manifest else 0,
        "stored": stored,
        "dead_lettered": sum(by_stage.values()),
        "pending": pending,
        "dead_letters_by_stage": by_stage,
        "dead_letters_by_reason": row["dl_reason"],
        "excluded": row["excluded"],
        "by_payee_type": row["by_type"],
        "by_match_type": row["by_match"],
        "started_at": manifest["started_at"] if manifest else None,
        "finished_at": manifest["finished_at"] if manifest else None,
    }
