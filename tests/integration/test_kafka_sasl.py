"""The clients' security settings against a broker that requires them: SASL_SSL with SCRAM.

A broker of this module's own (the stack's jars) takes only TLS with a SCRAM-SHA-512 login on the
port the clients are given; its certificate comes from a CA made for the run. A file goes through
ingest (librdkafka), the supplier load (aiokafka), a fused worker (Faust's consumer, librdkafka's
stage sends) and the sink (aiokafka) into PostgreSQL with nothing but the project's settings; a
wrong password is refused by both client libraries with the broker's reason.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import psycopg
import pytest
from aiokafka.errors import KafkaConnectionError
from confluent_kafka import KafkaError, Producer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import SecretStr

from payeeflow.brokers import librdkafka_options
from payeeflow.config import Settings
from payeeflow.connectors.files.ingest import ingest_file
from payeeflow.connectors.suppliers import load_suppliers
from payeeflow.localstack.kafka import LocalKafka, SaslSslListener
from payeeflow.localstack.process import stop_pid
from payeeflow.streams.topics import RAW, create_topics, delete_topics
from tests.conftest import EXAMPLES, ROOT
from tests.integration.conftest import Services, free_port, prefixed_copy, wait_until

pytestmark = pytest.mark.integration

USER = "payeeflow"
MECHANISM = "SCRAM-SHA-512"


def certificates(folder: Path) -> tuple[Path, Path]:
    """A CA made for this run and a certificate for 127.0.0.1 it signs: the CA's PEM (what the
    clients trust) and the broker's PEM keystore (its PKCS#8 key, certificate and the CA)."""
    now = datetime.now(UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "payeeflow test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_file, keystore = folder / "ca.pem", folder / "broker.pem"
    ca_file.write_bytes(ca.public_bytes(pem))
    keystore.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + cert.public_bytes(pem)
        + ca.public_bytes(pem)
    )
    return ca_file, keystore


@pytest.fixture(scope="module")
def secure_kafka(stack_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The broker, and the session's settings pointed at its SASL_SSL port with the user's login."""
    ca_file, keystore = certificates(tmp_path_factory.mktemp("tls"))
    password = uuid.uuid4().hex
    listener = SaslSslListener(free_port(), keystore, USER, password, MECHANISM)
    kafka = LocalKafka(
        ROOT / ".stack", free_port(), free_port(), ROOT / ".stack" / "test" / "kafka-sasl", listener
    )
    shutil.rmtree(kafka.home, ignore_errors=True)
    try:
        kafka.start()
        yield stack_settings.model_copy(
            update={
                "kafka_bootstrap_servers": f"127.0.0.1:{listener.port}",
                "kafka_security_protocol": "SASL_SSL",
                "kafka_sasl_mechanism": MECHANISM,
                "kafka_sasl_username": USER,
                "kafka_sasl_password": SecretStr(password),
                "kafka_ssl_ca_file": ca_file,
                "topic_prefix": f"sasl{uuid.uuid4().hex[:8]}.",
                "worker_web_port": free_port(),
            }
        )
    finally:  # its data is thrown away, and a broker's SIGTERM shutdown outlasts stop()'s 30 s here
        stop_pid(kafka.pid_file, timeout=2)


def security_env(settings: Settings) -> dict[str, str]:
    """The variables a deployment sets for this broker (the chart's ConfigMap, Secret and files)."""
    assert settings.kafka_sasl_password and settings.kafka_sasl_username
    return {
        "PAYEEFLOW_KAFKA_SECURITY_PROTOCOL": settings.kafka_security_protocol,
        "PAYEEFLOW_KAFKA_SASL_MECHANISM": settings.kafka_sasl_mechanism,
        "PAYEEFLOW_KAFKA_SASL_USERNAME": settings.kafka_sasl_username,
        "PAYEEFLOW_KAFKA_SASL_PASSWORD": settings.kafka_sasl_password.get_secret_value(),
        "PAYEEFLOW_KAFKA_SSL_CA_FILE": str(settings.kafka_ssl_ca_file),
    }


def test_a_file_goes_through_every_client_over_sasl_ssl(
    secure_kafka: Settings, tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = secure_kafka
    asyncio.run(create_topics(settings))
    services = Services(settings, tmp_path_factory.mktemp("logs"))
    try:
        asyncio.run(load_suppliers(settings, EXAMPLES / "suppliers.csv", progress=False))
        services.start("worker", "worker", "--stage", "all", env=security_env(settings))
        services.start("sink", "sink", "--metrics-port", str(free_port()), env=security_env(settings))
        services.wait_ready(settings.worker_web_port)
        path = prefixed_copy(
            EXAMPLES / "payees.csv", tmp_path_factory.mktemp("in") / "payees.csv", settings.topic_prefix
        )
        result = asyncio.run(ingest_file(settings, path, progress=False))
        assert result.produced == 1003

        def counts() -> tuple[int, int]:
            with psycopg.connect(settings.dsn) as conn:
                [(stored, dead)] = conn.execute(
                    "SELECT (SELECT count(*) FROM batch_payees WHERE batch_id = %(b)s"
                    " AND outcome = 'stored'), (SELECT count(*) FROM dead_letters WHERE batch_id = %(b)s)",
                    {"b": result.batch_id},
                ).fetchall()
            return stored, dead

        wait_until(lambda: counts() == (1000, 3))
    finally:
        services.stop()
        asyncio.run(delete_topics(settings))


def test_a_wrong_password_is_refused_with_the_brokers_reason(
    secure_kafka: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = secure_kafka.model_copy(update={"kafka_sasl_password": SecretStr("not-the-password")})
    with caplog.at_level(logging.ERROR, logger="aiokafka"), pytest.raises(KafkaConnectionError):
        asyncio.run(create_topics(wrong))  # aiokafka: the admin client, as every aiokafka client
    assert "SaslAuthenticationFailed" in caplog.text and "invalid credentials" in caplog.text

    errors: list[KafkaError] = []
    producer = Producer({**librdkafka_options(wrong), "error_cb": errors.append})
    producer.produce(wrong.topic(RAW), b"never sent")
    deadline = time.monotonic() + 30
    while not errors and time.monotonic() < deadline:
        producer.poll(0.2)
    producer.purge()
    producer.flush(1)  # serves the purged message's report, so nothing is left at exit
    assert errors, "librdkafka reported nothing in 30 s"
    assert errors[0].code() == KafkaError._AUTHENTICATION
    assert "invalid credentials" in errors[0].str()
