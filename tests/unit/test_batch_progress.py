"""Batch progress is counted once a second whatever the number of polls, and only counts are kept."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import HTTPException

from payeeflow.api.routers import batches


def polls(monkeypatch: pytest.MonkeyPatch, answers: list[bytes | Exception]) -> tuple[Any, list[str]]:
    """A request of an app whose counts come from ``answers``, one a count, and the counts made."""
    counted: list[str] = []

    async def count(batch_id: str, pool: object) -> bytes:
        counted.append(batch_id)
        await asyncio.sleep(0.01)  # the polls meanwhile find the count running
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(batches, "_count", count)
    state = SimpleNamespace(batch_counts=batches.counted_lately(), pool=None)
    return SimpleNamespace(app=SimpleNamespace(state=state)), counted


def test_polls_at_once_wait_for_one_count(monkeypatch: pytest.MonkeyPatch) -> None:
    request, counted = polls(monkeypatch, [b'{"stored":1}'])

    async def poll_five() -> list[Any]:
        return await asyncio.gather(*(batches.get_batch(request, "B1") for _ in range(5)))

    answers = asyncio.run(poll_five())
    assert counted == ["B1"] and {answer.body for answer in answers} == {b'{"stored":1}'}


def test_a_failed_count_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    request, counted = polls(monkeypatch, [HTTPException(404, "no batch 'B2'"), b'{"stored":2}'])

    async def poll_twice() -> bytes:
        with pytest.raises(HTTPException):
            await batches.get_batch(request, "B2")
        return (await batches.get_batch(request, "B2")).body

    assert asyncio.run(poll_twice()) == b'{"stored":2}' and counted == ["B2", "B2"]
