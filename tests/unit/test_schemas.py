import itertools
import json
from datetime import UTC, datetime

import fastavro
import pytest

from payeeflow.errors import DecodeError
from payeeflow.schemas.codec import SCHEMA_DIR, TOPIC_SCHEMAS, codec_for, load_schema_json
from tests.conftest import raw_record

SECTIONS = {
    "screening": {"excluded": False, "keyword": None, "category": None, "allow_listed": False},
    "classification": {
        "payee_type": "BUSINESS",
        "confidence": 0.9,
        "reason": "r",
        "sic_code": "1711",
        "sic_description": "Plumbing",
    },
    "match": {
        "supplier_id": "S1",
        "supplier_name": "ACME",
        "score": 99.0,
        "match_type": "exact",
        "supplier_sic_code": None,
        "supplier_accepts_card": True,
        "review": None,
        "candidates": [
            {
                "supplier_id": "S1",
                "supplier_name": "ACME",
                "score": 99.0,
                "evidence": ["name 96", "same state"],
            }
        ],
    },
    "enrichment": {
        "address_line": None,
        "city": None,
        "state": None,
        "zip": None,
        "address_status": "missing",
        "card_acceptance": "ACCEPTS",
        "payment_method": "CARD",
        "providers_pending": [],
    },
}
NOW = datetime(2026, 1, 1, tzinfo=UTC)
OTHERS = {
    "suppliers": {
        "supplier_id": "S1",
        "name": "ACME",
        "address": None,
        "city": "X",
        "state": "TX",
        "zip": None,
        "tax_id": None,
        "sic_code": None,
        "accepts_card": None,
        "updated_at": NOW,
    },
    "payees.batches": {
        "batch_id": "b",
        "source": "f.csv",
        "total": 3,
        "rejected": 0,
        "started_at": NOW,
        "finished_at": NOW,
    },
    "payees.dlq": {
        "stage": "exclusion",
        "reason": "empty_name",
        "error": "e",
        "topic": "payees.raw",
        "partition": 0,
        "offset": 4,
        "payee_id": None,
        "batch_id": None,
        "key": b"k",
        "payload": b"\x00",
        "failed_at": NOW,
    },
}


def sample(topic: str) -> dict:
    if topic in OTHERS:
        return OTHERS[topic]
    record = raw_record("ACME PLUMBING")
    fields = {f["name"] for f in load_schema_json(topic)["fields"]}
    record.update({k: v for k, v in SECTIONS.items() if k in fields})
    return record


@pytest.mark.parametrize("topic", TOPIC_SCHEMAS)
def test_every_schema_round_trips(topic: str) -> None:
    codec = codec_for(topic)
    record = sample(topic)
    assert codec.decode(codec.encode(record)) == record


def test_every_topic_has_a_schema_file() -> None:
    assert {p.name.removesuffix(".avsc") for p in SCHEMA_DIR.glob("*.avsc")} == set(TOPIC_SCHEMAS)


def test_named_types_are_identical_in_every_file() -> None:
    seen: dict[str, str] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("record", "enum") and "name" in node:
                text = json.dumps(node, sort_keys=True)
                assert seen.setdefault(node["name"], text) == text, node["name"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for topic in TOPIC_SCHEMAS:
        walk(load_schema_json(topic))


def test_each_stage_schema_can_read_the_previous_stage_fields() -> None:
    """Downstream schemas extend upstream ones: a consumer of a later topic sees every earlier field."""
    chain = ["payees.raw", "payees.screened", "payees.classified", "payees.matched", "payees.enriched"]
    for earlier, later in itertools.pairwise(chain):
        old = {f["name"] for f in load_schema_json(earlier)["fields"]}
        new = {f["name"] for f in load_schema_json(later)["fields"]}
        assert old <= new


def test_records_carry_the_envelope() -> None:
    for topic in ("payees.raw", "payees.screened", "payees.classified", "payees.matched", "payees.enriched"):
        names = [f["name"] for f in load_schema_json(topic)["fields"]]
        assert names[:5] == ["payee_id", "batch_id", "source", "source_ts", "version"]


def test_wire_format_and_bad_bytes() -> None:
    codec = codec_for("payees.raw")
    data = codec.encode(sample("payees.raw"))
    assert data[0] == 0 and int.from_bytes(data[1:5], "big") == codec.schema_id
    for bad in (b"", b"\x01" + data[1:], data[:5] + b"\xff\xff", data + b"extra", b"\x00\x00\x00\x00\x01abc"):
        with pytest.raises(DecodeError):
            codec.decode(bad)


def test_schema_ids_are_stable_and_distinct() -> None:
    ids = {topic: codec_for(topic).schema_id for topic in TOPIC_SCHEMAS}
    assert len(set(ids.values())) == len(ids)
    fastavro.parse_schema(load_schema_json("payees.raw"))
