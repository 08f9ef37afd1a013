"""HTTP intake against the real broker, worker, sink and PostgreSQL: what a file or an event sent
over HTTP becomes, compared with what ``payeeflow ingest`` and ``payeeflow process`` make of it."""

from __future__ import annotations

import csv
import gc
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import psycopg
import pytest

from payeeflow.agents.matching.synthetic import generate_payments, write_csv
from payeeflow.config import Settings
from tests.conftest import EXAMPLES
from tests.integration.conftest import Services, api, prefixed_copy, wait_until

pytestmark = pytest.mark.usefixtures("running")
STAGE_COLUMNS = ["excluded", "exclusion_category", "payee_type", "sic_code", "supplier_id", "match_type"]


def test_a_file_uploaded_over_http_is_stored_as_process_answers_it(
    settings: Settings, running: Services, tmp_path: Path
) -> None:
    path = prefixed_copy(EXAMPLES / "payees.csv", tmp_path / "payees.csv", settings.topic_prefix + "up-")
    with api(settings, "read") as reader:
        assert reader.post("/batches", content=path.read_bytes()).status_code == 403
    with api(settings, "ingest", "read") as client:
        accepted = client.post("/batches", params={"source": "payees.csv"}, content=path.read_bytes())
        assert accepted.status_code == 202, accepted.text
        batch_id = accepted.json()["batch_id"]
        assert client.get(f"/batches/{batch_id}").status_code == 200  # known at once
        status = wait_until(
            lambda: (s := client.get(f"/batches/{batch_id}").json())["status"].startswith("complete") and s
        )
        exported = list(csv.DictReader(io.StringIO(client.get(f"/batches/{batch_id}/results.csv").text)))
        lines = client.get(f"/batches/{batch_id}/results.jsonl").text.splitlines()
        letters = client.get("/dead-letters", params={"batch_id": batch_id}).json()["items"]
        assert client.get(f"/batches/{batch_id}/rejects").json()["items"] == []  # every row was readable
    assert (status["source"], status["total"], status["stored"], status["dead_lettered"]) == (
        "payees.csv",
        1003,
        1000,
        3,  # the sample's three poison rows, dead-lettered as after payeeflow ingest
    )
    out = tmp_path / "processed.csv"
    network = str(EXAMPLES / "suppliers.csv")
    done = subprocess.run(
        [sys.executable, "-m", "payeeflow", "process", str(path), "--network", network, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    with out.open(newline="") as fh:
        expected = {r["payee_id"]: [r[c] for c in STAGE_COLUMNS] for r in csv.DictReader(fh)}
    stored = {r["payee_id"]: [r[c] for c in STAGE_COLUMNS] for r in exported if r["outcome"] == "stored"}
    assert stored == expected
    assert len(exported) == len(lines) == 1003
    dead = {r["payee_id"]: r["dead_letter_reason"] for r in exported if r["outcome"] == "dead_letter"}
    assert sorted(dead.values()) == ["empty_name", "name_too_long", "undecodable_text"]
    assert {(d["payee_id"], d["reason"]) for d in letters} == set(dead.items())
    assert all(d["payload"]["batch_id"] == batch_id for d in letters)  # decoded from Avro


def test_an_unusable_upload_is_a_422_naming_the_problem(settings: Settings) -> None:
    with api(settings, "ingest") as client:
        refused = client.post("/batches", params={"source": "v.csv"}, content=b"amount,city\n10,X\n")
        assert refused.status_code == 422
        assert "no payee name column found (columns: amount, city)" in refused.json()["detail"][0]["msg"]
        wrong = client.post(
            "/batches", params={"source": "v.csv", "map": "name=Vendor"}, content=b"amount\n1\n"
        )
        assert wrong.status_code == 422 and "no column 'Vendor'" in wrong.json()["detail"][0]["msg"]
        assert client.post("/batches", content=b"").status_code == 422


def test_one_payee_event_is_stored_and_a_bad_one_refused(settings: Settings) -> None:
    payee_id = settings.topic_prefix + "EVENT-1"
    with api(settings, "ingest", "read") as client:
        sent = client.post("/payees", json={"payee_id": payee_id, "name": "ACME PLUMBING LLC", "state": "TX"})
        assert sent.status_code == 202, sent.text
        assert sent.json()["batch_id"] == "api"
        stored = wait_until(lambda: (r := client.get(f"/payees/{payee_id}")).status_code == 200 and r.json())
        assert (stored["name"], stored["payee_type"], stored["state"]) == (
            "ACME PLUMBING LLC",
            "BUSINESS",
            "TX",
        )
        refused = client.post("/payees", json={"payee_id": payee_id + "x", "name": "   "})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "name"]
        key_id = client.headers["X-API-Key"].split("_")[1]
    with psycopg.connect(settings.dsn) as conn:
        audited = conn.execute(
            "SELECT action, target FROM audit_log WHERE actor = %s ORDER BY id", (key_id,)
        ).fetchall()
    assert audited == [("payee.send", payee_id)]


def test_process_runs_every_stage_in_the_api_process(settings: Settings) -> None:
    with api(settings) as client:
        assert gc.get_freeze_count() > 0  # what startup loaded, out of the collector's way
        answer = client.post("/process", json={"name": "Internal Revenue Service", "address": "1 MAIN ST"})
    assert gc.get_freeze_count() == 0  # and back in it once the app stopped: this process goes on
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["screening"]["excluded"] is True and body["classification"]["payee_type"] == "GOVERNMENT"
    assert body["match"] is None  # this API has no supplier network (PAYEEFLOW_NETWORK_FILE)
    assert body["enrichment"]["address_line"] == "1 MAIN ST"


def test_a_batch_keeps_its_rows_when_a_later_batch_changes_the_payee(settings: Settings) -> None:
    payee_id, first, later = (settings.topic_prefix + s for s in ("SNAP-1", "snap-a", "snap-b"))
    with api(settings, "ingest", "read") as client:
        for batch_id, name, version in ((first, "ACME PLUMBING LLC", 1), (later, "JOHN A SMITH", 2)):
            event = {"payee_id": payee_id, "name": name, "version": version, "batch_id": batch_id}
            assert client.post("/payees", json=event).status_code == 202
            wait_until(lambda b=batch_id: client.get(f"/batches/{b}").json().get("stored") == 1)
        rows = {
            batch_id: next(csv.DictReader(io.StringIO(client.get(f"/batches/{batch_id}/results.csv").text)))
            for batch_id in (first, later)
        }
        counts = {b: client.get(f"/batches/{b}").json()["by_payee_type"] for b in (first, later)}
        current = client.get(f"/payees/{payee_id}").json()
        # a batch's search finds its payees as they are now, filtered on the payee's columns
        found = client.get("/payees", params={"batch_id": first, "name": "smith", "excluded": False}).json()
    assert (rows[first]["name"], rows[first]["payee_type"]) == ("ACME PLUMBING LLC", "BUSINESS")
    assert (rows[later]["name"], rows[later]["payee_type"]) == ("JOHN A SMITH", "INDIVIDUAL")
    assert counts == {first: {"BUSINESS": 1}, later: {"INDIVIDUAL": 1}}
    assert (current["name"], current["batch_id"]) == ("JOHN A SMITH", later)
    assert [p["payee_id"] for p in found["items"]] == [payee_id]


def test_an_excel_upload_is_a_batch_like_its_csv(settings: Settings, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["payee_id", "name", "city", "state", "zip"])
    with (EXAMPLES / "payees.csv").open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["name"].isprintable()][:200]
    for row in rows + rows[:20]:  # twenty payees paid twice
        sheet.append(
            [
                settings.topic_prefix + "x-" + row["payee_id"],
                row["name"],
                row["city"],
                row["state"],
                row["zip"],
            ]
        )
    path = tmp_path / "vendors.xlsx"
    book.save(path)
    with api(settings, "ingest", "read") as client:
        accepted = client.post("/batches", params={"source": "vendors.xlsx"}, content=path.read_bytes())
        assert accepted.status_code == 202, accepted.text
        batch_id = accepted.json()["batch_id"]
        status = wait_until(
            lambda: (
                (s := client.get(f"/batches/{batch_id}").json()).get("status", "").startswith("complete")
                and s
            )
        )
        assert (
            client.post("/batches", params={"source": "v.xlsx"}, content=b"name\nACME\n").status_code == 422
        )
    assert (status["source"], status["total"], status["stored"] + status["dead_lettered"]) == (
        "vendors.xlsx",
        200,
        200,
    )
    assert status["rows"] == 220  # the file's rows, repeats included


