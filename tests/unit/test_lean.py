"""The lean readers of ``/payees`` and ``/batches/{id}`` decline every request not in its plain
form, so that FastAPI's handler answers it (and its 422s) as the OpenAPI document says."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from starlette.requests import Request

from payeeflow.api.lean import Reader, plain_int
from payeeflow.api.routers.batches import get_batch_lean
from payeeflow.api.routers.payees import get_payee_lean, search_payees_lean


def request(query: list[tuple[str, str]], path_params: dict[str, str] | None = None) -> Request:
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/payees",
        "query_string": urlencode(query).encode(),
        "headers": [],
        "path_params": path_params or {},
    }
    return Request(scope)


@pytest.mark.parametrize(
    "query",
    [
        [("limit", "050")],  # pydantic's to judge
        [("limit", "0")],
        [("limit", "501")],
        [("limit", "5"), ("limit", "5")],  # repeated
        [("limit", "٥")],  # a digit, not ASCII
        [("needs_review", "1")],
        [("excluded", "yes")],
        [("payee_type", "business")],
        [("name", "a")],
        [("name", "a" * 201)],
        [("name", "ab\x00")],
        [("cursor", "\x00")],
        [("batch_id", "b" * 201)],
        [("colour", "red")],  # unknown
    ],
)
def test_a_search_not_in_its_plain_form_is_left_to_fastapi(query: list[tuple[str, str]]) -> None:
    assert asyncio.run(search_payees_lean(request(query))) is None


@pytest.mark.parametrize(("reader", "name"), [(get_payee_lean, "payee_id"), (get_batch_lean, "batch_id")])
@pytest.mark.parametrize(
    ("key", "query"),
    [("a\x00b", []), ("x" * 201, []), ("P1", [("verbose", "true")])],
)
def test_a_lookup_not_in_its_plain_form_is_left_to_fastapi(
    reader: Reader, name: str, key: str, query: list[tuple[str, str]]
) -> None:
    assert asyncio.run(reader(request(query, {name: key}))) is None


def test_plain_numbers_are_decimal_digits_in_range() -> None:
    assert [plain_int(v, 1, 500) for v in ("1", "50", "500", "0", "501", "050", "+5", " 5", "5.0")] == [
        1,
        50,
        500,
        None,
        None,
        None,
        None,
        None,
        None,
    ]
