"""Encode and decode topic records in the Confluent wire format, with schemas from a registry.

A message is ``0x00`` + the 4-byte big-endian id the schema registry gave its schema + the
fastavro schemaless body, so any Confluent-compatible consumer reads it (confluent-kafka's
``AvroDeserializer``, Java's ``KafkaAvroDeserializer``, Kafka Connect). A producer registers its
topic's schema under ``<topic>-value`` (TopicNameStrategy), at BACKWARD_TRANSITIVE compatibility;
a consumer resolves any id through the registry and reads with its own schema as the reader, so
old and new writers share a topic. confluent-kafka's ``SchemaRegistryClient`` does every registry
call; the framing stays here (5.7 µs a record to decode, against 24 µs through its
``AvroDeserializer``: tests prove the bytes with both of its serializers).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import struct
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import fastavro
from cachetools import LRUCache
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from fastavro.schema import fingerprint, to_parsing_canonical_form
from fastavro.write import LOGICAL_WRITERS

from payeeflow._native import AvroSchema
from payeeflow.config import Settings, registry_conf
from payeeflow.errors import DecodeError, RegistryUnavailable

log = logging.getLogger(__name__)

SCHEMA_DIR = Path(__file__).parent
_TYPED = frozenset({"type", "items", "values", "fields"})  # the keys whose values name or hold types
TOPIC_SCHEMAS = (
    "payees.raw",
    "payees.screened",
    "payees.classified",
    "payees.matched",
    "payees.enriched",
    "payees.dlq",
    "payees.batches",
    "suppliers",
    "payees.corrections",
)
COMPATIBILITY = "BACKWARD_TRANSITIVE"  # a new schema reads everything any earlier one wrote
_HEADER = struct.Struct(">bI")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TO_MILLIS = LOGICAL_WRITERS["long-timestamp-millis"]  # fastavro's own conversion


def _millis(value: Any) -> int:
    return _TO_MILLIS(value, {})  # type: ignore[no-any-return]


def load_schema_json(topic: str, directory: Path = SCHEMA_DIR) -> dict[str, Any]:
    """A topic's schema, self-contained as a registry and other teams take it: each shared named
    type (``types/<fullname>.avsc``, defined once for every topic) written out where the topic
    first uses it, by name after that."""
    schema = json.loads((directory / f"{topic}.avsc").read_text())
    return _inline(schema, schema.get("namespace"), set(), directory / "types")  # type: ignore[no-any-return]


def _inline(node: Any, namespace: str | None, defined: set[str], types: Path) -> Any:
    if isinstance(node, str):
        path = types / f"{node}.avsc"
        if node in defined or not path.exists():
            return node
        defined.add(node)
        named = json.loads(path.read_text())
        if named.get("namespace") == namespace:
            del named["namespace"]  # the topic's own: said once, at the top
        return _inline(named, namespace, defined, types)
    if isinstance(node, list):
        return [_inline(item, namespace, defined, types) for item in node]
    if isinstance(node, dict):
        return {k: _inline(v, namespace, defined, types) if k in _TYPED else v for k, v in node.items()}
    return node


class AvroCodec:
    """Encoder/decoder of one topic: writes its schema under the registry's id, reads a record
    written with any schema the registry knows into its own (Avro schema resolution)."""

    def __init__(self, base: str, topic: str, registry: SchemaRegistryClient, levels: bool = True) -> None:
        self.topic = topic
        self.subject = f"{topic}-value"
        spec = load_schema_json(base)
        text = json.dumps(spec)
        named: dict[str, Any] = {}  # the named types the schema defines, for ``_tail_schema``
        self.schema = fastavro.parse_schema(json.loads(text), named_schemas=named)
        self._fields: list[dict[str, Any]] = spec["fields"]
        self._registry = registry
        if levels:
            _require_compatibility(registry, self.subject)
        self.schema_id: int = registry.register_schema(self.subject, Schema(text, "AVRO"))
        self._header = _HEADER.pack(0, self.schema_id)
        self._tail = _tail_schema(base, spec, named)
        self._writers: LRUCache[int, Any] = LRUCache(maxsize=256)  # writer schemas by id
        self._writers[self.schema_id] = self.schema
        self._writers[legacy_id(self.schema)] = self.schema
        self._compiled = _compiled(spec)

    def encode(self, record: dict[str, Any]) -> bytes:
        if self._compiled is not None:
            return self._compiled.write(record, self._header)
        buf = io.BytesIO()
        buf.write(self._header)
        fastavro.schemaless_writer(buf, self.schema, record)
        return buf.getvalue()

    def extends(self, previous: AvroCodec) -> bool:
        """Whether this topic's records are ``previous``'s with one section added at the end, each
        earlier field of the same type: then ``extend`` may write one from the other's bytes."""
        ours, theirs = self._fields, previous._fields
        return len(ours) == len(theirs) + 1 and all(
            _canonical(a) == _canonical(b) for a, b in zip(ours, theirs, strict=False)
        )

    def extend(self, previous: bytes, record: dict[str, Any]) -> bytes:
        """``encode(record)`` from the message the previous topic's codec wrote of this record
        (see ``extends``): an Avro record is its fields' encodings one after the other, so the
        earlier fields are copied and only the new section is written. The caller vouches that
        the stage changed nothing but that section (``tests/unit/test_schemas.py`` proves it for
        every stage)."""
        if self._compiled is not None:
            return self._compiled.write(record, self._header, previous)
        buf = io.BytesIO()
        buf.write(self._header)
        buf.write(memoryview(previous)[_HEADER.size :])
        last = self._fields[-1]["name"]
        fastavro.schemaless_writer(buf, self._tail, {last: record[last]})
        return buf.getvalue()

    def decode(self, data: bytes | None) -> dict[str, Any]:
        if not data or len(data) < _HEADER.size:
            raise DecodeError(f"{self.topic}: message too short for the wire format")
        magic, sid = _HEADER.unpack_from(data)
        if magic != 0:
            raise DecodeError(f"{self.topic}: magic byte {magic}, expected 0")
        writer = self._writers.get(sid) or self._writer(sid)
        try:
            if writer is self.schema and self._compiled is not None:
                record, end = self._compiled.read(data, _HEADER.size)
            else:  # another version's record: fastavro resolves it into ours
                buf = io.BytesIO(data)
                buf.seek(_HEADER.size)
                record = fastavro.schemaless_reader(buf, writer, self.schema)
                end = buf.tell()
        except Exception as exc:  # corrupt bodies raise many types
            raise DecodeError(f"{self.topic}: {type(exc).__name__}: {exc}") from exc
        if end != len(data):
            raise DecodeError(f"{self.topic}: {len(data) - end} trailing bytes")
        return record  # type: ignore[no-any-return]

    async def decode_waiting(self, data: bytes | None) -> dict[str, Any]:
        """``decode``, waiting out a registry that does not answer (backoff up to 5 s) instead of
        calling a good record bad: what the stages and the sink read with."""
        delay = 0.5
        while True:
            try:
                return self.decode(data)
            except RegistryUnavailable as exc:
                log.warning("%s; retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _writer(self, sid: int) -> Any:
        """The schema a record was written with, from the registry (once per id). An id the
        registry does not know is a bad record; a registry that does not answer is not."""
        try:
            found = self._registry.get_schema(sid)
        except SchemaRegistryError as exc:
            if exc.http_status_code == 404:
                raise DecodeError(f"{self.topic}: unknown schema id {sid}") from exc
            raise RegistryUnavailable(f"schema registry: {exc}") from exc
        except Exception as exc:  # the HTTP client's own errors: refused, timed out, reset
            raise RegistryUnavailable(f"schema registry: {type(exc).__name__}: {exc}") from exc
        try:
            writer = fastavro.parse_schema(json.loads(found.schema_str or ""))
        except Exception as exc:  # a registered schema fastavro cannot read: no record of it can
            raise DecodeError(f"{self.topic}: schema {sid} unreadable: {exc}") from exc
        self._writers[sid] = writer
        return writer


def _timestamp(millis: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=millis)  # as fastavro reads one


def _compiled(spec: dict[str, Any]) -> AvroSchema | None:
    """The schema compiled to read and write its own records (``native/src/avro.rs``: 7-10 µs
    to read a ``payees.enriched`` record where fastavro takes 25-33), or None for a schema it
    does not compile."""
    try:
        return AvroSchema(spec, _timestamp, _millis)
    except ValueError as exc:
        log.info("%s: read and written by fastavro (%s)", spec.get("name"), exc)
        return None


def _tail_schema(base: str, spec: dict[str, Any], named: dict[str, Any]) -> Any:
    """A record of the topic's last field alone, its types resolved against the whole schema's
    ``named`` types (the field as the topic's file writes it: its type by name, not inlined)."""
    last = json.loads((SCHEMA_DIR / f"{base}.avsc").read_text())["fields"][-1]
    tail = {
        "type": "record",
        "name": f"{spec['name']}Tail",
        "namespace": spec.get("namespace"),
        "fields": [last],
    }
    return fastavro.parse_schema(tail, named_schemas=dict(named))


def _canonical(field: dict[str, Any]) -> str:
    return json.dumps(field, sort_keys=True, default=str)


def legacy_id(parsed: Any) -> int:
    """The id payeeflow wrote before it used a registry (the top 31 bits of the schema's CRC-64-AVRO
    fingerprint): messages still in flight from an older version decode. Registry ids count up
    from 1; these are large, so the two do not meet in practice."""
    digest = fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO")
    return int(digest[:8], 16) & 0x7FFFFFFF


def _require_compatibility(registry: SchemaRegistryClient, subject: str) -> None:
    """Put the subject at ``COMPATIBILITY`` before registering, so the registry refuses a schema
    that could not read what the topic already holds. A registry that keeps producers from
    setting it (a managed one, say) keeps its own level: said, not fatal."""
    try:
        if registry.get_compatibility(subject) == COMPATIBILITY:
            return
    except SchemaRegistryError:
        pass  # no subject-level setting yet
    try:
        registry.set_compatibility(subject, COMPATIBILITY)
    except SchemaRegistryError as exc:
        log.warning("could not set %s compatibility on %s: %s", COMPATIBILITY, subject, exc)


Conf = tuple[tuple[str, str], ...]


@cache
def _client(url: str, conf: Conf) -> SchemaRegistryClient:
    """One client per registry and process; ``mock://`` gives confluent-kafka's in-process mock."""
    return SchemaRegistryClient.new_client({"url": url, **dict(conf)})  # type: ignore[no-any-return]


def _conf(settings: Settings) -> Conf:
    return tuple(sorted(registry_conf(settings).items()))


def registry_for(settings: Settings) -> SchemaRegistryClient:
    """The schema registry client ``settings`` configure, shared by every codec of the process."""
    return _client(settings.schema_registry_url, _conf(settings))


@cache
def _codec(base: str, topic: str, url: str, conf: Conf) -> AvroCodec:
    # confluent-kafka's in-process mock (``mock://``, unit tests) keeps no compatibility levels
    return AvroCodec(base, topic, _client(url, conf), levels=not url.startswith("mock://"))


def codec_for(base: str, settings: Settings) -> AvroCodec:
    """The codec of a topic's base name (``payees.raw``…) as ``settings`` name and register it,
    built once per process."""
    return _codec(base, settings.topic(base), settings.schema_registry_url, _conf(settings))
