"""Payees through the real broker, every stage agent, the sink and PostgreSQL, and out of the API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi.testclient import TestClient

from payeeflow.api import namesearch
from payeeflow.config import Settings
from payeeflow.connectors.database.sink.runner import kafka_cluster_id, stored_offsets
from payeeflow.connectors.files.ingest import ingest_file
from payeeflow.streams.topics import DLQ, ENRICHED
from tests.conftest import EXAMPLES
from tests.integration.conftest import Services, api, prefixed_copy, query, wait_until

pytestmark = pytest.mark.integration

STAGE_COLUMNS = (
    "excluded",
    "payee_type",
    "confidence",
    "reason",
    "match_type",
    "match_score",
    "address_status",
    "card_acceptance",
    "payment_method",
)


async def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await consumer.start()
    try:
        tps = [TopicPartition(settings.topic(topic), p) for p in range(settings.topic_partitions)]
        return {tp.partition: offset for tp, offset in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


def sink_caught_up(settings: Settings) -> bool:
    ends = asyncio.run(end_offsets(settings, ENRICHED))
    cluster = asyncio.run(kafka_cluster_id(settings))
    stored = dict(
        query(
            settings,
            "SELECT partition, next_offset FROM sink_offsets"
            " WHERE consumer_group = %s AND cluster_id = %s AND topic = %s",
            settings.group("sink"),
            cluster,
            settings.topic(ENRICHED),
        )
    )
    return all(stored.get(p, 0) >= end for p, end in ends.items())


@pytest.fixture(scope="module")
def first_batch(
    settings: Settings, running: Services, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    path = prefixed_copy(
        EXAMPLES / "payees.csv",
        tmp_path_factory.mktemp("in") / "payees.csv",
        settings.topic_prefix,
        version=1,
    )
    result = asyncio.run(ingest_file(settings, path, progress=False))
    assert result.produced == 1003
    wait_until(
        lambda: query(
            settings,
            "SELECT 1 FROM batch_payees WHERE batch_id = %s AND outcome = 'stored' HAVING count(*) = 1000",
            result.batch_id,
        )
    )
    wait_until(
        lambda: query(
            settings,
            "SELECT count(*) FROM dead_letters WHERE batch_id = %s HAVING count(*) = 3",
            result.batch_id,
        )
    )
    return result.batch_id, path


def test_1000_payees_arrive_exactly_once_with_every_stage_set(
    settings: Settings, first_batch: tuple[str, Path]
) -> None:
    batch_id, _ = first_batch
    prefix = settings.topic_prefix + "%"
    [(count, distinct)] = query(
        settings, "SELECT count(*), count(DISTINCT payee_id) FROM payees WHERE payee_id LIKE %s", prefix
    )
    assert count == distinct == 1000
    nulls = " OR ".join(f"{c} IS NULL" for c in STAGE_COLUMNS)
    assert query(settings, f"SELECT count(*) FROM payees WHERE payee_id LIKE %s AND ({nulls})", prefix) == [
        (0,)
    ]
    [(matched,)] = query(
        settings, "SELECT count(*) FROM payees WHERE batch_id = %s AND supplier_id IS NOT NULL", batch_id
    )
    assert matched > 300  # the sample holds ~550 network suppliers


def test_poison_records_land_in_the_dead_letter_table_with_their_reason(
    settings: Settings, first_batch: tuple[str, Path]
) -> None:
    batch_id, _ = first_batch
    rows = query(
        settings,
        "SELECT payee_id, stage, reason FROM dead_letters WHERE batch_id = %s ORDER BY payee_id",
        batch_id,
    )
    p = settings.topic_prefix
    assert rows == [
        (f"{p}P-POISON-CTRL", "exclusion", "undecodable_text"),
        (f"{p}P-POISON-EMPTY", "exclusion", "empty_name"),
        (f"{p}P-POISON-LONG", "exclusion", "name_too_long"),
    ]


def test_redelivering_the_same_records_changes_nothing(
    settings: Settings, first_batch: tuple[str, Path]
) -> None:
    _batch_id, path = first_batch
    before = query(
        settings,
        "SELECT payee_id, batch_id, version, updated_at FROM payees WHERE payee_id LIKE %s ORDER BY payee_id",
        settings.topic_prefix + "%",
    )
    again = asyncio.run(ingest_file(settings, path, progress=False))
    wait_until(  # every payee of the second batch has its outcome (the sink alone may be caught up
        # with a topic the worker is still writing)
        lambda: (
            query(
                settings,
                "SELECT 1 FROM batch_payees WHERE batch_id = %s HAVING count(*) = %s",
                again.batch_id,
                again.produced,
            )
            and sink_caught_up(settings)
        )
    )
    after = query(
        settings,
        "SELECT payee_id, batch_id, version, updated_at FROM payees WHERE payee_id LIKE %s ORDER BY payee_id",
        settings.topic_prefix + "%",
    )
    assert after == before
    # the second batch carried the same payees: each has its outcome there too, and the first
    # batch keeps its own
    for batch_id in (_batch_id, again.batch_id):
        assert query(
            settings,
            "SELECT outcome, count(*) FROM batch_payees WHERE batch_id = %s GROUP BY outcome ORDER BY 1",
            batch_id,
        ) == [("dead_letter", 3), ("stored", 1000)]


def test_an_older_version_never_overwrites_a_newer_one(
    settings: Settings, first_batch: tuple[str, Path], tmp_path: Path
) -> None:
    payee_id = settings.topic_prefix + "P000700000001"
    newer = tmp_path / "newer.csv"
    newer.write_text(f"payee_id,name,version\n{payee_id},NEWER NAME LLC,5\n")
    older = tmp_path / "older.csv"
    older.write_text(f"payee_id,name,version\n{payee_id},OLDER NAME LLC,3\n")
    asyncio.run(ingest_file(settings, newer, progress=False))
    wait_until(lambda: query(settings, "SELECT 1 FROM payees WHERE payee_id = %s AND version = 5", payee_id))
    late = asyncio.run(ingest_file(settings, older, progress=False))
    wait_until(lambda: query(settings, "SELECT 1 FROM batch_payees WHERE batch_id = %s", late.batch_id))
    assert query(settings, "SELECT name, version FROM payees WHERE payee_id = %s", payee_id) == [
        ("NEWER NAME LLC", 5)
    ]


def test_the_api_returns_what_the_sink_wrote(settings: Settings, first_batch: tuple[str, Path]) -> None:
    batch_id, _ = first_batch
    payee_id = settings.topic_prefix + "P000700000005"
    [(name, payee_type, supplier_id)] = query(
        settings, "SELECT name, payee_type, supplier_id FROM payees WHERE payee_id = %s", payee_id
    )
    with api(settings) as client:
        payee = client.get(f"/payees/{payee_id}").json()
        assert (payee["name"], payee["payee_type"], payee["supplier_id"]) == (name, payee_type, supplier_id)
        assert payee["needs_review"] == bool(payee["review_reason"])
        if supplier_id:  # the accepted supplier leads the candidates the clerk sees
            assert payee["match_candidates"][0]["supplier_id"] == supplier_id
            assert payee["match_candidates"][0]["evidence"]
        flagged = query(
            settings,
            "SELECT count(*) FROM payees WHERE batch_id = %s AND needs_review AND review_reason <> ''",
            batch_id,
        )
        assert flagged[0][0] > 10  # the sample holds unsure types and ambiguous matches
        assert client.get("/payees/does-not-exist").status_code == 404
        batch = client.get(f"/batches/{batch_id}").json()
        assert batch["status"] == "complete_with_errors"
        assert (batch["total"], batch["stored"], batch["dead_lettered"], batch["pending"]) == (
            1003,
            1000,
            3,
            0,
        )
        assert batch["dead_letters_by_reason"] == {"empty_name": 1, "name_too_long": 1, "undecodable_text": 1}
        page = client.get("/payees", params={"batch_id": batch_id, "limit": 400}).json()
        second = client.get(
            "/payees", params={"batch_id": batch_id, "limit": 400, "cursor": page["next_cursor"]}
        )
        assert len(page["items"]) == 400 and len(second.json()["items"]) == 400
        found = client.get("/payees", params={"name": name[:6], "batch_id": batch_id}).json()["items"]
        assert payee_id in {item["payee_id"] for item in found}
        named = [
            r[0] for r in query(settings, "SELECT payee_id FROM payees WHERE name ILIKE '%%inc%%' ORDER BY 1")
        ]
        first = client.get("/payees", params={"name": "inc", "limit": 3}).json()
        rest = client.get(
            "/payees", params={"name": "inc", "limit": 3, "cursor": first["next_cursor"]}
        ).json()
        assert len(named) > 6 and [i["payee_id"] for i in first["items"] + rest["items"]] == named[:6]
        assert client.get("/ready").json() == {"ready": True, "postgres": True, "kafka": True}
        assert "payeeflow" in client.get("/metrics").text
        assert client.get("/openapi.json").json()["info"]["title"] == "payeeflow"


def test_every_stored_row_serves_its_own_json(settings: Settings, first_batch: tuple[str, Path]) -> None:
    """The trigger's doc is the row, less the doc, whatever wrote the row."""
    batch_id, _ = first_batch
    stale = "SELECT count(*) FROM payees p WHERE p.doc IS NULL OR p.doc::jsonb <> to_jsonb(p) - 'doc'"
    assert query(settings, stale) == [(0,)]
    [(payee_id, name)] = query(
        settings, "SELECT payee_id, name FROM payees WHERE batch_id = %s ORDER BY 1 LIMIT 1", batch_id
    )
    query(settings, "UPDATE payees SET name = 'RENAMED BY A TEST' WHERE payee_id = %s RETURNING 1", payee_id)
    try:
        assert query(settings, stale) == [(0,)]
        with api(settings) as client:
            assert client.get(f"/payees/{payee_id}").json()["name"] == "RENAMED BY A TEST"
    finally:
        query(settings, "UPDATE payees SET name = %s WHERE payee_id = %s RETURNING 1", name, payee_id)


