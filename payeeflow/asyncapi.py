"""The AsyncAPI 3.0 document of every topic, generated from ``schemas/`` and ``streams/topics.py``:
``payeeflow asyncapi -o asyncapi.yaml`` (committed; CI checks it is up to date).

Each channel is a topic with its key, partitions, replicas and clean-up policy (Kafka binding
0.5.0), its Avro payload by reference to the released schema file, the registry it is read through
(Confluent wire format, TopicNameStrategy) and who writes and reads it.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from payeeflow import __version__
from payeeflow.config import LOCAL_KAFKA, LOCAL_REGISTRY, Settings
from payeeflow.errors import InputError
from payeeflow.schemas.codec import load_schema_json
from payeeflow.schemas.history import released
from payeeflow.streams.topics import INTERNAL, ROLES, topic_specs

AVRO = "application/vnd.apache.avro+json;version=1.9.0"
BINDING = "0.5.0"


def _camel(text: str) -> str:
    words = re.split(r"[^A-Za-z0-9]+", text)
    return words[0].lower() + "".join(w.capitalize() for w in words[1:])


def document(settings: Settings | None = None) -> dict[str, Any]:
    """The AsyncAPI document; refused while a schema differs from its last release, since the
    document points other teams at the released files."""
    settings = settings or Settings()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in topic_specs(settings):
        base = spec.name.removeprefix(settings.topic_prefix)
        if base in INTERNAL:
            continue
        role = ROLES[base]
        history = released(base)
        if not history or history[-1] != load_schema_json(base):
            raise InputError(
                f"{base}: its schema differs from its last release; run `payeeflow schemas release`"
            )
        record = history[-1]["name"]
        channel = _camel(base)
        messages[record] = {
            "name": record,
            "title": record,
            "summary": history[-1].get("doc", ""),
            "contentType": "application/octet-stream",
            "payload": {
                "schemaFormat": AVRO,
                "schema": {"$ref": f"./schemas/history/{base}/v{len(history)}.avsc"},
            },
            "bindings": {
                "kafka": {
                    "key": {"type": "string", "description": role.key},
                    "schemaIdLocation": "payload",
                    "schemaIdPayloadEncoding": "confluent",
                    "schemaLookupStrategy": "TopicIdStrategy",
                    "bindingVersion": BINDING,
                }
            },
        }
        channels[channel] = {
            "address": spec.name,
            "description": role.summary,
            "messages": {record: {"$ref": f"#/components/messages/{record}"}},
            "bindings": {
                "kafka": {
                    "topic": spec.name,
                    "partitions": spec.partitions,
                    "replicas": settings.topic_replication_factor,
                    "topicConfiguration": {
                        "cleanup.policy": [spec.config.get("cleanup.policy", "delete")],
                        "confluent.value.subject.name.strategy": "TopicNameStrategy",
                    },
                    "bindingVersion": BINDING,
                }
            },
        }
        for action, actors in (("send", role.producers), ("receive", role.consumers)):
            for actor in actors:
                operations[_camel(f"{actor} {action}s {base}")] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{channel}"},
                    "summary": f"{actor} {action}s {base}",
                    "messages": [{"$ref": f"#/channels/{channel}/messages/{record}"}],
                }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "payeeflow topics",
            "version": __version__,
            "description": __doc__.split("\n\n")[1].replace("\n", " ").strip(),
        },
        "servers": {
            "local": {
                "host": LOCAL_KAFKA,
                "protocol": "kafka",
                "description": "The local stack's broker (`payeeflow stack up`).",
                "bindings": {
                    "kafka": {
                        "schemaRegistryUrl": LOCAL_REGISTRY,
                        "schemaRegistryVendor": "confluent",
                        "bindingVersion": BINDING,
                    }
                },
            }
        },
        "defaultContentType": "application/octet-stream",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render(settings: Settings | None = None) -> str:
    return yaml.safe_dump(document(settings), sort_keys=False, width=100)
