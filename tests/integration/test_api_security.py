"""The API's keys, scopes, limits and strictness, its security headers and its exports' safety in a
spreadsheet, against the test PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import math
import secrets
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from payeeflow.api import keys, security
from payeeflow.api.main import create_app
from payeeflow.config import Settings
from tests.integration.conftest import api, api_service, settings_env

DATA = ["/payees/P1", "/payees?name=acme", "/batches/B1"]


@pytest.fixture(scope="module")
def anonymous(settings: Settings) -> TestClient:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize("path", DATA)
def test_without_a_key_every_data_endpoint_answers_401(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "APIKey"
    assert anonymous.get(path, headers={"X-API-Key": "pf_nokey_secret"}).status_code == 401
    assert anonymous.get(path, headers={"X-API-Key": "not a key"}).status_code == 401
    assert anonymous.post("/classify", json={"name": "ACME INC"}).status_code == 401


def test_health_readiness_metrics_and_docs_stay_open(anonymous: TestClient) -> None:
    assert anonymous.get("/health").status_code == 200
    assert anonymous.get("/metrics").headers["content-type"].startswith("text/plain")
    docs = anonymous.get("/docs").text
    assert "cdn" not in docs and "/static-offline-docs/swagger-ui-bundle.js" in docs
    assert anonymous.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    assert "cdn" not in anonymous.get("/redoc").text


def test_a_key_is_checked_on_a_connection_a_route_used_before(settings: Settings) -> None:
    with api(settings) as client:
        assert client.get("/ready").status_code == 200  # leaves its row factory on the pooled connection
        assert client.get("/batches/B-NONE").status_code == 404


def test_a_key_needs_the_scope_and_a_wrong_secret_is_refused(settings: Settings) -> None:
    with api(settings, "ingest") as client:
        assert client.get("/payees/P1").status_code == 403
        key_id = client.headers["X-API-Key"].split("_")[1]
        assert client.get("/payees/P1", headers={"X-API-Key": f"pf_{key_id}_wrong"}).status_code == 401
    with api(settings, "admin") as client:
        assert client.get("/payees/P1").status_code == 404  # admin may do what read may


def test_over_its_limit_a_key_gets_429_with_retry_after(settings: Settings) -> None:
    with api(settings, rate_limit="3/minute") as client:
        assert [client.get("/payees/P1").status_code for _ in range(3)] == [404] * 3
        refused = client.get("/payees/P1")
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60


def test_a_revoked_key_is_refused_once_the_cache_forgets_it(settings: Settings) -> None:
    quick = settings.model_copy(update={"api_key_cache_seconds": 0.01})
    with api(quick) as client:
        assert client.get("/payees/P1").status_code == 404
        assert keys.revoke(settings.dsn, client.headers["X-API-Key"].split("_")[1], actor="tests")
        time.sleep(0.05)  # time passing is what is tested: past the cache's 0.01 s, not a wait
        assert client.get("/payees/P1").status_code == 401


def test_the_apikey_commands_store_only_a_hash_and_audit_every_change(settings: Settings) -> None:
    env = {**settings_env(settings), "PATH": "/usr/bin:/bin"}

    def payeeflow(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "payeeflow", "apikey", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    secret = payeeflow("create", "--name", "ERP upload", "--scope", "ingest", "--scope", "read").split()[-1]
    key_id = secret.split("_")[1]
    assert key_id in payeeflow("list")
    with psycopg.connect(settings.dsn) as conn:
        stored = conn.execute("SELECT secret_sha256 FROM api_keys WHERE key_id = %s", (key_id,)).fetchone()
        assert stored is not None and secret.split("_", 2)[2].encode() not in bytes(stored[0])
    payeeflow("revoke", key_id)
    with psycopg.connect(settings.dsn) as conn:
        actions = conn.execute(
            "SELECT actor, action FROM audit_log WHERE target = %s ORDER BY id", (key_id,)
        ).fetchall()
    assert actions == [("cli", "apikey.create"), ("cli", "apikey.revoke")]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/payees/a\x00b", None),
        ("/payees", {"name": "ab\x00"}),
        ("/payees", {"batch_id": "\x00"}),
        ("/payees", {"cursor": "\x00"}),
        ("/batches/a\x00b", None),
        ("/payees/" + "x" * 20_000, None),
    ],
)
def test_bad_text_is_a_422_never_a_500(settings: Settings, path: str, params: dict | None) -> None:
    with api(settings) as client:
        response = client.get(path.replace("\x00", "%00"), params=params)
        assert response.status_code == 422 and isinstance(response.json()["detail"], list)
        assert len(response.text) < 2_000  # a long id is not echoed back whole


def test_classify_refuses_what_the_pipeline_refuses_as_documented(settings: Settings) -> None:
    with api(settings) as client:
        assert client.post("/classify", json={"name": "X" * 301}).status_code == 422
        refused = client.post("/classify", json={"name": "\ufffd\ufffd"})
        assert refused.status_code == 422 and isinstance(refused.json()["detail"], list)
        assert client.post("/classify", json={"name": "ACME PLUMBING LLC"}).json()["payee_type"] == "BUSINESS"
        schema = client.get("/openapi.json").json()
        assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
        assert schema["components"]["schemas"]["ClassifyRequest"]["properties"]["name"]["maxLength"] == 300


def test_metrics_count_requests_by_route_template_and_status(settings: Settings) -> None:
    with api(settings) as client:
        client.get("/payees/P-METRIC-1")
        text = client.get("/metrics").text
    assert 'payeeflow_api_request_seconds_count{method="GET",route="/payees/{payee_id}",status="404"}' in text


def test_every_worker_process_logs_its_requests_without_their_query(
    settings: Settings, tmp_path: Path
) -> None:
    """uvicorn's worker processes start with no logging set up: the API sets it up in each."""
    log = tmp_path / "api.log"
    _, secret = keys.create(settings.dsn, "log test", ["read"], "1000/second")
    with api_service(settings, log, workers=2, level="INFO") as url:
        for _ in range(20):  # both workers answer some
            httpx.get(f"{url}/payees", params={"name": "SOMEONE PRIVATE"}, headers={"X-API-Key": secret})
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    searches = [line for line in lines if line["logger"] == "uvicorn.access" and "/payees" in line["msg"]]
    assert len(searches) == 20 and all('"GET /payees HTTP/1.1" 200' in line["msg"] for line in searches)
    assert "PRIVATE" not in log.read_text()


