"""The ``suppliers`` topic's current state: each key's latest value (a tombstone removes the key),
read from the topic's start to the end offsets it had when the sync began, kept as a content
digest (``records.digest``), never as records: 483k suppliers cost about 100 MB, not gigabytes.

Why a killed run resumes without sending anything twice: a send the broker acknowledged
(``acks=all``) is below the end offsets the next run reads to, so the next run reads it back,
finds the content equal and sends it no more; a send that was lost with the process is not on the
topic, so it differs and is sent again. The topic, not a checkpoint of the sync's own, says what
is done.
"""

from __future__ import annotations

import logging
import time
from typing import cast

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from payeeflow.brokers import librdkafka_options
from payeeflow.config import Settings
from payeeflow.connectors.supplier_sync.errors import TopicError
from payeeflow.connectors.supplier_sync.records import digest, normalized
from payeeflow.errors import DecodeError, InputError, first_line
from payeeflow.schemas import AvroCodec
from payeeflow.streams.topics import SUPPLIERS

log = logging.getLogger(__name__)

_METADATA_TRIES = 20
# Errors of a broker that cannot be reached for a while: librdkafka reconnects, the read waits.
_TRANSIENT = frozenset({KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN})
# A partition without a leader yet (a topic just created, a leader's election): the query is asked
# again until the patience runs out.
_LEADERLESS = frozenset({KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE})
# How long the read waits for the broker without progress (the topic's metadata, an end offset, a
# record, a partition's end) before it fails. A broker's restart or a partition leader's election
# is over within a minute: that is waited out. A broker silent for two minutes is an outage: the
# run fails (exit 2, ``failed`` in job_runs) instead of hanging, which would make the scheduler
# and the CronJob (``concurrencyPolicy: Forbid``) skip every later run. A working read never
# waits this long: records come by the thousand a second.
PATIENCE = 120.0


def read_state(settings: Settings, codec: AvroCodec) -> dict[str, bytes | None]:
    """Supplier id -> digest of its latest record (None: a record that does not decode, whose
    content is unknown, so the source's row is sent again). ``TopicError`` when the broker fails
    the read or gives nothing for ``PATIENCE`` seconds; ``InputError`` when the topic is not there."""
    topic = settings.topic(SUPPLIERS)
    where = f"the suppliers topic {topic} could not be read from {settings.kafka_bootstrap_servers}"
    try:
        consumer = Consumer(
            {
                **librdkafka_options(settings),
                "group.id": settings.group("suppliers-sync"),  # partitions are assigned: never joined
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        try:
            return _read(consumer, topic, codec, _Patience(where))
        finally:
            consumer.close()
    except KafkaException as exc:  # a call the broker failed, or the client's settings
        error = exc.args[0] if exc.args else None
        why = error.str() if isinstance(error, KafkaError) else first_line(exc)
        raise TopicError(f"{where}: {why}") from exc


class _Patience:
    """What is left of ``PATIENCE``, renewed by each answer of the broker's."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.last = ""  # the last transient error, for the message when patience runs out
        self.renew()

    def renew(self) -> None:
        self.until = time.monotonic() + PATIENCE

    def wait(self, error: KafkaError) -> None:
        """Notes a transient error of the broker's, which the read waits out."""
        log.warning("suppliers topic: %s; waiting for the broker", error.str())
        self.last = error.str()

    def left(self) -> float:
        """Seconds the read may still wait for the broker; ``TopicError`` once none are left."""
        left = self.until - time.monotonic()
        if left <= 0:
            raise TopicError(
                f"{self.where}: no answer for {PATIENCE:.0f}s" + (f" ({self.last})" if self.last else "")
            )
        return left


def _read(consumer: Consumer, topic: str, codec: AvroCodec, patience: _Patience) -> dict[str, bytes | None]:
    ends = _end_offsets(consumer, topic, patience)
    consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING) for partition in ends])
    state: dict[str, bytes | None] = {}
    while ends:
        for message in consumer.consume(10_000, timeout=min(1.0, patience.left())):
            partition, error = message.partition(), message.error()
            if error is not None and error.code() != KafkaError._PARTITION_EOF:
                if error.code() in _TRANSIENT or error.retriable():
                    patience.wait(error)
                    continue
                raise TopicError(f"{patience.where}: {error.str()}")
            if partition not in ends:
                continue
            patience.renew()
            if error is not None:  # the partition's end
                del ends[partition]
                continue
            offset = cast(int, message.offset())  # a message's, never None
            if offset >= ends[partition]:  # written since the sync began
                del ends[partition]
                continue
            _apply(state, message.key(), message.value(), codec)
            if offset + 1 >= ends[partition]:
                del ends[partition]
    return state


def _end_offsets(consumer: Consumer, topic: str, patience: _Patience) -> dict[int, int]:
    """The end offset of each partition that holds anything."""
    for _ in range(_METADATA_TRIES):  # a topic just created takes a moment to reach every broker
        found = consumer.list_topics(topic, timeout=patience.left()).topics.get(topic)
        patience.renew()
        if found is not None and found.error is None:
            break
        time.sleep(0.5)
    else:
        why = found.error.str() if found is not None and found.error is not None else "unknown topic"
        raise InputError(f"topic {topic} is not there ({why}): `payeeflow topics` creates it")
    ends = {}
    for partition in found.partitions:
        low, high = _watermarks(consumer, TopicPartition(topic, partition), patience)
        if high > low:
            ends[partition] = high
    return ends


def _watermarks(consumer: Consumer, partition: TopicPartition, patience: _Patience) -> tuple[int, int]:
    """A partition's low and high offsets, once the partition has a leader."""
    while True:
        try:
            low, high = consumer.get_watermark_offsets(partition, timeout=patience.left())
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if not isinstance(error, KafkaError) or not (
                error.code() in _LEADERLESS | _TRANSIENT or error.retriable()
            ):
                raise
            patience.wait(error)
            time.sleep(min(0.5, patience.left()))
            continue
        patience.renew()
        return low, high


def _apply(state: dict[str, bytes | None], key: bytes | None, value: bytes | None, codec: AvroCodec) -> None:
    try:
        supplier_id = key.decode() if key is not None else None
    except UnicodeDecodeError:
        supplier_id = None
    if supplier_id is None:  # no supplier's key: the feeds dead-letter it, no source row names it
        return
    if value is None:
        state.pop(supplier_id, None)
        return
    try:
        state[supplier_id] = digest(normalized(codec.decode(value)))
    except DecodeError as exc:
        log.warning("suppliers topic: %s's record does not decode (%s): it is sent again", supplier_id, exc)
        state[supplier_id] = None