def test_a_search_in_its_plain_form_and_in_another_answer_alike(
    settings: Settings, first_batch: tuple[str, Path]
) -> None:
    """The plain form is answered by the route's lean reader, a repeated parameter or ``1`` for
    ``true`` by FastAPI's handler: the same page either way."""
    batch_id, _ = first_batch
    searches: list[dict[str, str]] = [
        {"batch_id": batch_id, "limit": "7"},
        {"name": "inc", "limit": "4"},  # found through the trigram index
        {"name": "in", "limit": "4"},  # no trigram: walked in key order
        {
            "payee_type": "BUSINESS",
            "excluded": "false",
            "limit": "5",
            "cursor": settings.topic_prefix + "P0007",
        },
        {"needs_review": "true", "batch_id": batch_id, "limit": "3"},
    ]
    named = query(settings, "SELECT payee_id FROM payees WHERE name ILIKE '%%in%%' ORDER BY 1 LIMIT 4")
    with api(settings) as client:
        walked = client.get("/payees", params=searches[2]).json()["items"]
        assert [item["payee_id"] for item in walked] == [r[0] for r in named]
        for search in searches:
            plain = client.get("/payees", params=search)
            repeated = client.get("/payees", params=[*search.items(), ("limit", search["limit"])])
            assert plain.status_code == repeated.status_code == 200
            assert plain.json() == repeated.json() and plain.json()["items"], search
        flagged = client.get("/payees", params={"needs_review": "1", "batch_id": batch_id, "limit": "3"})
        assert flagged.json() == client.get("/payees", params=searches[-1]).json()


