"""Every Kafka client's connection options come from one place, the settings."""

from __future__ import annotations

import ssl
from pathlib import Path

import faust

from payeeflow.brokers import client_options, faust_credentials, librdkafka_options
from payeeflow.config import Settings
from payeeflow.streams.topics import SUPPLIERS, topic_specs


def test_plaintext_is_just_the_servers() -> None:
    settings = Settings(KAFKA_BOOTSTRAP_SERVERS="a:9092,b:9092")
    assert client_options(settings) == {
        "bootstrap_servers": "a:9092,b:9092",
        "security_protocol": "PLAINTEXT",
    }
    assert faust_credentials(settings) is None
    assert librdkafka_options(settings) == {
        "bootstrap.servers": "a:9092,b:9092",
        "security.protocol": "PLAINTEXT",
    }


def test_sasl_over_tls_reaches_aiokafka_and_faust() -> None:
    settings = Settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="payeeflow",
        kafka_sasl_password="secret",
    )
    options = client_options(settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert (options["sasl_mechanism"], options["sasl_plain_username"], options["sasl_plain_password"]) == (
        "SCRAM-SHA-512",
        "payeeflow",
        "secret",
    )
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    credentials = faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    assert credentials.username == "payeeflow" and credentials.ssl_context is not None
    rdkafka = librdkafka_options(settings)
    assert (rdkafka["security.protocol"], rdkafka["sasl.mechanism"], rdkafka["sasl.password"]) == (
        "SASL_SSL",
        "SCRAM-SHA-512",
        "secret",
    )


def test_mutual_tls_files_reach_librdkafka(tmp_path: Path) -> None:
    ca, cert, key = (tmp_path / name for name in ("ca.pem", "client.pem", "client.key"))
    settings = Settings(
        kafka_security_protocol="SSL", kafka_ssl_ca_file=ca, kafka_ssl_cert_file=cert, kafka_ssl_key_file=key
    )
    options = librdkafka_options(settings)
    assert (options["ssl.ca.location"], options["ssl.certificate.location"], options["ssl.key.location"]) == (
        str(ca),
        str(cert),
        str(key),
    )


def test_topics_are_created_with_the_replication_the_settings_ask() -> None:
    specs = topic_specs(Settings(topic_min_insync_replicas=2, topic_replication_factor=3))
    assert all(spec.config["min.insync.replicas"] == "2" for spec in specs)
    assert [s.config.get("cleanup.policy") for s in specs if s.name == SUPPLIERS] == ["compact"]
