"""Encode and decode topic records in the Confluent wire format.

A message is ``0x00`` + a 4-byte big-endian schema id + the fastavro schemaless body, so any
Confluent-compatible consumer can read it. No schema registry is installable here, so the id is
derived from the schema's Parsing Canonical Form (its CRC-64-AVRO fingerprint, top 31 bits): the
same schema gets the same id everywhere, and a changed schema gets a new one.
"""

from __future__ import annotations

import io
import json
import struct
from functools import cache
from pathlib import Path
from typing import Any

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form

from payeeflow.errors import DecodeError

SCHEMA_DIR = Path(__file__).parent
TOPIC_SCHEMAS = (
    "payees.raw",
    "payees.screened",
    "payees.classified",
    "payees.matched",
    "payees.enriched",
    "payees.dlq",
    "payees.batches",
    "suppliers",
)
_HEADER = struct.Struct(">bI")


def load_schema_json(topic: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{topic}.avsc").read_text())


def schema_id(parsed: Any) -> int:
    digest = fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO")
    return int(digest[:8], 16) & 0x7FFFFFFF


class AvroCodec:
    """Encoder/decoder bound to one topic's schema."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.schema = fastavro.parse_schema(load_schema_json(topic))
        self.schema_id = schema_id(self.schema)
        self._header = _HEADER.pack(0, self.schema_id)

    def encode(self, record: dict[str, Any]) -> bytes:
        buf = io.BytesIO()
        buf.write(self._header)
        fastavro.schemaless_writer(buf, self.schema, record)
        return buf.getvalue()

    def decode(self, data: bytes | None) -> dict[str, Any]:
        if not data or len(data) < _HEADER.size:
            raise DecodeError(f"{self.topic}: message too short for the wire format")
        magic, sid = _HEADER.unpack_from(data)
        if magic != 0:
            raise DecodeError(f"{self.topic}: magic byte {magic}, expected 0")
        if sid != self.schema_id:
            raise DecodeError(f"{self.topic}: unknown schema id {sid}")
        buf = io.BytesIO(data)
        buf.seek(_HEADER.size)
        try:
            record = fastavro.schemaless_reader(buf, self.schema, self.schema)
        except Exception as exc:  # fastavro raises many types for corrupt bodies
            raise DecodeError(f"{self.topic}: {type(exc).__name__}: {exc}") from exc
        if buf.tell() != len(data):
            raise DecodeError(f"{self.topic}: {len(data) - buf.tell()} trailing bytes")
        return record  # type: ignore[return-value]


@cache
def codec_for(topic: str) -> AvroCodec:
    """The codec of a topic's base name (``payees.raw``…), parsed once per process."""
    return AvroCodec(topic)
