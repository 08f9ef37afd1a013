"""How to pay a payee: virtual card, ACH or check, with a confidence and the reason a clerk reads.

Rules, first match wins, from what the pipeline knows. A card needs a supplier known to take
cards (the network's record of it, or the card network's search); a person, a government body
and an excluded payee are paid by ACH; a check needs an address USPS can deliver to. The
confidences are the rules' own estimates, not a trained model's probabilities: they order the
answers for a clerk (a check to an unverified address is the least sure).
"""

from __future__ import annotations

from typing import Any, NamedTuple

MAILABLE = ("complete", "corrected")


class Payment(NamedTuple):
    card_acceptance: str  # ACCEPTS | UNKNOWN | NOT_APPLICABLE
    method: str  # CARD | ACH | CHECK
    confidence: float
    reason: str

    def section(self) -> dict[str, Any]:
        """The ``enrichment`` fields the recommendation fills."""
        return {
            "card_acceptance": self.card_acceptance,
            "payment_method": self.method,
            "payment_confidence": self.confidence,
            "payment_reason": self.reason,
        }


def recommend(record: dict[str, Any], address_status: str, card: dict[str, Any] | None = None) -> Payment:
    """The payment recommendation for a record the stages before enrichment answered, and the
    card network's answer (``enrichment.card_network``) when it came."""
    screening = record.get("screening") or {}
    kind = (record.get("classification") or {}).get("payee_type")
    match = record.get("match") or {}
    mailable = address_status in MAILABLE
    if screening.get("excluded"):
        category = screening.get("category") or "excluded"
        return Payment("NOT_APPLICABLE", "ACH", 0.6, f"excluded from card programs ({category}): ACH")
    if kind == "INDIVIDUAL":
        return Payment("NOT_APPLICABLE", "ACH", 0.8, "a person: ACH to their bank account")
    if kind == "GOVERNMENT":
        return Payment("NOT_APPLICABLE", "ACH", 0.75, "a government body: ACH")
    supplier = match.get("supplier_id")
    strength = match.get("match_type")
    if supplier and match.get("supplier_accepts_card"):
        sure = 0.9 if strength in ("exact", "strong") else 0.7
        return Payment("ACCEPTS", "CARD", sure, f"network supplier {supplier} takes cards ({strength} match)")
    if card is not None and takes_cards(card):
        sure = 0.85 if card["confidence"] == "HIGH" else 0.7
        return Payment(
            "ACCEPTS",
            "CARD",
            sure,
            f"the card network knows it as {card['matched_name']}, taking purchase cards "
            f"(level {card['purchase_card_level']}, {card['confidence']} confidence)",
        )
    if supplier:
        return Payment("UNKNOWN", "ACH", 0.6, f"network supplier {supplier}, card acceptance unknown: ACH")
    if kind == "UNKNOWN":
        return Payment("UNKNOWN", "CHECK", 0.3, "payee type unknown: check, after a clerk's look")
    if mailable:
        return Payment("UNKNOWN", "CHECK", 0.55, "business not in the network: check to its verified address")
    return Payment(
        "UNKNOWN", "CHECK", 0.35, f"business not in the network, address {address_status}: check after a look"
    )


def takes_cards(card: dict[str, Any]) -> bool:
    """A card-network match it is at least moderately sure of, of a merchant taking purchase cards."""
    return bool(
        card.get("matched")
        and card.get("confidence") in ("HIGH", "MEDIUM")
        and (card.get("purchase_card_level") or 0) >= 1
    )


def needs_card_search(record: dict[str, Any], payment: Payment) -> bool:
    """Whether the card network may tell more: a business not excluded, not known to take cards."""
    screening = record.get("screening") or {}
    kind = (record.get("classification") or {}).get("payee_type")
    return kind == "BUSINESS" and not screening.get("excluded") and payment.method != "CARD"
