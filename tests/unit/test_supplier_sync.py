"""``suppliers sync`` without a broker: the diff, the rows as the topic holds them, the guard, the
BigQuery source against a local server speaking its REST shape, and the Connect config."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from google.auth.credentials import AnonymousCredentials

from payeeflow.config import Settings
from payeeflow.connectors.supplier_sync.bigquery import BigQuerySource
from payeeflow.connectors.supplier_sync.diff import Diff, Verdict
from payeeflow.connectors.supplier_sync.errors import SourceError, TooManyDeletes, TopicError
from payeeflow.connectors.supplier_sync.postgres import PostgresSource
from payeeflow.connectors.supplier_sync.records import (
    COLUMNS,
    digest,
    normalized,
    pick,
    positions,
    supplier_record,
)
from payeeflow.connectors.supplier_sync.run import source_for
from payeeflow.connectors.supplier_sync.topic import _Patience, _watermarks, read_state
from payeeflow.errors import InputError, PayeeflowError, RecordError
from payeeflow.schemas import codec_for
from payeeflow.schemas.codec import load_schema_json
from payeeflow.schemas.limits import MAX_ID_LENGTH
from payeeflow.streams.topics import SUPPLIERS
from tests.conftest import MOCK_REGISTRY, ROOT
from tests.fakes.bigquery_server import JOB_ID, FakeBigQuery

D = {key: bytes([n]) * 16 for n, key in enumerate("abcdefghij")}  # digests of contents a..j


def plan(topic: dict[str, bytes | None], source: dict[str, bytes], share: float = 1.0) -> tuple:
    """The diff of a source against a topic, both given as id -> digest."""
    diff = Diff(dict(topic))
    verdicts = {key: diff.row(key, content) for key, content in source.items()}
    upserts = sorted(key for key, verdict in verdicts.items() if verdict is Verdict.UPSERT)
    unchanged = sorted(key for key, verdict in verdicts.items() if verdict is Verdict.UNCHANGED)
    return upserts, unchanged, sorted(diff.deletes(share))


def test_the_first_sync_sends_every_supplier_and_the_next_one_nothing() -> None:
    source = {"S1": D["a"], "S2": D["b"]}
    assert plan({}, source) == (["S1", "S2"], [], [])
    assert plan(dict(source), source) == ([], ["S1", "S2"], [])


def test_a_change_is_an_upsert_and_a_supplier_gone_a_delete() -> None:
    topic: dict[str, bytes | None] = {"S1": D["a"], "S2": D["b"], "S3": D["c"], "S4": D["d"]}
    source = {"S1": D["a"], "S2": D["e"], "S4": D["d"], "S5": D["f"]}
    assert plan(topic, source) == (["S2", "S5"], ["S1", "S4"], ["S3"])


def test_a_record_that_did_not_decode_is_sent_again() -> None:
    assert plan({"S1": None}, {"S1": D["a"]}) == (["S1"], [], [])


def test_a_repeated_id_is_a_duplicate_and_the_first_row_stands() -> None:
    diff = Diff({})
    assert diff.row("S1", D["a"]) is Verdict.UPSERT
    assert diff.row("S1", D["b"]) is Verdict.DUPLICATE


def test_a_rejected_row_keeps_its_supplier_on_the_topic() -> None:
    diff = Diff({"S1": D["a"], "S2": D["b"]})
    diff.keep("S1")  # its row was bad this time: not a reason to delete the supplier
    diff.row("S2", D["b"])
    assert diff.deletes(1.0) == []


def test_a_rejected_row_does_not_make_a_later_valid_row_of_its_id_a_duplicate() -> None:
    diff = Diff({"S1": D["a"], "S2": D["b"]})
    diff.keep("S1")  # a bad row first: it does not stand
    assert diff.row("S1", D["a"]) is Verdict.UNCHANGED  # compared with the topic's, not refused
    diff.keep("S2")
    assert diff.row("S2", D["c"]) is Verdict.UPSERT
    assert diff.row("S1", D["a"]) is Verdict.DUPLICATE  # a second valid row is one
    diff.keep("S3")  # a bad row of a supplier the topic lacks: nothing to keep, nothing to delete
    assert diff.deletes(0.0) == []


def test_the_guard_refuses_to_delete_more_than_its_share_unless_allowed() -> None:
    topic: dict[str, bytes | None] = {f"S{i}": D["a"] for i in range(10)}
    nine_gone = {"S0": D["a"]}
    with pytest.raises(TooManyDeletes, match=r"lacks 9 of the 10 suppliers .*--allow-deletes"):
        plan(topic, nine_gone, share=0.1)
    assert len(plan(topic, {f"S{i}": D["a"] for i in range(9)}, share=0.1)[2]) == 1  # 10 %: allowed
    diff = Diff(dict(topic))
    assert len(diff.deletes(0.1, allowed=True)) == 10  # an empty source, deletes meant


def row(**values: Any) -> tuple[Any, ...]:
    base = {"supplier_id": "S1", "name": "ACME SUPPLY LLC"}
    return tuple({**base, **values}.get(column) for column in COLUMNS)


def test_a_row_is_normalised_as_the_csv_load_and_the_index_read_a_supplier() -> None:
    record = supplier_record(
        row(city=" Dallas ", state="tx", zip=Decimal("75201"), accepts_card=True, address=" 1 Main St "), 300
    )
    assert record == {
        "supplier_id": "S1",
        "name": "ACME SUPPLY LLC",
        "address": "1 Main St",
        "city": "DALLAS",
        "state": "TX",
        "zip": "75201",
        "tax_id": None,
        "sic_code": None,
        "accepts_card": True,
    }
    # read back from the topic (with its updated_at), the same supplier has the same content
    stored = {**record, "updated_at": datetime.now(UTC)}
    assert digest(normalized(stored)) == digest(record)
    assert digest(supplier_record(row(zip="75201-1234", city="DALLAS"), 300)) == digest(
        supplier_record(row(zip="75201", city="dallas"), 300)
    )
    assert digest(supplier_record(row(name="ACME SUPPLY INC"), 300)) != digest(supplier_record(row(), 300))


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"supplier_id": ""}, "invalid_field"),
        ({"supplier_id": "S" * (MAX_ID_LENGTH + 1)}, "field_too_long"),
        ({"supplier_id": "S\x001"}, "control_characters"),
        ({"name": None}, "empty_name"),
        ({"name": "-- --"}, "empty_name"),
        ({"name": "A" * 301}, "name_too_long"),
        ({"city": "DAL\x07LAS"}, "control_characters"),
        ({"address": "x" * 1001}, "field_too_long"),
        ({"tax_id": b"\x01\x02"}, "invalid_field"),
        ({"sic_code": ["5045"]}, "invalid_field"),
    ],
)
def test_a_bad_row_is_rejected_with_its_reason(values: dict[str, Any], reason: str) -> None:
    with pytest.raises(RecordError) as caught:
        supplier_record(row(**values), 300)
    assert caught.value.reason == reason


def test_columns_are_found_by_name_and_the_id_and_name_are_required() -> None:
    at = positions(["NAME", "extra", "Supplier_ID", "city"])
    assert pick(("ACME", "x", "S1", "DALLAS"), at) == ("S1", "ACME", None, "DALLAS", *[None] * 5)
    with pytest.raises(SourceError, match="no column name"):
        positions(["supplier_id", "vendor_name"])


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_broker_that_does_not_answer_fails_the_read_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("payeeflow.connectors.supplier_sync.topic.PATIENCE", 1.0)  # 120 s in a run
    port = closed_port()
    settings = Settings(kafka_bootstrap_servers=f"127.0.0.1:{port}", schema_registry_url=MOCK_REGISTRY)
    with pytest.raises(TopicError) as caught:
        read_state(settings, codec_for(SUPPLIERS, settings))
    message = str(caught.value)
    assert isinstance(caught.value, PayeeflowError)  # the CLI's one line and exit status 2
    where = f"{settings.topic(SUPPLIERS)} could not be read from 127.0.0.1:{port}"
    assert message.startswith(f"the suppliers topic {where}: ")
    assert "\n" not in message and "Failed to get metadata" in message


class LeaderlessFor:
    """A consumer whose partition has no leader for its first ``answers`` watermark queries."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = answers  # error codes, then the offsets

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float) -> tuple[int, int]:
        if self.answers:
            raise KafkaException(KafkaError(self.answers.pop(0)))
        return 0, 7


