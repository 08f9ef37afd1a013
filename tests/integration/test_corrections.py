"""Corrections against the real broker, worker, sink and PostgreSQL: a reviewer's answer is stored
with who and when, shown on the payee, applied by the running stages to later records of the payee
and of its name, exported, and withdrawn."""

from __future__ import annotations

import csv
import io
import re

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from payeeflow.config import Settings
from tests.integration.conftest import Services, api, wait_until

pytestmark = pytest.mark.usefixtures("running")
SUPPLIER = "S0070001972"  # REIGN MANAGEMENT GROUP, INC in the sample network


def stored(client: TestClient, payee_id: str, check=lambda payee: True):  # type: ignore[no-untyped-def]
    def answer():  # type: ignore[no-untyped-def]
        response = client.get(f"/payees/{payee_id}")
        return response.status_code == 200 and check(payee := response.json()) and payee

    return wait_until(answer)


def send(client: TestClient, payee_id: str, name: str, version: int = 1) -> None:
    sent = client.post(
        "/payees", json={"payee_id": payee_id, "name": name, "state": "TX", "version": version}
    )
    assert sent.status_code == 202, sent.text


def corrections_in_worker(settings: Settings) -> float:
    text = httpx.get(f"http://127.0.0.1:{settings.worker_web_port}/metrics", timeout=5).text
    found = re.search(r"^payeeflow_corrections (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_a_correction_is_stored_shown_applied_to_later_records_and_withdrawn(
    settings: Settings, running: Services
) -> None:
    first, same_name = settings.topic_prefix + "C-1", settings.topic_prefix + "C-2"
    with api(settings, "ingest", "read", "review") as clerk:
        send(clerk, first, "REIGN MANAGEMENT GROUP")
        assert stored(clerk, first)["supplier_id"] == SUPPLIER
        with api(settings, "read") as reader:
            refused = reader.post(f"/payees/{first}/correction", json={"not_supplier": True})
            assert refused.status_code == 403
        assert clerk.post("/payees/nobody/correction", json={"not_supplier": True}).status_code == 404
        both = clerk.post(f"/payees/{first}/correction", json={"not_supplier": True, "supplier_id": "S1"})
        assert both.status_code == 422

        said = {"payee_type": "GOVERNMENT", "not_supplier": True, "note": "a county office"}
        made = clerk.post(f"/payees/{first}/correction", json=said)
        assert made.status_code == 202, made.text
        assert made.json()["name_key"] == "REIGN MANAGEMENT GROUP" and made.json()["reviewer"] == "tests"

        # the stored row takes the answer, and the payee's page shows who said it
        payee = stored(clerk, first, lambda p: p["correction"] is not None and p["match_type"] == "none")
        assert (payee["payee_type"], payee["confidence"], payee["supplier_id"]) == ("GOVERNMENT", 1.0, None)
        assert payee["needs_review"] is False and payee["correction"]["note"] == "a county office"

        # a later payee of the same name, as another ERP exports it, gets it from the stages
        wait_until(lambda: corrections_in_worker(settings) >= 1)
        send(clerk, same_name, "Reign Management Group - AP DEPT")
        later = stored(clerk, same_name)
        assert later["payee_type"] == "GOVERNMENT" and later["supplier_id"] is None
        assert (
            later["reason"]
            == f"set by reviewer tests on {payee['correction']['corrected_at'][:10]}: a county office"
        )
        assert later["correction"] is None  # made on the first payee, applied by name

        listed = clerk.get("/corrections", params={"reviewer": "tests"}).json()["items"]
        assert [c["payee_id"] for c in listed if c["payee_id"] == first] == [first]
        exported = list(csv.DictReader(io.StringIO(clerk.get("/corrections.csv").text)))
        row = next(r for r in exported if r["payee_id"] == first)
        assert (row["payee_type"], row["not_supplier"], row["reviewer"]) == ("GOVERNMENT", "true", "tests")

        assert clerk.delete(f"/payees/{first}/correction").status_code == 202
        stored(clerk, first, lambda p: p["correction"] is None)
        wait_until(lambda: corrections_in_worker(settings) == 0)
        send(clerk, same_name, "Reign Management Group - AP DEPT", version=2)
        again = stored(clerk, same_name, lambda p: p["version"] == 2)
        assert again["supplier_id"] == SUPPLIER and again["reason"].startswith("model")
        assert clerk.delete(f"/payees/{first}/correction").status_code == 404

    with psycopg.connect(settings.dsn) as conn:
        actions = conn.execute(
            "SELECT action FROM audit_log WHERE target = %s ORDER BY id", (first,)
        ).fetchall()
    assert [a for (a,) in actions if a.startswith("correction")] == ["correction.set", "correction.withdraw"]
