"""The lean readers of ``/payees`` and ``/batches/{id}`` decline every request not in its plain
form, so that FastAPI's handler answers it (and its 422s) as the OpenAPI document says."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from starlette.requests import Request

from payeeflow.api.lean import Reader, plain_int
from payeeflow.api.main import create_app
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


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/payees/P1", "/payees/{payee_id}"),
        ("/payees?batch_id=B1&limit=5", "/payees"),
        ("/batches/B1", "/batches/{batch_id}"),
    ],
)
def test_the_lean_door_answers_as_the_route_would_under_the_same_route(path: str, route: str) -> None:
    """Without a key, the door's reader refuses the plain request and FastAPI's dependency the
    one with an extra parameter (which the reader declines): the same answer, counted under the
    same route, so the router picks the very route the door does."""
    client = TestClient(create_app())  # no lifespan: without a key nothing reaches the database
    labels = {"route": route, "method": "GET", "status": "401"}
    before = REGISTRY.get_sample_value("payeeflow_api_request_seconds_count", labels) or 0
    plain = client.get(path)
    declined = client.get(path + ("&" if "?" in path else "?") + "verbose=true")
    assert plain.status_code == declined.status_code == 401
    assert plain.json() == declined.json()
    assert plain.headers["www-authenticate"] == declined.headers["www-authenticate"]
    assert REGISTRY.get_sample_value("payeeflow_api_request_seconds_count", labels) == before + 2
