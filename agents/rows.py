"""The flat row view of a processed record: the file commands' columns and the ``payees`` table.

Kept apart from the stages so that the sink maps rows without loading a model or an index.
"""

from __future__ import annotations

import json
from typing import Any

from payeeflow.agents.classification.artifacts import sic_description

SCREENING_COLUMNS = ["excluded", "exclusion_keyword", "exclusion_category"]
CLASSIFICATION_COLUMNS = ["payee_type", "confidence", "sic_code", "sic_description", "reason"]
MATCH_COLUMNS = ["supplier_id", "supplier_name", "match_score", "match_type", "candidate_id"]
CANDIDATE_COLUMNS = ["candidates"]  # the file commands' and exports' JSON of the match candidates
REVIEW_COLUMNS = ["needs_review", "review_reason"]
REVIEW_BELOW = 0.95  # a payee type less sure than this is worth a clerk's look (docs/classification.md)
ENRICHMENT_COLUMNS = [
    "address_line",
    "address_city",
    "address_state",
    "address_zip",
    "address_status",
    "card_acceptance",
    "payment_method",
    "payment_confidence",
    "payment_reason",
    "providers_pending",
]


def cell(value: Any) -> str:
    """A value as the file commands and the exports write a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and value and isinstance(value[0], dict):  # match candidates
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, list):  # providers_pending: names without spaces
        return " ".join(map(str, value))
    return str(value)


def flat_row(record: dict[str, Any]) -> dict[str, Any]:
    """The flat column view of a processed record (CLI output, the ``payees`` table)."""
    row: dict[str, Any] = {}
    if screening := record.get("screening"):
        row.update(
            excluded=screening["excluded"],
            exclusion_keyword=screening["keyword"],
            exclusion_category=screening["category"],
        )
    match = record.get("match")
    if classification := record.get("classification"):
        row.update({key: classification[key] for key in CLASSIFICATION_COLUMNS})
        if match and match.get("supplier_sic_code"):  # the network knows better than the name
            row["sic_code"] = match["supplier_sic_code"]
            row["sic_description"] = sic_description(match["supplier_sic_code"])
    if match:
        row.update(
            supplier_id=match["supplier_id"],
            supplier_name=match["supplier_name"],
            match_score=match["score"],
            match_type=match["match_type"],
            candidate_id=match.get("candidate_id"),
            candidates=match.get("candidates", []),
        )
    reasons = review_reasons(record)
    row.update(needs_review=bool(reasons), review_reason="; ".join(reasons))
    if enrichment := record.get("enrichment"):
        row.update(
            address_line=enrichment["address_line"],
            address_city=enrichment["city"],
            address_state=enrichment["state"],
            address_zip=enrichment["zip"],
            address_status=enrichment["address_status"],
            card_acceptance=enrichment["card_acceptance"],
            payment_method=enrichment["payment_method"],
            payment_confidence=enrichment["payment_confidence"],
            payment_reason=enrichment["payment_reason"],
            providers_pending=list(enrichment["providers_pending"]),
        )
    return row


def review_reasons(record: dict[str, Any]) -> list[str]:
    """Why a clerk should look at this payee: an unsure type, an ambiguous or unsure supplier match."""
    reasons = []
    if classification := record.get("classification"):
        if classification["payee_type"] == "UNKNOWN":
            reasons.append("payee type unknown")
        elif classification["confidence"] < REVIEW_BELOW:
            reasons.append(f"low payee-type confidence ({classification['confidence']:.2f})")
    if (match := record.get("match")) and match.get("review"):
        reasons.append(match["review"])
    return reasons
