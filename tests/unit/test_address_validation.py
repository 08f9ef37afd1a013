"""Address validation: the client against the local fake (documented shape, retries, refusals),
the provider's guard (budget, breaker), and what the enrichment makes of an answer (or of a
provider that is shut)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from payeeflow.agents.enrichment.logic import ADDRESS_VALIDATION, CARD_NETWORK, Enricher
from payeeflow.agents.providers.addressvalidation import AddressAnswer, AddressValidationClient
from payeeflow.agents.providers.guards import Guard
from payeeflow.agents.providers.http import ProviderError
from payeeflow.agents.providers.workflow import SlowProviders
from payeeflow.config import Settings
from tests.conftest import MOCK_REGISTRY
from tests.fakes.address_server import API_KEY, FakeAddressValidation


def client(fake: FakeAddressValidation, key: str = API_KEY) -> AddressValidationClient:
    settings = Settings(
        address_validation_url=fake.base_url, address_validation_api_key=key, address_validation_retries=2
    )
    return AddressValidationClient(settings)


async def test_an_address_is_sent_in_the_documented_shape_and_read_back(
    address_validation: FakeAddressValidation,
) -> None:
    address_validation.reset()
    google = client(address_validation)
    answer = await google.validate("419 WEST 4TH STREET SUITE 2", "Chicago", "IL", "60601")
    [sent] = address_validation.requests
    assert sent == {
        "address": {
            "regionCode": "US",
            "addressLines": ["419 WEST 4TH STREET SUITE 2"],
            "locality": "Chicago",
            "administrativeArea": "IL",
            "postalCode": "60601",
        },
        "enableUspsCass": True,
    }
    assert answer.address_complete and not answer.unconfirmed and answer.next_action == "ACCEPT"
    assert answer.usps() == {
        "address_line": "419 W 4TH ST STE 2",
        "city": "CHICAGO",
        "state": "IL",
        "zip": "60601",
    }
    assert answer.business is True and answer.po_box is False
    await google.close()


async def test_429_and_500_are_retried_and_a_refusal_or_malformed_answer_is_an_error(
    address_validation: FakeAddressValidation,
) -> None:
    address_validation.reset("429", "500")
    google = client(address_validation)
    assert (await google.validate("1 MAIN ST", None, "TX", None)).address_complete  # third attempt
    address_validation.reset("malformed")
    with pytest.raises(ProviderError, match="not JSON"):
        await google.validate("1 MAIN ST", None, "TX", None)
    await google.close()
    with pytest.raises(ProviderError, match="HTTP 403"):
        await client(address_validation, key="wrong").validate("1 MAIN ST", None, "TX", None)
    with pytest.raises(ProviderError, match="documented shape"):
        AddressAnswer.from_response({"no": "result"})
    odd = AddressAnswer.from_response(
        {"result": {"verdict": {"addressComplete": "yes"}, "uspsData": {"standardizedAddress": {"city": 5}}}}
    )
    assert (odd.address_complete, odd.city, odd.usps()) == (
        False,
        None,
        None,
    )  # wrong types read as no answer


def test_a_guard_refuses_past_its_budget_and_while_its_circuit_is_open() -> None:
    guard = Guard(
        ADDRESS_VALIDATION, Settings(address_validation_daily_budget=2, address_validation_breaker_failures=2)
    )
    assert [guard.refusal() for _ in range(3)] == [None, None, "over_budget"]
    guard.budget.spent = 0
    guard.failed()
    guard.failed()
    assert guard.refusal() == "circuit_open" and guard.breaker.state == "open"
    labels = {"provider": ADDRESS_VALIDATION}
    assert REGISTRY.get_sample_value("payeeflow_provider_breaker_open", labels) == 1
    guard.succeeded()
    assert guard.refusal() is None


def record(address: str, city: str = "CHICAGO", state: str = "IL", zip_code: str = "60601") -> dict:
    payee = {"name": "ACME SUPPLY", "address": address, "city": city, "state": state, "zip": zip_code}
    return {
        "payee": payee,
        "screening": {"excluded": False},
        "classification": {"payee_type": "BUSINESS"},
        "match": {"supplier_id": None},
    }


def test_an_answer_gives_the_next_version_its_usps_lines_and_verdict() -> None:
    enricher = Enricher(card_network=True, address_validation=True)
    first = enricher.apply(record("419 West 4th Street"))
    assert first["enrichment"]["providers_pending"] == [ADDRESS_VALIDATION, CARD_NETWORK]
    confirmed = AddressAnswer(
        True, False, "ACCEPT", first_line="419 W 4TH ST", city="CHICAGO", state="IL", zip="60601"
    )
    same = enricher.validated(first, confirmed.to_record(), confirmed.usps())["enrichment"]
    assert (same["address_status"], same["providers_pending"]) == ("complete", [CARD_NETWORK])
    assert same["address_validation"]["outcome"] == "answered"
    moved = AddressAnswer(True, False, "ACCEPT", first_line="419 W 4TH ST STE 2", city="CHICAGO", state="IL")
    second = enricher.apply(record("419 West 4th Street"))
    corrected = enricher.validated(second, moved.to_record(), moved.usps())["enrichment"]
    assert (corrected["address_line"], corrected["address_status"]) == ("419 W 4TH ST STE 2", "corrected")
    fix = AddressAnswer(False, True, "FIX")
    wrong = enricher.validated(enricher.apply(record("MAIN")), fix.to_record(), None)["enrichment"]
    assert wrong["address_status"] == "inconsistent" and "address inconsistent" in wrong["payment_reason"]
    assert wrong["payment_confidence"] < same["payment_confidence"]  # a check to it is less sure
    down = enricher.apply(record("419 West 4th Street"))
    offline = down["enrichment"]["address_status"]
    kept = enricher.validated(down, AddressAnswer(False, False).to_record("circuit_open"), None)["enrichment"]
    assert kept["address_status"] == offline and kept["address_validation"]["outcome"] == "circuit_open"


def test_a_payee_without_an_address_is_not_sent() -> None:
    enriched = Enricher(address_validation=True).apply(record("", city="", state="", zip_code=""))
    assert enriched["enrichment"]["providers_pending"] == []


def test_a_shut_provider_is_answered_in_the_first_version() -> None:
    """While a provider's circuit is open or its budget spent, a payee is stored once with why,
    not pending and then again; the other provider still waits, and spends nothing meanwhile."""
    settings = Settings(
        card_network_breaker_failures=1, address_validation_daily_budget=1, schema_registry_url=MOCK_REGISTRY
    )
    providers = SlowProviders(None, settings, "payees.matched")  # type: ignore[arg-type]
    apply = providers.screened(Enricher(card_network=True, address_validation=True).apply)
    assert apply(record("419 West 4th Street"))["enrichment"]["providers_pending"] == [
        ADDRESS_VALIDATION,
        CARD_NETWORK,
    ]
    providers.card_guard.failed()  # its circuit opens
    down = apply(record("419 West 4th Street"))["enrichment"]
    assert down["providers_pending"] == [ADDRESS_VALIDATION]
    assert down["card_network"]["outcome"] == "circuit_open" and down["payment_method"] == "CHECK"
    assert providers.address_guard.refusal() is None  # the last of today's budget
    spent = apply(record("419 West 4th Street"))["enrichment"]
    assert spent["providers_pending"] == [] and spent["address_validation"]["outcome"] == "over_budget"


async def test_an_enrichment_worker_settles_at_once_what_its_providers_process_reports_shut() -> None:
    """With the jobs advanced by a providers process, that process says on the jobs topic when a
    provider's circuit opens or closes (once a change), and the enrichment worker answers such
    payees in their first version, as it would with the provider in its own hands."""
    settings = Settings(card_network_breaker_failures=1, schema_registry_url=MOCK_REGISTRY)
    process = SlowProviders(None, settings, "payees.provider-jobs")  # type: ignore[arg-type]
    worker = SlowProviders(None, settings, "payees.matched", advancing=False)  # type: ignore[arg-type]
    sent: list[tuple[str, bytes | None]] = []

    async def send(topic: str, key: str, value: bytes | None, partition: int | None = None) -> None:
        sent.append((key, value))
        worker.feed.apply(key.encode(), value)  # the worker's feed reads it

    process._send = send  # type: ignore[method-assign]
    apply = worker.screened(Enricher(card_network=True).apply)
    await process.report_shut()  # the first tick: both open to requests
    await process.report_shut()
    assert sent == [("shut-card_network", None), ("shut-address_validation", None)]
    assert apply(record("419 West 4th Street"))["enrichment"]["providers_pending"] == [CARD_NETWORK]
    process.card_guard.failed()  # its circuit opens, in the providers process
    await process.report_shut()
    assert sent[-1] == ("shut-card_network", b'{"reason": "circuit_open"}')
    down = apply(record("419 West 4th Street"))["enrichment"]
    assert down["providers_pending"] == [] and down["card_network"]["outcome"] == "circuit_open"
    process.card_guard.succeeded()  # closed again
    await process.report_shut()
    assert sent[-1] == ("shut-card_network", None) and len(sent) == 4
    assert apply(record("419 West 4th Street"))["enrichment"]["providers_pending"] == [CARD_NETWORK]
