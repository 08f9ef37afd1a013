"""Topic names and their creation: partitions, replicas and ``min.insync.replicas`` from the
settings, ``suppliers`` and ``payees.corrections`` compacted."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from payeeflow.brokers import client_options
from payeeflow.config import Settings

log = logging.getLogger(__name__)

RAW, SCREENED, CLASSIFIED, MATCHED, ENRICHED = (
    "payees.raw",
    "payees.screened",
    "payees.classified",
    "payees.matched",
    "payees.enriched",
)
DLQ, BATCHES, SUPPLIERS, CORRECTIONS = "payees.dlq", "payees.batches", "suppliers", "payees.corrections"
PROVIDER_JOBS = "payees.provider-jobs"
ALL = (RAW, SCREENED, CLASSIFIED, MATCHED, ENRICHED, DLQ, BATCHES, SUPPLIERS, CORRECTIONS)
INTERNAL = (PROVIDER_JOBS,)  # a worker's own state, JSON, no contract: not in the AsyncAPI document
COMPACTED = (SUPPLIERS, CORRECTIONS, PROVIDER_JOBS)


@dataclass(frozen=True)
class Role:
    """What a topic holds, its key, and who writes and reads it (the AsyncAPI document's)."""

    summary: str
    key: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]


PAYEE_KEY = "payee_id (UTF-8): all versions of a payee on one partition, in order"
ROLES = {
    RAW: Role(
        "Payees as ERPs send them: the pipeline's entry.",
        PAYEE_KEY,
        ("payeeflow ingest", "ERP integrations"),
        ("exclusion stage",),
    ),
    SCREENED: Role(
        "Payees after keyword exclusion.", PAYEE_KEY, ("exclusion stage",), ("classification stage",)
    ),
    CLASSIFIED: Role(
        "Payees with their type (INDIVIDUAL, BUSINESS, GOVERNMENT, UNKNOWN), confidence, reason, SIC code.",
        PAYEE_KEY,
        ("classification stage",),
        ("matching stage", "other teams"),
    ),
    MATCHED: Role(
        "Payees with their supplier-network match, its best candidates and evidence.",
        PAYEE_KEY,
        ("matching stage",),
        ("enrichment stage",),
    ),
    ENRICHED: Role(
        "Payees with every stage's answer: address, card acceptance and payment method added.",
        PAYEE_KEY,
        ("enrichment stage",),
        ("PostgreSQL sink", "other teams"),
    ),
    DLQ: Role(
        "Records a stage could not process: the stage, a reason tag and the bytes it received.",
        "payee_id when known, else the original message's key",
        ("every stage", "payeeflow ingest", "PostgreSQL sink"),
        ("PostgreSQL sink",),
    ),
    BATCHES: Role(
        "One manifest per ingested batch: the payees it carried and the rows rejected at source.",
        "batch_id (UTF-8)",
        ("payeeflow ingest",),
        ("PostgreSQL sink",),
    ),
    SUPPLIERS: Role(
        "The supplier network, compacted: the latest version of each supplier; a tombstone removes one.",
        "supplier_id (UTF-8)",
        ("payeeflow suppliers load", "payeeflow suppliers sync", "Kafka Connect's JDBC source"),
        ("matching stage",),
    ),
    CORRECTIONS: Role(
        "Reviewers' answers, compacted: a payee's type, supplier or 'not a supplier'; a tombstone"
        " withdraws one. Applied by the stages to later records of the payee and of the same name.",
        "payee_id (UTF-8)",
        ("the API (review scope)",),
        ("classification stage", "matching stage", "PostgreSQL sink"),
    ),
}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str]


def topic_specs(settings: Settings) -> list[TopicSpec]:
    specs = []
    for base in ALL + INTERNAL:
        config = {"min.insync.replicas": str(settings.topic_min_insync_replicas)}
        if base in COMPACTED:
            config["cleanup.policy"] = "compact"
        partitions = 1 if base == BATCHES else settings.topic_partitions
        specs.append(TopicSpec(settings.topic(base), partitions, config))
    return specs


async def create_topics(settings: Settings) -> list[str]:
    """Create every topic that is missing; returns the names created. Idempotent."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [spec for spec in topic_specs(settings) if spec.name not in existing]
        created = []
        for spec in wanted:
            try:
                await admin.create_topics(
                    [
                        NewTopic(
                            spec.name,
                            spec.partitions,
                            settings.topic_replication_factor,
                            topic_configs=spec.config,
                        )
                    ]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
        if created:
            log.info("created topics %s", ", ".join(created))
        return created
    finally:
        await admin.close()


async def delete_topics(settings: Settings) -> None:
    """Delete this prefix's topics (benchmarks and tests clean up after themselves)."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        if names := [spec.name for spec in topic_specs(settings) if spec.name in existing]:
            await admin.delete_topics(names)
    finally:
        await admin.close()
