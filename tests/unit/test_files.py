"""Reading payee files: JSON Lines mapped like a CSV header, and the ids of payees without one."""

import json
from pathlib import Path

import pytest

from payeeflow.connectors.files.rows import open_rows, payee_id_for
from payeeflow.errors import InputError, RecordError


def jsonl(tmp_path: Path, *objects: object) -> Path:
    path = tmp_path / "payees.jsonl"
    path.write_text("".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects))
    return path


def test_json_lines_keys_are_mapped_as_a_header_is(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path,
        "{not json",
        {"Vendor Name": "  ACME PLUMBING LLC ", "Vendor ID": "V1", "City": "UNASSIGNED", "Amount": 5},
        {"Vendor Name": "JOHN A SMITH", "Vendor ID": "V2", "City": "Chicago"},
    )
    source = open_rows(path)
    rows = list(source.rows)
    assert source.mapping.describe() == "payee_id ← 'Vendor ID', name ← 'Vendor Name', city ← 'City'"
    assert isinstance(rows[0].values, RecordError) and rows[0].values.reason == "malformed_json"
    first, second = (row.values for row in rows[1:])
    assert (first["payee_id"], first["name"], first["city"], first["Amount"]) == (
        "V1",
        "ACME PLUMBING LLC",
        "",
        "5",
    )
    assert (second["name"], second["city"]) == ("JOHN A SMITH", "Chicago")


def test_json_lines_take_map_and_keep_field_names(tmp_path: Path) -> None:
    named = open_rows(jsonl(tmp_path, {"payee_id": "1", "name": "ACME LLC", "version": "3"}))
    assert next(named.rows).values == {"payee_id": "1", "name": "ACME LLC", "version": "3"}
    mapped = open_rows(jsonl(tmp_path, {"Payee": "X", "Remit": "ACME LLC"}), maps={"name": "Remit"})
    assert next(mapped.rows).values["name"] == "ACME LLC"
    with pytest.raises(InputError, match="no payee name column found"):
        open_rows(jsonl(tmp_path, {"Amount": "1"}))


def test_a_payee_without_an_id_is_known_by_its_name_and_address() -> None:
    same = payee_id_for({"name": "Acme  Plumbing LLC ", "city": "chicago", "state": "IL"})
    assert same == payee_id_for({"name": "ACME PLUMBING LLC", "city": "CHICAGO", "state": "IL"})
    assert same != payee_id_for({"name": "ACME PLUMBING LLC", "city": "AURORA", "state": "IL"})
    assert payee_id_for({"payee_id": " V-7 ", "name": "ACME"}) == "V-7"
    assert same.startswith("h-")
