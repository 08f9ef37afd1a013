"""The schema registry as other teams meet it: confluent-kafka's own clients against the stand-in,
and the running pipeline's topics read and written with them, old and new schemas together."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from functools import partial
from typing import Any

import httpx
import psycopg
import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from payeeflow.config import Settings, registry_conf
from payeeflow.schemas.codec import COMPATIBILITY, TOPIC_SCHEMAS, load_schema_json
from payeeflow.streams.topics import CLASSIFIED, ENRICHED, RAW
from tests.conftest import ROOT, raw_record
from tests.integration.conftest import Services, wait_until


def record_schema(name: str, fields: list[dict[str, Any]]) -> Schema:
    return Schema(json.dumps({"type": "record", "name": name, "fields": fields}), "AVRO")


@pytest.fixture
def registry(settings: Settings) -> SchemaRegistryClient:
    """A client as payeeflow's own are made: with the admin key, as basic authentication."""
    return SchemaRegistryClient({"url": settings.schema_registry_url, **registry_conf(settings)})


def test_writes_need_the_admin_key_and_reads_need_nothing(
    settings: Settings, registry: SchemaRegistryClient
) -> None:
    subject = f"{settings.topic_prefix}guarded-value"
    schema = record_schema("Guarded", [{"name": "a", "type": "string"}])
    anonymous = SchemaRegistryClient({"url": settings.schema_registry_url})
    wrong = SchemaRegistryClient({"url": settings.schema_registry_url, "basic.auth.user.info": "admin:guess"})
    for client in (anonymous, wrong):
        for write in (
            partial(client.register_schema, subject, schema),
            partial(client.set_compatibility, subject, "NONE"),
            partial(client.set_compatibility, level="NONE"),
        ):
            with pytest.raises(SchemaRegistryError) as refused:
                write()
            assert (refused.value.http_status_code, refused.value.error_code) == (401, 40101)
    schema_id = registry.register_schema(subject, schema)
    assert registry.set_compatibility(subject, "FULL") == {"compatibility": "FULL"}
    assert anonymous.get_schema(schema_id).schema_str == schema.schema_str  # reads stay open
    assert anonymous.lookup_schema(subject, schema).schema_id == schema_id
    assert anonymous.get_compatibility(subject) == "FULL" and subject in anonymous.get_subjects()
    key = settings.registry_admin_key
    assert key is not None
    bearer = httpx.put(
        f"{settings.schema_registry_url}/config/{subject}",
        json={"compatibility": "BACKWARD"},
        headers={"Authorization": f"Bearer {key.get_secret_value()}"},
    )
    assert bearer.status_code == 200 and anonymous.get_compatibility(subject) == "BACKWARD"


def test_the_confluent_client_registers_looks_up_and_reads_back(
    settings: Settings, registry: SchemaRegistryClient
) -> None:
    subject = f"{settings.topic_prefix}plain-value"
    schema = record_schema("Plain", [{"name": "a", "type": "string"}])
    schema_id = registry.register_schema(subject, schema)
    assert registry.register_schema(subject, schema) == schema_id  # the same schema, the same id
    assert json.loads(registry.get_schema(schema_id).schema_str) == json.loads(schema.schema_str)
    assert subject in registry.get_subjects()
    assert registry.get_versions(subject) == [1]
    latest = registry.get_latest_version(subject)
    assert (latest.schema_id, latest.version, latest.subject) == (schema_id, 1, subject)
    assert registry.lookup_schema(subject, schema).version == 1
    assert registry.get_version(subject, 1).schema_id == schema_id
    with pytest.raises(SchemaRegistryError) as missing:
        registry.get_schema(2**31 - 1)
    assert missing.value.http_status_code == 404 and missing.value.error_code == 40403
    with pytest.raises(SchemaRegistryError) as no_subject:
        registry.get_latest_version(f"{settings.topic_prefix}nothing-value")
    assert no_subject.value.error_code == 40401