def test_a_partition_without_a_leader_yet_is_asked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # a topic just created: CI once saw "Failed to get watermark offsets: Not leader for partition"
    monkeypatch.setattr("payeeflow.connectors.supplier_sync.topic.time.sleep", lambda _: None)
    consumer = LeaderlessFor([KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE])
    assert _watermarks(consumer, TopicPartition("t", 0), _Patience("the topic")) == (0, 7)  # type: ignore[arg-type]


def test_a_partition_that_never_gets_a_leader_fails_the_read_once_patience_runs_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("payeeflow.connectors.supplier_sync.topic.PATIENCE", 0.05)
    consumer = LeaderlessFor([KafkaError.NOT_LEADER_FOR_PARTITION] * 10_000)
    with pytest.raises(TopicError, match=r"the topic: no answer for 0s \(Broker: Not leader for partition\)"):
        _watermarks(consumer, TopicPartition("t", 0), _Patience("the topic"))  # type: ignore[arg-type]


def test_a_watermark_error_that_will_not_pass_is_raised() -> None:
    consumer = LeaderlessFor([KafkaError.TOPIC_AUTHORIZATION_FAILED])
    with pytest.raises(KafkaException):
        _watermarks(consumer, TopicPartition("t", 0), _Patience("the topic"))  # type: ignore[arg-type]


async def test_a_database_that_refuses_is_a_one_line_source_error() -> None:
    source = PostgresSource(f"postgresql://reader@127.0.0.1:{closed_port()}/erp", "SELECT 1")
    with pytest.raises(SourceError) as caught:
        [values async for values in source.rows()]
    message = str(caught.value)
    assert message.startswith("supplier source (PostgreSQL): ") and "Connection refused" in message
    assert "\n" not in message and len(str(caught.value.__cause__).strip().splitlines()) > 1


