"""Client of the card network's bulk supplier search (the submit-then-poll pattern of Mastercard's
supplier-search APIs; see RESEARCH.md): submit up to 100 payees, get a job id at once (202), poll
the job until COMPLETED, then read one result per payee.

Every request is signed with OAuth 1.0a and a body hash, RSA-SHA256, by Mastercard's own signer
(``mastercard-oauth1-signer``). 429, 5xx and network errors are retried with exponential backoff
and jitter (honouring ``Retry-After``); anything else, or a body that is not the documented shape,
is a ``ProviderError`` the caller turns into "no answer" for the payees concerned.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from oauth1.oauth import OAuth
from prometheus_client import Counter, Histogram

from payeeflow.config import Settings
from payeeflow.errors import PayeeflowError

log = logging.getLogger(__name__)

CALLS = Counter(
    "payeeflow_provider_calls_total",
    "Paid provider requests, by provider, call and outcome",
    ["provider", "call", "outcome"],
)
SECONDS = Histogram(
    "payeeflow_provider_seconds",
    "Paid provider request latency, by provider and call",
    ["provider", "call"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
RETRIED = frozenset({408, 425, 429, 500, 502, 503, 504})
PROVIDER = "card_network"


class ProviderError(PayeeflowError):
    """A provider's refusal or an answer not in its documented shape."""


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
                level = record.get("purchaseCardLevel")
                answers[str(item["referenceId"])] = CardAnswer(
                    matched=bool(record["matched"]),
                    confidence=record.get("confidenceLevel"),
                    merchant_id=record.get("merchantId"),
                    matched_name=record.get("matchedName"),
                    mcc=record.get("mcc"),
                    purchase_card_level=int(level) if level is not None else None,
                )
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ProviderError(f"job {job_id}: a result not in the documented shape ({exc!r})") from exc
        return answers

    async def _call(self, call: str, method: str, path: str, payload: Any = None) -> Any:
        url = self.base + path
        content = "" if payload is None else json.dumps(payload)
        delay = 0.5
        for attempt in range(self.retries + 1):
            header = OAuth.get_authorization_header(url, method, content, self.consumer_key, self.key)
            headers = {"Authorization": header, "Accept": "application/json"}
            if payload is not None:
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            try:
                response = await self.http.request(method, url, content=content or None, headers=headers)
            except httpx.HTTPError as exc:
                outcome, wait, error = "network_error", None, f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 300:
                    SECONDS.labels(PROVIDER, call).observe(time.perf_counter() - started)
                    CALLS.labels(PROVIDER, call, "ok").inc()
                    try:
                        return response.json()
                    except ValueError as exc:
                        CALLS.labels(PROVIDER, call, "malformed").inc()
                        raise ProviderError(
                            f"{call}: the answer is not JSON: {response.text[:200]!r}"
                        ) from exc
                outcome, error = (
                    str(response.status_code),
                    f"HTTP {response.status_code}: {response.text[:200]}",
                )
                if response.status_code not in RETRIED:
                    CALLS.labels(PROVIDER, call, outcome).inc()
                    raise ProviderError(f"{call}: {error}")
                wait = _retry_after(response)
            CALLS.labels(PROVIDER, call, outcome).inc()
            if attempt == self.retries:
                raise ProviderError(f"{call}: {error} (after {attempt + 1} attempts)")
            await asyncio.sleep(wait if wait is not None else delay * random.uniform(0.5, 1.5))
            delay *= 2
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.http.aclose()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return min(float(value), 60.0) if value.replace(".", "", 1).isdigit() else None