def test_levels_are_kept_and_enforced_transitively(
    settings: Settings, registry: SchemaRegistryClient
) -> None:
    subject = f"{settings.topic_prefix}levels-value"
    assert registry.set_compatibility(subject, "BACKWARD_TRANSITIVE") == {
        "compatibility": "BACKWARD_TRANSITIVE"
    }
    assert registry.get_compatibility(subject) == "BACKWARD_TRANSITIVE"
    registry.register_schema(subject, record_schema("L", [{"name": "a", "type": "int"}]))
    registry.register_schema(subject, record_schema("L", []))  # dropping a field: readable backward
    a_string = record_schema("L", [{"name": "a", "type": "string", "default": ""}])
    assert registry.test_compatibility(subject, a_string, "latest")  # fine against version 2 alone...
    with pytest.raises(SchemaRegistryError) as refused:  # ...but not against version 1
        registry.register_schema(subject, a_string)
    assert refused.value.http_status_code == 409 and "field a" in refused.value.error_message
    registry.set_compatibility(subject, "BACKWARD")
    assert registry.register_schema(subject, a_string) > 0  # only the latest counts now


def test_every_public_subject_is_backward_transitive(
    running: Services, registry: SchemaRegistryClient
) -> None:
    prefix = running.settings.topic_prefix
    subjects = set(registry.get_subjects())
    for topic in TOPIC_SCHEMAS:
        subject = f"{prefix}{topic}-value"
        if subject in subjects:  # registered by the services that write the topic
            assert registry.get_compatibility(subject) == COMPATIBILITY, subject
    assert {f"{prefix}{t}-value" for t in (RAW, CLASSIFIED, ENRICHED)} <= subjects


def test_old_and_new_writers_flow_through_every_stage_and_the_sink_together(
    running: Services, registry: SchemaRegistryClient
) -> None:
    """An ERP connector on a newer schema (one more optional field) and one on today's both push
    to payees.raw with confluent-kafka's serializer; every record is stored, and a consumer that
    knows nothing of payeeflow reads them all on payees.enriched, every field in place."""
    settings = running.settings
    newer = load_schema_json(RAW)
    newer["fields"].append({"name": "erp_note", "type": ["null", "string"], "default": None})
    ctx = SerializationContext(settings.topic(RAW), MessageField.VALUE)
    writers = {
        "today": AvroSerializer(registry, json.dumps(load_schema_json(RAW))),
        "newer": AvroSerializer(registry, json.dumps(newer)),
    }
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap_servers})
    ids = []
    for i in range(20):
        which = "newer" if i % 2 else "today"
        record = raw_record(f"EVOLUTION TEST {i} LLC", payee_id=f"{settings.topic_prefix}evo{i}")
        record["source_ts"] = datetime.now(UTC)
        if which == "newer":
            record["erp_note"] = "sent by a connector on the newer schema"
        producer.produce(settings.topic(RAW), writers[which](record, ctx), key=record["payee_id"].encode())
        ids.append(record["payee_id"])
    assert producer.flush(30) == 0
    assert len(registry.get_versions(f"{settings.topic(RAW)}-value")) == 2  # both schemas, one subject

    def stored() -> bool:
        with psycopg.connect(settings.dsn) as conn:
            found = conn.execute("SELECT count(*) FROM payees WHERE payee_id = ANY(%s)", (ids,)).fetchone()
        return found is not None and found[0] == len(ids)

    wait_until(stored, timeout=90)
    done = subprocess.run(
        [sys.executable, ROOT / "examples" / "consume_enriched.py", "--topic", settings.topic(ENRICHED)],
        env={
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "PAYEEFLOW_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    read = {line["key"]: line["value"] for line in map(json.loads, done.stdout.splitlines())}
    fields = {f["name"] for f in load_schema_json(ENRICHED)["fields"]}
    for payee_id in ids:
        assert set(read[payee_id]) == fields
        assert read[payee_id]["classification"]["payee_type"] == "BUSINESS"
