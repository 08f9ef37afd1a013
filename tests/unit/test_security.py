"""The API's guard without a database: requests without a valid key are counted per client address
before any lookup, an unknown key id is looked up once however many ask at once, and a good key
costs its address nothing."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from collections import Counter

import pytest
from fastapi import HTTPException, Request

from payeeflow.api import keys, security
from payeeflow.api.security import Guard
from payeeflow.config import Settings

GOOD = keys.ApiKey("good", "tests", ("read",), "1000/second")
SECRET = "s3cret"


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The key ids the guard asked the database about (a slow database, so requests overlap)."""
    asked: Counter[str] = Counter()

    async def lookup(request: Request, key_id: str) -> security.Found:
        asked[key_id] += 1
        await asyncio.sleep(0.01)
        return (GOOD, hashlib.sha256(SECRET.encode()).digest()) if key_id == "good" else None

    monkeypatch.setattr(security, "_lookup", lookup)
    return asked


def request_from(address: str) -> Request:
    return Request({"type": "http", "client": (address, 40000), "headers": []})


async def status(guard: Guard, address: str, presented: str | None) -> int:
    try:
        await guard.key(request_from(address), presented)
    except HTTPException as refused:
        return refused.status_code
    return 200


def test_a_flood_of_made_up_keys_is_refused_before_any_lookup(lookups: Counter[str]) -> None:
    guard = Guard(Settings(api_unauthenticated_rate_limit="10/minute"))

    async def flood() -> list[int]:
        made_up = [f"pf_{secrets.token_hex(6)}_{secrets.token_urlsafe(8)}" for _ in range(50)]
        return [await status(guard, "203.0.113.9", key) for key in made_up]

    answers = asyncio.run(flood())
    assert answers == [401] * 10 + [429] * 40
    assert len(lookups) == 10  # the refused never reached the database
    assert asyncio.run(status(guard, "198.51.100.7", f"pf_good_{SECRET}")) == 200  # another address
    assert asyncio.run(status(guard, "203.0.113.9", None)) == 429  # no key at all counts too


def test_an_unknown_key_id_is_asked_once_however_many_present_it(lookups: Counter[str]) -> None:
    guard = Guard(Settings(api_unauthenticated_rate_limit="1000/minute"))

    async def together() -> list[int]:
        at_once = [status(guard, f"192.0.2.{i}", "pf_madeup_x") for i in range(20)]
        return [
            *await asyncio.gather(*at_once),
            *[await status(guard, "192.0.2.99", "pf_madeup_y") for _ in range(5)],
        ]

    assert asyncio.run(together()) == [401] * 20 + [401] * 5
    assert lookups == {"madeup": 1}
    assert "madeup" not in guard.checked  # unknown ids never push good keys out of their cache


def test_a_good_key_gives_back_what_its_address_was_charged(lookups: Counter[str]) -> None:
    guard = Guard(Settings(api_unauthenticated_rate_limit="2/minute"))

    async def clerks() -> list[int]:
        guard.checked.clear()
        answers = []
        for _ in range(5):  # each time the cache forgot the key: looked up, counted, given back
            answers.append(await status(guard, "10.1.1.1", f"pf_good_{SECRET}"))
            guard.checked.clear()
        answers.append(await status(guard, "10.1.1.1", "pf_good_wrong"))  # a wrong secret counts
        answers.append(await status(guard, "10.1.1.1", "pf_good_wrong"))
        answers.append(await status(guard, "10.1.1.1", "pf_good_wrong"))
        return answers

    assert asyncio.run(clerks()) == [200] * 5 + [401, 401, 429]
