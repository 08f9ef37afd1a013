"""Consuming a payeeflow topic as another team would: confluent-kafka only (``Consumer``,
``SchemaRegistryClient``, ``AvroDeserializer``), nothing of payeeflow installed.

    pip install confluent-kafka==2.16.0 fastavro httpx attrs cachetools authlib
    python examples/consume_enriched.py [--topic payees.enriched] [--max 100] [--idle 10]

Reads ``KAFKA_BOOTSTRAP_SERVERS`` (default ``127.0.0.1:9092``) and ``PAYEEFLOW_SCHEMA_REGISTRY_URL``
(default ``http://127.0.0.1:8081``, the local stack's registry) and prints each record as one JSON
line, its key beside it. The writer's schema comes from the registry by the id in each message.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid

from confluent_kafka import Consumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--topic", default="payees.enriched")
    parser.add_argument("--max", type=int, default=0, help="stop after this many records (0: no limit)")
    parser.add_argument("--idle", type=float, default=10.0, help="stop after this many seconds without one")
    args = parser.parse_args()
    consumer = Consumer(
        {
            "bootstrap.servers": os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            "group.id": f"another-team-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    registry = SchemaRegistryClient(
        {"url": os.environ.get("PAYEEFLOW_SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081")}
    )
    deserialize = AvroDeserializer(registry)
    consumer.subscribe([args.topic])
    seen, last = 0, time.monotonic()
    try:
        while (not args.max or seen < args.max) and time.monotonic() - last < args.idle:
            message = consumer.poll(1.0)
            if message is None:
                continue
            if message.error():
                raise SystemExit(f"kafka: {message.error()}")
            context = SerializationContext(message.topic() or args.topic, MessageField.VALUE)
            try:
                value = deserialize(message.value(), context)
            except (SchemaRegistryError, SerializationError) as exc:  # e.g. written before a registry
                print(f"skipped offset {message.offset()}: {exc}", file=sys.stderr)
                continue
            raw_key = message.key()
            key = raw_key.decode() if isinstance(raw_key, bytes) else raw_key
            print(json.dumps({"key": key, "value": value}, default=str), flush=True)
            seen, last = seen + 1, time.monotonic()
    finally:
        consumer.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
