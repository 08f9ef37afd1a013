"""Avro contracts of every topic: one ``<topic>.avsc`` file each, parsed once by ``codec``."""

from payeeflow.schemas.codec import TOPIC_SCHEMAS, AvroCodec, codec_for

__all__ = ["TOPIC_SCHEMAS", "AvroCodec", "codec_for"]
