"""Client of the card network's bulk supplier search (the submit-then-poll pattern of Mastercard's
supplier-search APIs; see RESEARCH.md): submit up to 100 payees, get a job id at once (202), poll
the job until COMPLETED, then read one result per payee.

Every request is signed with OAuth 1.0a and a body hash, RSA-SHA256, by Mastercard's own signer
(``mastercard-oauth1-signer``), and retried as ``provider_http`` retries every provider's; a body
not in the documented shape is a ``ProviderError`` too.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from oauth1.oauth import OAuth

from payeeflow.agents.providers.http import ProviderError, as_text, request_json
from payeeflow.config import Settings

log = logging.getLogger(__name__)

PROVIDER = "card_network"


@dataclass(frozen=True)
class Search:
    """One payee as the bulk search takes it; ``reference`` (the payee id) comes back with its result."""

    reference: str
    name: str
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    tax_id: str | None = None

    def body(self) -> dict[str, str]:
        fields = {
            "referenceId": self.reference,
            "merchantName": self.name,
            "streetAddress": self.street,
            "city": self.city,
            "state": self.state,
            "postalCode": self.zip,
            "country": "USA",
            "taxId": self.tax_id,
        }
        return {key: value for key, value in fields.items() if value}


@dataclass(frozen=True)
class CardAnswer:
    """The card network's answer for one payee."""

    matched: bool
    confidence: str | None = None  # HIGH | MEDIUM | LOW
    merchant_id: str | None = None
    matched_name: str | None = None
    mcc: str | None = None
    purchase_card_level: int | None = None

    def to_record(self, outcome: str = "answered") -> dict[str, Any]:
        """The ``card_network`` section of the payee's enrichment; for a payee the network did not
        answer, ``CardAnswer(False).to_record(why)``."""
        return {
            "outcome": outcome,
            "matched": self.matched,
            "confidence": self.confidence,
            "merchant_id": self.merchant_id,
            "matched_name": self.matched_name,
            "mcc": self.mcc,
            "purchase_card_level": self.purchase_card_level,
        }


def load_signing_key(path: Path) -> RSAPrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ProviderError(f"{path}: not an RSA private key")
    return key


class CardNetworkClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        if settings.card_network_signing_key_file is None:
            raise ProviderError("the card network needs PAYEEFLOW_CARD_NETWORK_SIGNING_KEY_FILE")
        self.base = settings.card_network_url.rstrip("/")
        self.consumer_key = settings.card_network_consumer_key.get_secret_value()
        self.key = load_signing_key(settings.card_network_signing_key_file)
        self.retries = settings.card_network_retries
        self.http = http or httpx.AsyncClient(timeout=settings.card_network_timeout)

    async def submit(self, searches: list[Search]) -> str:
        """A bulk search of ``searches``; its job id."""
        body = await self._call(
            "submit", "POST", "/bulk-searches", {"searches": [s.body() for s in searches]}
        )
        job_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(job_id, str) or not job_id:
            raise ProviderError(f"a submitted search came back without a job id: {str(body)[:200]}")
        return job_id

    async def status(self, job_id: str) -> str:
        """PENDING, COMPLETED or FAILED; ``ProviderError`` when the network no longer knows the job."""
        body = await self._call("status", "GET", f"/bulk-searches/{job_id}")
        status = body.get("status") if isinstance(body, dict) else None
        if status not in ("PENDING", "COMPLETED", "FAILED"):
            raise ProviderError(f"job {job_id}: unknown status {str(status)[:50]!r}")
        return status  # type: ignore[no-any-return]

    async def results(self, job_id: str) -> dict[str, CardAnswer]:
        """Each payee's answer, by its reference."""
        body = await self._call("results", "GET", f"/bulk-searches/{job_id}/results")
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise ProviderError(f"job {job_id}: results without a data list")
        answers = {}
        for item in data:
            try:
                record = item["record"]
                level = (
                    int(record["purchaseCardLevel"]) if record.get("purchaseCardLevel") is not None else None
                )
                answers[str(item["referenceId"])] = CardAnswer(
                    matched=record["matched"] is True,
                    confidence=as_text(record.get("confidenceLevel")),
                    merchant_id=as_text(record.get("merchantId")),
                    matched_name=as_text(record.get("matchedName")),
                    mcc=as_text(record.get("mcc")),
                    purchase_card_level=level if level is not None and 0 <= level <= 9 else None,  # 1-3
                )
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ProviderError(f"job {job_id}: a result not in the documented shape ({exc!r})") from exc
        return answers

    async def _call(self, call: str, method: str, path: str, payload: Any = None) -> Any:
        url = self.base + path
        content = "" if payload is None else json.dumps(payload)

        def headers() -> dict[str, str]:  # signed again for each attempt: a fresh nonce
            header = OAuth.get_authorization_header(url, method, content, self.consumer_key, self.key)
            signed = {"Authorization": header, "Accept": "application/json"}
            return signed | ({"Content-Type": "application/json"} if payload is not None else {})

        return await request_json(self.http, PROVIDER, call, method, url, content, headers, self.retries)

    async def close(self) -> None:
        await self.http.aclose()
