"""What the sink writes: its statements, and the rows its tables take (a payee, a dead letter as
the table can hold it whatever the failed record held)."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from payeeflow.agents.rows import (
    CLASSIFICATION_COLUMNS,
    ENRICHMENT_COLUMNS,
    MATCH_COLUMNS,
    REVIEW_COLUMNS,
    SCREENING_COLUMNS,
    flat_row,
)
from payeeflow.streams.deadletters import storable_id

log = logging.getLogger(__name__)
PAYEE_COLUMNS = (
    *("payee_id", "batch_id", "source", "version", "source_ts"),
    *("name", "address", "city", "state", "zip", "extra"),
    *SCREENING_COLUMNS,
    *CLASSIFICATION_COLUMNS,
    *MATCH_COLUMNS,
    *ENRICHMENT_COLUMNS,
    *REVIEW_COLUMNS,
    "match_candidates",
    "card_network",
    "address_validation",
)
_COLS = ", ".join(PAYEE_COLUMNS)
_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in PAYEE_COLUMNS if c != "payee_id")
STAGE_PAYEES = """
CREATE TEMP TABLE IF NOT EXISTS payees_in (LIKE payees INCLUDING DEFAULTS) ON COMMIT DROP;
TRUNCATE payees_in
"""
UPSERT_PAYEES = f"""
INSERT INTO payees ({_COLS})
SELECT DISTINCT ON (payee_id) {_COLS} FROM payees_in
 ORDER BY payee_id, version DESC, cardinality(providers_pending)
ON CONFLICT (payee_id) DO UPDATE SET {_UPDATES}, updated_at = clock_timestamp()
WHERE payees.version < EXCLUDED.version OR (payees.version = EXCLUDED.version
      AND cardinality(EXCLUDED.providers_pending) < cardinality(payees.providers_pending))
"""
# What a batch keeps of each payee it stored: the answers of the latest version it carried.
SNAPSHOT_COLUMNS = (
    *("version", "name", "address", "city", "state", "zip"),
    *SCREENING_COLUMNS,
    *CLASSIFICATION_COLUMNS,
    *MATCH_COLUMNS,
    *ENRICHMENT_COLUMNS,
    *REVIEW_COLUMNS,
)
_SNAPSHOT = ", ".join(SNAPSHOT_COLUMNS)
STORED_MEMBERS = f"""
INSERT INTO batch_payees (batch_id, payee_id, outcome, {_SNAPSHOT})
SELECT DISTINCT ON (batch_id, payee_id) batch_id, payee_id, 'stored', {_SNAPSHOT}
  FROM payees_in ORDER BY batch_id, payee_id, version DESC, cardinality(providers_pending)
ON CONFLICT (batch_id, payee_id) DO UPDATE
   SET outcome = 'stored', {", ".join(f"{c} = EXCLUDED.{c}" for c in SNAPSHOT_COLUMNS)},
       updated_at = clock_timestamp()
 WHERE batch_payees.outcome <> 'stored' OR batch_payees.version < EXCLUDED.version
    OR (batch_payees.version = EXCLUDED.version
        AND cardinality(EXCLUDED.providers_pending) < cardinality(batch_payees.providers_pending))