def test_a_payment_level_export_is_a_batch_whose_counts_add_up(settings: Settings, tmp_path: Path) -> None:
    """A generated payment export (vendors repeated Zipf-like, its own headers, lone-CR lines) with
    one broken row: the batch completes, and rows = distinct payees + repeats + the reject."""
    with (EXAMPLES / "payees.csv").open(newline="", encoding="utf-8") as fh:
        vendors = [r for r in csv.DictReader(fh) if r["name"].isprintable()][:150]
    for vendor in vendors:
        vendor["payee_id"] = settings.topic_prefix + "pay-" + vendor["payee_id"]
    path = tmp_path / "payments.csv"
    write_csv(generate_payments(vendors, 1_000, seed=5), path, line_end="\r")
    distinct = len({row["Vendor ID"] for row in generate_payments(vendors, 1_000, seed=5)})
    body = path.read_bytes() + b"2026-12-01,Parks,ACME,V-X,1 MAIN ST,X,IL,60601,1.00,stray\r"
    with api(settings, "ingest", "read") as client:
        accepted = client.post("/batches", params={"source": "payments.csv"}, content=body)
        assert accepted.status_code == 202, accepted.text
        batch_id = accepted.json()["batch_id"]
        status = wait_until(
            lambda: (s := client.get(f"/batches/{batch_id}").json())["status"].startswith("complete") and s
        )
    assert (status["rows"], status["total"], status["rejected_at_source"]) == (1_001, distinct, 1)
    assert status["stored"] + status["dead_lettered"] == distinct and status["pending"] == 0
    assert status["status"] == "complete_with_errors"  # the broken row


