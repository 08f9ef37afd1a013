"""What the batches' and the review queue's figures mean, written once for everything that counts
them (``GET /batches/{id}``, ``payeeflow retention``, the sink's gauges, the daily report), or their
answers would drift apart.

A batch's counts, from its members (``batch_payees``) and its dead letters, are one JSON object
keyed by ``BatchStatus``'s field names: ``GET /batches/{id}`` counts them live; ``payeeflow
retention``, before it deletes a finished batch's members, keeps them on its manifest
(``batches.final_counts``), so the batch answers the same afterwards.
"""

from __future__ import annotations

# %(id)s: the batch id
MEMBER_COUNTS = """
WITH members AS (SELECT outcome, payee_type, match_type, excluded FROM batch_payees WHERE batch_id = %(id)s),
     stored AS (SELECT payee_type, match_type, excluded FROM members WHERE outcome = 'stored'),
     letters AS (SELECT stage, reason FROM dead_letters WHERE batch_id = %(id)s AND replayed_at IS NULL)
SELECT jsonb_build_object(
  'stored', (SELECT count(*) FROM stored),
  'dead_lettered', (SELECT count(*) FROM members WHERE outcome = 'dead_letter'),
  'dead_letters_by_stage', (SELECT coalesce(jsonb_object_agg(stage, n), '{}') FROM
      (SELECT stage, count(*) n FROM letters GROUP BY stage) s),
  'dead_letters_by_reason', (SELECT coalesce(jsonb_object_agg(reason, n), '{}') FROM
      (SELECT reason, count(*) n FROM letters GROUP BY reason) r),
  'by_payee_type', (SELECT coalesce(jsonb_object_agg(payee_type, n), '{}') FROM
      (SELECT payee_type, count(*) n FROM stored GROUP BY payee_type) t),
  'by_match_type', (SELECT coalesce(jsonb_object_agg(match_type, n), '{}') FROM
      (SELECT match_type, count(*) n FROM stored GROUP BY match_type) m),
  'excluded', (SELECT count(*) FROM stored WHERE excluded))
"""

# The payees the batch aliased ``b`` has done: its members, each payee stored or dead-lettered once.
DONE = "(SELECT count(*) FROM batch_payees m WHERE m.batch_id = b.batch_id)"


def finished(done: str = DONE) -> str:
    """SQL true when the batch aliased ``b``, ``done`` of its payees done, is finished: its manifest
    is in (ingest sends it last, with ``total``) and every payee it carried was stored or
    dead-lettered, so nothing of it can change any more (retention may then delete its members)."""
    return f"({done} >= b.total)"


# The review backlog: every stored payee needing review, and when the oldest one's current answer
# was stored (the database keeps no history of it: a payee stored again starts again).
BACKLOG = "SELECT count(*) AS backlog, min(updated_at) AS oldest_review FROM payees WHERE needs_review"
