"""Fixtures shared by unit and integration tests.

Tests that read the shared data folder (``../shared/data`` beside the checkout, or
``PAYEEFLOW_SHARED_DATA_DIR``) take the ``shared_data`` fixture: without the folder they skip with
the reason, but with ``PAYEEFLOW_REQUIRE_SHARED_DATA=1`` (``make test``, so CI) they fail instead,
so a missing folder never passes for green.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from payeeflow.agents.classification.logic import Classifier
from payeeflow.agents.exclusion import Screener
from tests.fakes.address_server import FakeAddressValidation
from tests.fakes.cardnetwork_server import FakeCardNetwork
from tests.fakes.openai_server import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
MOCK_REGISTRY = "mock://"  # confluent-kafka's in-process schema registry, for tests without a stack
SHARED_DATA = Path(os.environ.get("PAYEEFLOW_SHARED_DATA_DIR") or ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder; missing, a skip with the reason, or a failure where it is required."""
    if not SHARED_DATA.is_dir():
        why = f"no shared data folder at {SHARED_DATA} (set PAYEEFLOW_SHARED_DATA_DIR to where it is)"
        if os.environ.get("PAYEEFLOW_REQUIRE_SHARED_DATA"):
            pytest.fail(f"{why}; PAYEEFLOW_REQUIRE_SHARED_DATA is set", pytrace=False)
        pytest.skip(why)
    return SHARED_DATA


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeOpenAI]:
    """A local OpenAI-compatible chat-completions server (see tests/fakes)."""
    server = FakeOpenAI().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def card_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeCardNetwork]:
    """A local card-network bulk-search server checking OAuth 1.0a signatures (see tests/fakes)."""
    server = FakeCardNetwork(tmp_path_factory.mktemp("card-network")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def address_validation() -> Iterator[FakeAddressValidation]:
    """A local Address Validation server checking the API key (see tests/fakes)."""
    server = FakeAddressValidation().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def screener() -> Screener:
    return Screener.from_file()


@pytest.fixture(scope="session")
def classifier() -> Classifier:
    return Classifier.load()


async def wait_until_async(check: Callable[[], Any], timeout: float = 10, every: float = 0.01) -> Any:
    """``check()``'s first true value, asked every ``every`` s on the running loop (the tasks awaited
    meanwhile run); fails after ``timeout`` s. ``tests/integration``'s ``wait_until`` blocks instead."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(every)
    return value


def raw_record(name: str, payee_id: str = "p1", **payee: Any) -> dict[str, Any]:
    """A ``payees.raw`` record as ingest makes it."""
    return {
        "payee_id": payee_id,
        "batch_id": "b1",
        "source": "test",
        "source_ts": datetime(2026, 1, 1, tzinfo=UTC),
        "version": 1,
        "payee": {
            "name": name,
            "address": payee.get("address"),
            "city": payee.get("city"),
            "state": payee.get("state"),
            "zip": payee.get("zip"),
            "extra": payee.get("extra", {}),
        },
    }