"""
DEAD_MEMBER = """
INSERT INTO batch_payees (batch_id, payee_id, outcome) VALUES (%s, %s, 'dead_letter')
ON CONFLICT (batch_id, payee_id) DO NOTHING
"""
SAVE_OFFSET = """
INSERT INTO sink_offsets (consumer_group, cluster_id, topic, partition, next_offset)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (consumer_group, cluster_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
"""
INSERT_DEAD_LETTER = """
INSERT INTO dead_letters (cluster_id, topic, partition, "offset", stage, reason, error, payee_id,
                          batch_id, key, payload, failed_at, payload_size, payload_sha256)
VALUES (%(cluster_id)s, %(topic)s, %(partition)s, %(offset)s, %(stage)s, %(reason)s, %(error)s,
        %(payee_id)s, %(batch_id)s, %(key)s, %(payload)s, %(failed_at)s, %(payload_size)s,
        %(payload_sha256)s)
ON CONFLICT (cluster_id, topic, partition, "offset", (coalesce(batch_id, ''))) DO NOTHING
"""
UPSERT_BATCH = """
INSERT INTO batches (batch_id, source, total, rejected, rows, started_at, finished_at)
VALUES (%(batch_id)s, %(source)s, %(total)s, %(rejected)s, %(rows)s, %(started_at)s, %(finished_at)s)
ON CONFLICT (batch_id) DO UPDATE SET total = EXCLUDED.total, rejected = EXCLUDED.rejected,
    rows = EXCLUDED.rows, finished_at = EXCLUDED.finished_at
"""
UPSERT_CORRECTION = """
INSERT INTO corrections (payee_id, name, name_key, payee_type, supplier_id, supplier_name, not_supplier,
                         note, reviewer, corrected_at)
VALUES (%(payee_id)s, %(name)s, %(name_key)s, %(payee_type)s, %(supplier_id)s, %(supplier_name)s,
        %(not_supplier)s, %(note)s, %(reviewer)s, %(corrected_at)s)
ON CONFLICT (payee_id) DO UPDATE SET name = EXCLUDED.name, name_key = EXCLUDED.name_key,
    payee_type = EXCLUDED.payee_type, supplier_id = EXCLUDED.supplier_id,
    supplier_name = EXCLUDED.supplier_name, not_supplier = EXCLUDED.not_supplier, note = EXCLUDED.note,
    reviewer = EXCLUDED.reviewer, corrected_at = EXCLUDED.corrected_at
"""
# The payee's stored row takes the reviewer's answer at once (the stages give every later record
# of it, and of its name, the full answer: SIC code, card acceptance and payment method included).
CORRECT_PAYEE = """
UPDATE payees p SET
    payee_type = coalesce(c.payee_type, p.payee_type),
    confidence = CASE WHEN c.payee_type IS NULL THEN p.confidence ELSE 1.0 END,
    reason = CASE WHEN c.payee_type IS NULL THEN p.reason ELSE %(reason)s END,
    sic_code = CASE WHEN c.payee_type = 'INDIVIDUAL' THEN NULL ELSE p.sic_code END,
    sic_description = CASE WHEN c.payee_type = 'INDIVIDUAL' THEN NULL ELSE p.sic_description END,
    supplier_id = CASE WHEN c.not_supplier THEN NULL ELSE coalesce(c.supplier_id, p.supplier_id) END,
    supplier_name = CASE WHEN c.not_supplier THEN NULL WHEN c.supplier_id IS NOT NULL THEN c.supplier_name
                         ELSE p.supplier_name END,
    match_score = CASE WHEN c.not_supplier THEN 0 WHEN c.supplier_id IS NOT NULL THEN 100
                       ELSE p.match_score END,
    match_type = CASE WHEN c.not_supplier THEN 'none' WHEN c.supplier_id IS NOT NULL THEN 'exact'
                      ELSE p.match_type END,
    needs_review = false, review_reason = '', updated_at = clock_timestamp()
FROM corrections c WHERE c.payee_id = %(payee_id)s AND p.payee_id = c.payee_id
"""
WITHDRAW_CORRECTION = "DELETE FROM corrections WHERE payee_id = %s"


def storable_letter(letter: dict[str, Any], cluster_id: str) -> dict[str, Any]:
    """A dead letter as the table can hold it, whatever the failed record held."""
    text = {
        key: letter[key].replace("\x00", "\ufffd")[:limit]
        for key, limit in (("stage", 100), ("reason", 100), ("error", 2000), ("topic", 500))
    }
    return {
        **letter,
        **text,
        "cluster_id": cluster_id,
        "payee_id": storable_id(letter.get("payee_id")),
        "batch_id": storable_id(letter.get("batch_id")),
        "payload_size": letter.get("payload_size"),
        "payload_sha256": letter.get("payload_sha256"),
    }


def escaped_letter(letter: dict[str, Any], exc: psycopg.Error) -> dict[str, Any]:
    """A stored letter the table refused (``exc``) in a form only a broken database refuses:
    every text in ASCII escapes (``\\x00``, ``\\u00e9``), cut to a few hundred bytes but the error."""

    def escaped(text: str, limit: int) -> str:
        return text.encode("unicode_escape").decode("ascii")[:limit]

    why = f"stored escaped, refused as it was (db_{exc.sqlstate or 'client'}): "
    return {
        **letter,
        **{
            key: escaped(letter[key], limit)
            for key, limit in (("stage", 100), ("reason", 100), ("topic", 249))
        },
        "error": (why + escaped(letter["error"], 2000))[:2000],
        "payee_id": storable_id(escaped(letter["payee_id"], 5000)) if letter["payee_id"] else None,
        "batch_id": storable_id(escaped(letter["batch_id"], 5000)) if letter["batch_id"] else None,
    }


def payee_row(record: dict[str, Any]) -> tuple[Any, ...]:
    payee = record["payee"]
    row = {
        "payee_id": record["payee_id"],
        "batch_id": record["batch_id"],
        "source": record["source"],
        "version": record["version"],
        "source_ts": record["source_ts"],
        "name": payee["name"],
        "address": payee["address"],
        "city": payee["city"],
        "state": payee["state"],
        "zip": payee["zip"],
        "extra": Jsonb(payee["extra"]),
        "match_candidates": Jsonb(record["match"]["candidates"]),
        "card_network": Jsonb(card) if (card := record["enrichment"].get("card_network")) else None,
        "address_validation": Jsonb(check)
        if (check := record["enrichment"].get("address_validation"))
        else None,
        **flat_row(record),
    }
    return tuple(row[column] for column in PAYEE_COLUMNS)


def letter_origin(letter: dict[str, Any]) -> dict[str, Any]:
    """Where a dead letter came from, for a log line (never its payload)."""
    return {k: letter.get(k) for k in ("stage", "reason", "topic", "partition", "offset", "batch_id")}