def test_made_up_keys_are_looked_up_once_and_then_refused_by_address(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: Counter[str] = Counter()
    lookup = security._lookup

    async def counted(request: Any, key_id: str) -> security.Found:
        asked[key_id] += 1
        return await lookup(request, key_id)

    monkeypatch.setattr(security, "_lookup", counted)
    app = create_app(settings)

    async def from_address(scope: Any, receive: Any, send: Any) -> None:
        """The app, each request coming from the address in its ``X-Test-Address``."""
        if scope["type"] == "http":
            address = dict(scope["headers"]).get(b"x-test-address", b"203.0.113.9").decode()
            scope = {**scope, "client": (address, 40000)}
        await app(scope, receive, send)

    with TestClient(from_address) as attacker:
        started = time.monotonic()
        flood = [
            attacker.get(
                "/payees/P1", headers={"X-API-Key": f"pf_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"}
            )
            for _ in range(300)
        ]
        took = time.monotonic() - started
        codes = Counter(response.status_code for response in flood)
        # PAYEEFLOW_API_UNAUTHENTICATED_RATE_LIMIT, 60/minute: sixty at once, then one a second
        assert set(codes) == {401, 429} and 60 <= codes[401] <= 60 + math.ceil(took)
        assert [r.status_code for r in flood[:60]] == [401] * 60
        assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in flood if r.status_code == 429)
        assert len(asked) == codes[401] and set(asked.values()) == {1}  # the refused reached no database
        neighbour = {"X-Test-Address": "198.51.100.7"}
        for _ in range(5):
            made_up = attacker.get("/payees/P1", headers={**neighbour, "X-API-Key": "pf_madeup_secret"})
            assert made_up.status_code == 401
        assert asked["madeup"] == 1  # an unknown id is remembered as unknown
        _, secret = keys.create(settings.dsn, "good neighbour", ["read"], "1000/second")
        assert attacker.get("/payees/P1", headers={**neighbour, "X-API-Key": secret}).status_code == 404