def test_an_id_given_to_two_payees_keeps_both_in_sight_and_the_first_payee_whole(settings: Settings) -> None:
    """``connectors/files/identities.py``: the second payee under an id is a reject naming the first's
    line (never folded into it), a repeat is folded, a move is the payee's later version."""
    payee_id = settings.topic_prefix + "C1"
    body = (
        "payee_id,name,address,city,state,zip\n"
        f"{payee_id},ACME PLUMBING LLC,1 MAIN ST,AUSTIN,TX,73301\n"
        f"{payee_id},ZENITH ROOFING INC,9 OAK AVE,DALLAS,TX,75201\n"
        f"{payee_id},Acme Plumbing L.L.C.,1 Main St,Austin,TX,73301\n"
        f"{payee_id},ACME PLUMBING LLC,500 ELM ST,HOUSTON,TX,77001\n"
    )
    with api(settings, "ingest", "read") as client:
        accepted = client.post("/batches", params={"source": "conflict.csv"}, content=body.encode())
        assert accepted.status_code == 202, accepted.text
        batch_id = accepted.json()["batch_id"]
        status = wait_until(
            lambda: (s := client.get(f"/batches/{batch_id}").json())["status"].startswith("complete") and s
        )
        [reject] = wait_until(lambda: client.get(f"/batches/{batch_id}/rejects").json()["items"])
        stored = wait_until(
            lambda: (p := client.get(f"/payees/{payee_id}").json()).get("address") == "500 ELM ST" and p
        )
        exported = list(csv.DictReader(io.StringIO(client.get(f"/batches/{batch_id}/results.csv").text)))
    assert (status["rows"], status["total"], status["stored"], status["rejected_at_source"]) == (4, 1, 1, 1)
    assert (reject["reason"], reject["offset"]) == ("conflicting_payee_id", 3)  # the file's line
    assert (
        f"payee id {payee_id!r} already stands for the payee of line 2, whose name differs" in reject["error"]
    )
    assert "ZENITH ROOFING INC" in reject["payload"]  # the row's text kept, to fix the id and replay
    assert (stored["name"], stored["city"]) == ("ACME PLUMBING LLC", "HOUSTON")  # the later version
    assert [(r["payee_id"], r["address"]) for r in exported] == [(payee_id, "500 ELM ST")]


def test_an_upload_whose_api_process_ended_reads_failed_not_receiving(settings: Settings) -> None:
    orphan, fresh = settings.topic_prefix + "orphan", settings.topic_prefix + "fresh"
    with psycopg.connect(settings.dsn) as conn:  # as a killed API process leaves its uploads
        conn.execute(
            "INSERT INTO uploads (batch_id, key_id, source, bytes, alive_at)"
            " VALUES (%s, 'k', 'a.csv', 10, now() - interval '5 minutes'), (%s, 'k', 'b.csv', 10, now())",
            (orphan, fresh),
        )
    with api(settings, "read") as client:
        orphaned, receiving = (client.get(f"/batches/{b}").json() for b in (orphan, fresh))
    assert orphaned["status"] == "failed" and "upload the file again" in orphaned["error"]
    assert receiving["status"] == "receiving" and receiving["error"] is None