@pytest.mark.parametrize("in_memory", [False, True], ids=["kept", "in-memory"])
def test_a_name_search_pages_as_the_database_orders_and_rechecks_its_rows(
    settings: Settings, first_batch: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, in_memory: bool
) -> None:
    """Kept (names searched in the database) or in memory, a search's ids may be older than the
    rows: each page reads its rows fresh and leaves out any that no longer matches."""
    monkeypatch.setattr(namesearch, "KEPT", 5)  # the pages past the kept ids come from the database
    settings = settings.model_copy(update={"api_name_index_seconds": 60.0 if in_memory else 0.0})
    named = [
        r[0] for r in query(settings, "SELECT payee_id FROM payees WHERE name ILIKE '%%inc%%' ORDER BY 1")
    ]
    assert len(named) > 12

    def pages(client: TestClient) -> list[str]:
        found: list[str] = []
        cursor = None
        while True:
            page = client.get("/payees", params={"name": "Inc", "limit": 3, "cursor": cursor}).json()
            found += [item["payee_id"] for item in page["items"]]
            if (cursor := page["next_cursor"]) is None:
                return found

    with api(settings) as client:
        held = [
            line
            for line in client.get("/metrics").text.splitlines()
            if line.startswith("payeeflow_api_names ")
        ]
        assert (float(held[0].split()[1]) >= len(named)) is in_memory
        assert pages(client) == named
        [(renamed, name)] = query(settings, "SELECT payee_id, name FROM payees WHERE payee_id = %s", named[1])
        query(
            settings, "UPDATE payees SET name = 'NO LONGER A MATCH' WHERE payee_id = %s RETURNING 1", renamed
        )
        try:  # the renamed payee's id is still among the search's, but its row no longer matches
            assert pages(client) == [payee_id for payee_id in named if payee_id != renamed]
        finally:
            query(settings, "UPDATE payees SET name = %s WHERE payee_id = %s RETURNING 1", name, renamed)


def test_offsets_stored_for_another_kafka_cluster_are_ignored(
    settings: Settings, first_batch: tuple[str, Path]
) -> None:
    """A rebuilt cluster starts its topics at 0 again: old positions would skip new records."""
    group, topic = settings.group("sink"), settings.topic(DLQ)
    query(
        settings,
        "INSERT INTO sink_offsets (consumer_group, cluster_id, topic, partition, next_offset) "
        "VALUES (%s, 'an-old-cluster', %s, 0, 999999) RETURNING 1",
        group,
        topic,
    )
    cluster = asyncio.run(kafka_cluster_id(settings))
    stored = asyncio.run(stored_offsets(settings.dsn, group, cluster, [TopicPartition(topic, 0)]))
    assert stored.get(TopicPartition(topic, 0), 0) < 999999