def test_a_flood_at_the_api_service_meets_429_while_a_good_key_elsewhere_works(
    settings: Settings, tmp_path: Path
) -> None:
    _, secret = keys.create(settings.dsn, "flood test", ["read"], "1000/second")
    with api_service(settings, tmp_path / "api.log") as url, httpx.Client(timeout=10) as attacker:

        def made_up(_: int) -> int:
            key = f"pf_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
            return attacker.get(f"{url}/payees/P1", headers={"X-API-Key": key}).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            codes = Counter(pool.map(made_up, range(300)))
        took = time.monotonic() - started
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=10) as elsewhere:
            good = elsewhere.get(f"{url}/payees/P1", headers={"X-API-Key": secret})
    print(f"300 made-up keys from one address, 8 at a time, in {took:.2f} s: {dict(sorted(codes.items()))}")
    assert set(codes) == {401, 429} and 60 <= codes[401] <= 60 + math.ceil(took)
    assert good.status_code == 404  # a good key from another address is admitted


def test_the_page_and_the_api_answer_with_security_headers(anonymous: TestClient) -> None:
    page = anonymous.get("/ui/")
    assert page.status_code == 200 and '<script src="app.js"' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "unsafe" not in policy
    for answer in (page, anonymous.get("/ui/app.js"), anonymous.get("/payees/P1"), anonymous.get("/docs")):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert (
        anonymous.get("/health").headers["Content-Security-Policy"]
        == "default-src 'none'; frame-ancestors 'none'"
    )


def test_the_csv_export_keeps_formulas_out_and_the_json_export_exact(settings: Settings) -> None:
    names = {
        "F1": '=HYPERLINK("http://x.example","pay")',
        "F2": "@SUM(1+1)*cmd",
        "F3": "SMITH-JONES - AP DEPT",
        "F4": "\t+1+cmd|' /C calc'!A0",
    }
    batch_id = f"{settings.topic_prefix}formulas"
    with psycopg.connect(settings.dsn) as conn:
        conn.execute("DELETE FROM batch_payees WHERE batch_id = %s", (batch_id,))
        for payee_id, name in names.items():
            conn.execute(
                "INSERT INTO batch_payees (batch_id, payee_id, outcome, name, city, confidence, match_score)"
                " VALUES (%s, %s, 'stored', %s, '-', 0.5, 97)",
                (batch_id, payee_id, name),
            )
    with api(settings) as client:
        exported = list(csv.DictReader(io.StringIO(client.get(f"/batches/{batch_id}/results.csv").text)))
        lines = [
            json.loads(line) for line in client.get(f"/batches/{batch_id}/results.jsonl").text.splitlines()
        ]
    assert {row["payee_id"]: row["name"] for row in exported} == {
        "F1": "'" + names["F1"],
        "F2": "'" + names["F2"],
        "F3": names["F3"],  # a dash inside a name is left alone
        "F4": "'" + names["F4"],
    }
    assert {row["city"] for row in exported} == {"'-"}
    assert {(row["confidence"], row["match_score"]) for row in exported} == {("0.5", "97.0")}
    assert {line["payee_id"]: line["name"] for line in lines} == names  # JSON carries them exactly