def test_a_source_that_is_not_configured_is_a_clear_error() -> None:
    with pytest.raises(InputError, match="PAYEEFLOW_SUPPLIER_SOURCE_URL"):
        source_for(Settings(), "postgres")
    with pytest.raises(InputError, match="PAYEEFLOW_BIGQUERY_ENABLED"):
        source_for(Settings(supplier_source_url="postgresql://erp/suppliers"), "bigquery")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def bigquery() -> Iterator[FakeBigQuery]:
    server = FakeBigQuery().start()
    yield server
    server.stop()


FIELDS = [
    ("supplier_id", "STRING"),
    ("name", "STRING"),
    ("city", "STRING"),
    ("accepts_card", "BOOLEAN"),
    ("employees", "INTEGER"),
]
ROWS = [(f"S{i}", f"SUPPLIER {i} INC", "AUSTIN" if i % 2 else None, i % 3 == 0, i) for i in range(7)]


def bigquery_source(server: FakeBigQuery, **settings: Any) -> BigQuerySource:
    configured = Settings(
        bigquery_enabled=True,
        bigquery_project="ap-warehouse",
        bigquery_dataset="master",
        bigquery_api_url=server.api_url,
        bigquery_page_rows=3,
        bigquery_retries=1,
        **settings,
    )
    return BigQuerySource(configured, credentials=AnonymousCredentials())


async def rows_of(source: BigQuerySource) -> list[tuple[Any, ...]]:
    return [values async for values in source.rows()]


async def test_bigquery_rows_come_page_by_page_once_the_job_completes(bigquery: FakeBigQuery) -> None:
    bigquery.reset(FIELDS, ROWS, "503", pending=2)  # a 503 retried, then the job runs for two calls
    rows = await rows_of(bigquery_source(bigquery, bigquery_location="EU"))
    assert rows == [(f"S{i}", f"SUPPLIER {i} INC", None, "AUSTIN" if i % 2 else None, *[None] * 4,
                     "true" if i % 3 == 0 else "false") for i in range(7)]  # fmt: skip
    assert [supplier_record(r, 300)["accepts_card"] for r in rows[:2]] == [True, False]
    query = bigquery.requests[1]  # the first was refused with a 503
    assert query["path"] == "/bigquery/v2/projects/ap-warehouse/queries"
    assert query["body"]["defaultDataset"] == {"projectId": "ap-warehouse", "datasetId": "master"}
    assert query["body"]["useLegacySql"] is False and query["body"]["location"] == "EU"
    assert query["body"]["query"].startswith("SELECT supplier_id, name")
    reads = bigquery.requests[2:]
    assert {r["path"] for r in reads} == {f"/bigquery/v2/projects/ap-warehouse/queries/{JOB_ID}"}
    assert [r["params"].get("pageToken") for r in reads] == [None, None, "3", "6"]  # waits, then pages
    assert {r["params"]["location"] for r in reads} == {"EU"}


async def test_a_query_bigquery_refuses_is_a_source_error(bigquery: FakeBigQuery) -> None:
    bigquery.reset(FIELDS, ROWS, refuse="Not found: Table ap-warehouse:master.suppliers")
    with pytest.raises(SourceError, match=r"HTTP 400.*Not found: Table"):
        await rows_of(bigquery_source(bigquery))
    bigquery.reset([("vendor_id", "STRING"), ("name", "STRING")], [("V1", "ACME")])
    with pytest.raises(SourceError, match="no column supplier_id"):
        await rows_of(bigquery_source(bigquery))


def test_the_connect_config_writes_the_suppliers_topic_keyed_by_supplier_id() -> None:
    spec = json.loads((ROOT / "connectors" / "connect" / "suppliers-jdbc-source.json").read_text())
    config = spec["config"]
    assert config["connector.class"] == "io.confluent.connect.jdbc.JdbcSourceConnector"
    assert config["topic.prefix"] == SUPPLIERS  # in query mode, the whole topic name
    selected = config["query"].split("FROM")[0]
    fields = [field["name"] for field in load_schema_json(SUPPLIERS)["fields"]]
    assert all(field in selected for field in fields), "the query selects every field of the schema"
    assert config["timestamp.column.name"] == "updated_at"
    transforms = [config[f"transforms.{name}.type"] for name in config["transforms"].split(",")]
    assert "org.apache.kafka.connect.transforms.ValueToKey" in transforms
    assert "org.apache.kafka.connect.transforms.ExtractField$Key" in transforms
    assert "supplier_id" in {config.get(f"transforms.{n}.fields") for n in config["transforms"].split(",")}
    assert config["key.converter"] == "org.apache.kafka.connect.storage.StringConverter"
    assert config["value.converter"] == "io.confluent.connect.avro.AvroConverter"
    schema = load_schema_json(SUPPLIERS)
    assert config["transforms.name.schema.name"] == f"{schema['namespace']}.{schema['name']}"
