import io
import itertools
import json
import random
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import avro.schema
import fastavro
import pytest
import yaml
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from payeeflow.config import Settings
from payeeflow.errors import DecodeError, RegistryUnavailable
from payeeflow.schemas.codec import (
    COMPATIBILITY,
    SCHEMA_DIR,
    TOPIC_SCHEMAS,
    AvroCodec,
    codec_for,
    legacy_id,
    load_schema_json,
    registry_for,
)
from payeeflow.schemas.compatibility import problems
from payeeflow.schemas.history import check
from tests.conftest import MOCK_REGISTRY, ROOT, raw_record

MOCK = Settings(schema_registry_url=MOCK_REGISTRY, topic_prefix="schemas.")

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
        "probability": 0.99,
        "match_type": "exact",
        "candidate_id": None,
        "supplier_sic_code": None,
        "supplier_accepts_card": True,
        "review": None,
        "candidates": [
            {
                "supplier_id": "S1",
                "supplier_name": "ACME",
                "score": 99.0,
                "probability": 0.99,
                "evidence": ["same name", "same state"],
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
        "payment_confidence": 0.9,
        "payment_reason": "network supplier S1 takes cards (exact match)",
        "providers_pending": [],
        "card_network": {
            "outcome": "answered",
            "matched": True,
            "confidence": "HIGH",
            "merchant_id": "M1",
            "matched_name": "ACME",
            "mcc": "5085",
            "purchase_card_level": 3,
        },
        "address_validation": {
            "outcome": "answered",
            "address_complete": True,
            "unconfirmed_components": False,
            "next_action": "ACCEPT",
            "formatted_address": "1 MAIN ST, AUSTIN, TX 78701, USA",
            "business": True,
            "residential": False,
            "po_box": None,
        },
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
    "payees.corrections": {
        "payee_id": "p1",
        "name": "ACME PLUMBING - AP DEPT",
        "name_key": "ACME PLUMBING",
        "payee_type": "BUSINESS",
        "supplier_id": None,
        "supplier_name": None,
        "not_supplier": True,
        "note": "",
        "reviewer": "alice",
        "corrected_at": NOW,
    },
    "payees.batches": {
        "batch_id": "b",
        "source": "f.csv",
        "total": 3,
        "rejected": 0,
        "rows": 5,
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
        "payload_size": 3_000_000,
        "payload_sha256": "9f" * 32,
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
    codec = codec_for(topic, MOCK)
    record = sample(topic)
    assert codec.decode(codec.encode(record)) == record


def test_every_topic_has_a_schema_file() -> None:
    assert {p.name.removesuffix(".avsc") for p in SCHEMA_DIR.glob("*.avsc")} == set(TOPIC_SCHEMAS)


def test_shared_types_are_defined_once_in_their_own_files() -> None:
    shared = {path.stem.rsplit(".", 1)[1] for path in (SCHEMA_DIR / "types").glob("*.avsc")}
    assert {"Payee", "Screening", "Classification", "Match", "Enrichment"} <= shared
    for topic in TOPIC_SCHEMAS:
        text = (SCHEMA_DIR / f"{topic}.avsc").read_text()
        for name in shared:
            assert f'"name": "{name}"' not in text, (topic, name)  # referenced, never copied


def test_schemas_check_against_their_released_versions() -> None:
    assert check() == []
    done = subprocess.run(
        [sys.executable, "-m", "payeeflow", "schemas", "check"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


def test_an_incompatible_change_fails_the_check_naming_the_field(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    shutil.copytree(SCHEMA_DIR, schemas, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    payee = schemas / "types" / "io.payeeflow.Payee.avsc"
    changed = json.loads(payee.read_text())
    changed["fields"].append({"name": "iban", "type": ["null", "string"], "default": None})
    payee.write_text(json.dumps(changed))
    assert check(schemas) == []  # an optional field flows
    changed["fields"][-1] = {"name": "iban", "type": "string"}
    payee.write_text(json.dumps(changed))
    found = check(schemas)
    assert {why.split(".avsc")[0] for why in found} == {
        "payees.raw", "payees.screened", "payees.classified", "payees.matched", "payees.enriched"
    }  # fmt: skip
    assert all("field payee.iban" in why for why in found)


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
    codec = codec_for("payees.raw", MOCK)
    data = codec.encode(sample("payees.raw"))
    assert data[0] == 0 and int.from_bytes(data[1:5], "big") == codec.schema_id
    for bad in (b"", b"\x01" + data[1:], data[:5] + b"\xff\xff", data + b"extra", b"\x00\x00\x00\x00\x01abc"):
        with pytest.raises(DecodeError):
            codec.decode(bad)


def test_each_topic_registers_its_schema_under_its_subject() -> None:
    ids = {topic: codec_for(topic, MOCK).schema_id for topic in TOPIC_SCHEMAS}
    assert len(set(ids.values())) == len(ids)
    registry = registry_for(MOCK)
    for topic, schema_id in ids.items():
        latest = registry.get_latest_version(f"schemas.{topic}-value")
        assert latest.schema_id == schema_id


def test_confluent_serializers_read_and_write_our_bytes() -> None:
    """What another team's confluent-kafka consumer and producer do with a topic."""
    codec = codec_for("payees.enriched", MOCK)
    record = sample("payees.enriched")
    registry = registry_for(MOCK)
    ctx = SerializationContext("schemas.payees.enriched", MessageField.VALUE)
    theirs = AvroDeserializer(registry)(codec.encode(record), ctx)
    assert theirs == codec.decode(codec.encode(record))
    written = AvroSerializer(registry, json.dumps(load_schema_json("payees.enriched")))(record, ctx)
    assert codec.decode(written) == codec.decode(codec.encode(record))


def test_a_record_from_a_newer_writer_reads_with_todays_schema() -> None:
    """A producer already on a schema with a new optional field shares the topic with ours."""
    newer = load_schema_json("payees.raw")
    newer["fields"].append({"name": "note", "type": ["null", "string"], "default": None})
    registry = registry_for(MOCK)
    ctx = SerializationContext("schemas.payees.raw", MessageField.VALUE)
    record = {**sample("payees.raw"), "note": "from a newer ERP connector"}
    written = AvroSerializer(registry, json.dumps(newer))(record, ctx)
    assert codec_for("payees.raw", MOCK).decode(written) == sample("payees.raw")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "note", "type": "string"}, "note"),  # a new field without a default
        ({"name": "version", "type": "string"}, "version"),  # a field's type changed
    ],
)
def test_an_incompatible_change_is_named_by_its_field(change: dict, field: str) -> None:
    old = load_schema_json("payees.raw")
    new = json.loads(json.dumps(old))
    new["fields"] = [f for f in new["fields"] if f["name"] != change["name"]] + [change]
    found = problems(avro.schema.parse(json.dumps(new)), [avro.schema.parse(json.dumps(old))], COMPATIBILITY)
    assert found and field in found[0]


def test_an_optional_field_is_a_compatible_change_at_every_level() -> None:
    old = load_schema_json("payees.raw")
    new = json.loads(json.dumps(old))
    new["fields"].append({"name": "note", "type": ["null", "string"], "default": None})
    for level in ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FULL_TRANSITIVE"):
        assert not problems(avro.schema.parse(json.dumps(new)), [avro.schema.parse(json.dumps(old))], level)


def test_a_message_from_before_the_registry_still_decodes() -> None:
    codec = codec_for("payees.raw", MOCK)
    record = sample("payees.raw")
    body = codec.encode(record)[5:]
    old = b"\x00" + legacy_id(codec.schema).to_bytes(4, "big") + body
    assert codec.decode(old) == codec.decode(codec.encode(record))


def test_the_asyncapi_document_is_up_to_date_and_points_at_readable_schemas() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "payeeflow", "asyncapi", "--check", "-o", str(ROOT / "asyncapi.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    doc = yaml.safe_load((ROOT / "asyncapi.yaml").read_text())
    assert {c["address"] for c in doc["channels"].values()} == set(TOPIC_SCHEMAS)
    for message in doc["components"]["messages"].values():
        path = ROOT / message["payload"]["schema"]["$ref"]
        fastavro.parse_schema(json.loads(path.read_text()))  # the CLI does not parse Avro deeply
        assert message["bindings"]["kafka"]["schemaIdPayloadEncoding"] == "confluent"
    senders = {op["channel"]["$ref"] for op in doc["operations"].values() if op["action"] == "send"}
    receivers = {op["channel"]["$ref"] for op in doc["operations"].values() if op["action"] == "receive"}
    assert senders == receivers == {f"#/channels/{name}" for name in doc["channels"]}


class FlakyRegistry:
    """A registry that refuses connections a few times, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.schema = json.dumps(load_schema_json("payees.raw"))

    def register_schema(self, subject: str, schema: object) -> int:
        return 7

    def get_schema(self, schema_id: int) -> object:
        if self.failures:
            self.failures -= 1
            raise ConnectionRefusedError("registry down")
        return type("Found", (), {"schema_str": self.schema})()


async def test_a_registry_outage_is_waited_out_not_dead_lettered() -> None:
    codec = AvroCodec("payees.raw", "flaky.payees.raw", FlakyRegistry(failures=2), levels=False)  # type: ignore[arg-type]
    written_by_another = b"\x00" + (8).to_bytes(4, "big") + codec.encode(sample("payees.raw"))[5:]
    with pytest.raises(RegistryUnavailable):
        codec.decode(written_by_another)  # not a DecodeError: the record is not bad
    assert await codec.decode_waiting(written_by_another) == sample("payees.raw")


def test_each_stage_writes_its_topic_from_the_bytes_it_received(screener, classifier) -> None:  # type: ignore[no-untyped-def]
    """``AvroCodec.extend`` is ``encode`` for every stage's record as the stages really make them:
    no stage touches a section but its own (else the copied bytes would be stale)."""
    import csv

    from payeeflow.agents.enrichment import Enricher
    from payeeflow.agents.matching import Matcher
    from payeeflow.agents.validation import validate_record
    from tests.conftest import EXAMPLES

    stages = [
        ("payees.screened", screener.apply),
        ("payees.classified", classifier.apply),
        ("payees.matched", Matcher.from_csv(EXAMPLES / "suppliers.csv").apply),
        ("payees.enriched", Enricher().apply),
    ]
    codecs = [codec_for(topic, MOCK) for topic, _ in stages]
    assert not codecs[-1].extends(codec_for("payees.raw", MOCK))  # two sections apart: in full
    with (EXAMPLES / "payees.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(itertools.islice(csv.DictReader(fh), 300))
    for n, row in enumerate(rows):
        extra = {"tax_id": "12-3456789"} if n % 7 == 0 else {}
        record = raw_record(
            row["name"],
            row["payee_id"],
            address=row["address"] or None,
            city=row["city"] or None,
            state=row["state"] or None,
            zip=row["zip"] or None,
            extra=extra,
        )
        validate_record(record, 300)
        received = codecs[0].encode(screener.apply(record))
        for (topic, apply), codec, previous in zip(stages[1:], codecs[1:], codecs[:-1], strict=True):
            assert codec.extends(previous), topic
            record = apply(record)
            written = codec.extend(received, record)
            assert written == codec.encode(record), (topic, row["name"])
            assert codec.decode(written) == codec.decode(codec.encode(record))
            received = written


def _random_value(schema: object, named: dict[str, object], rng: random.Random) -> object:
    """A value of any shape ``schema`` allows: every union branch, empty and long containers,
    text beyond ASCII, the extremes of each number type."""
    if isinstance(schema, list):
        return _random_value(rng.choice(schema), named, rng)
    if isinstance(schema, str):
        if schema in named:
            return _random_value(named[schema], named, rng)
        schema = {"type": schema}
    assert isinstance(schema, dict)
    kind = schema["type"]
    if not isinstance(kind, str):
        return _random_value(kind, named, rng)
    if schema.get("logicalType") == "timestamp-millis":
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=rng.randint(-(10**12), 10**13))
    if kind in ("record", "enum", "fixed"):
        named[schema["name"]] = schema
        named[f"{schema.get('namespace', '')}.{schema['name']}".lstrip(".")] = schema
    match kind:
        case "null":
            return None
        case "boolean":
            return rng.random() < 0.5
        case "int":
            return rng.choice([0, -1, 2**31 - 1, -(2**31), rng.randint(-1000, 1000)])
        case "long":
            return rng.choice([0, -1, 2**63 - 1, -(2**63), rng.randint(-(10**12), 10**12)])
        case "float":
            return rng.choice([0.0, -1.5, 0.25, 1e30])
        case "double":
            return rng.choice([0.0, -1.5, rng.random() * 100, 1e300, float("inf")])
        case "bytes":
            return rng.randbytes(rng.randint(0, 40))
        case "string":
            return "".join(rng.choice("aZ 9-é€😀\u0000") for _ in range(rng.randint(0, 30)))
        case "enum":
            return rng.choice(schema["symbols"])
        case "fixed":
            return rng.randbytes(schema["size"])
        case "array":
            return [_random_value(schema["items"], named, rng) for _ in range(rng.choice([0, 1, 3, 70]))]
        case "map":
            return {
                f"k{n}é": _random_value(schema["values"], named, rng) for n in range(rng.choice([0, 2, 5]))
            }
        case "record":
            return {f["name"]: _random_value(f["type"], named, rng) for f in schema["fields"]}
    raise AssertionError(f"no values for {kind}")


def _fastavro_bytes(codec: AvroCodec, record: object) -> bytes:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, codec.schema, record)
    return codec._header + buf.getvalue()


@pytest.mark.parametrize("topic", TOPIC_SCHEMAS)
def test_the_compiled_schema_reads_and_writes_every_shape_as_fastavro_does(topic: str) -> None:
    codec = codec_for(topic, MOCK)
    assert codec._compiled is not None  # every topic's schema compiles
    rng = random.Random(topic)
    spec = load_schema_json(topic)
    for _ in range(300):
        record = _random_value(spec, {}, rng)
        data = codec.encode(record)  # type: ignore[arg-type]
        assert data == _fastavro_bytes(codec, record)
        ours = codec.decode(data)
        theirs = fastavro.schemaless_reader(io.BytesIO(data[5:]), codec.schema, None)
        assert ours == theirs
        assert json.dumps(ours, default=repr) == json.dumps(theirs, default=repr)  # same order and types
        for cut in range(5, len(data), max(1, len(data) // 10)):  # a cut message is refused, never read
            with pytest.raises(DecodeError):
                codec.decode(data[:cut])


def test_the_compiled_writer_takes_defaults_and_refuses_wrong_values_naming_the_field() -> None:
    codec = codec_for("payees.enriched", MOCK)
    record = sample("payees.enriched")
    del record["enrichment"]["providers_pending"]  # has a default
    assert codec.encode(record) == _fastavro_bytes(codec, record)
    for change, error in (
        (lambda r: r.pop("version"), "no value and no default for version"),
        (lambda r: r["payee"].update(name=7), "field name"),
        (lambda r: r.update(version="7"), "field version"),
        (lambda r: r["payee"].update(extra={"k": 1}), "field extra"),
        (lambda r: r["payee"].update(city="\ud800"), "field city"),
    ):
        bad = sample("payees.enriched")
        change(bad)
        with pytest.raises((TypeError, ValueError), match=error):
            codec.encode(bad)
        with pytest.raises((TypeError, ValueError)):  # as fastavro refuses it
            _fastavro_bytes(codec, bad)
