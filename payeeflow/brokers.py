"""How every client reaches Kafka, in one place: bootstrap servers, TLS and SASL for the workers
(Faust, and librdkafka for the stage topics' sends), the sink, ingest, the supplier load and feed,
the dead-letter replay and the admin calls."""

from __future__ import annotations

import ssl
from typing import Any

import faust
from aiokafka.helpers import create_ssl_context

from payeeflow.config import Settings

TLS = frozenset({"SSL", "SASL_SSL"})
SASL = frozenset({"SASL_PLAINTEXT", "SASL_SSL"})


def ssl_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context the broker's certificate is checked with (and a client certificate, for
    mutual TLS), when the protocol uses TLS."""
    if settings.kafka_security_protocol not in TLS:
        return None
    return create_ssl_context(  # type: ignore[no-any-return]
        cafile=str(settings.kafka_ssl_ca_file) if settings.kafka_ssl_ca_file else None,
        certfile=str(settings.kafka_ssl_cert_file) if settings.kafka_ssl_cert_file else None,
        keyfile=str(settings.kafka_ssl_key_file) if settings.kafka_ssl_key_file else None,
    )


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of every aiokafka producer, consumer and admin client."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap_servers,
        "security_protocol": settings.kafka_security_protocol,
    }
    if context := ssl_context(settings):
        options["ssl_context"] = context
    if settings.kafka_security_protocol in SASL:
        options.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password.get_secret_value()
            if settings.kafka_sasl_password
            else None,
        )
    return options


def librdkafka_options(settings: Settings) -> dict[str, Any]:
    """The same for a confluent-kafka (librdkafka) client: the stage topics' producer."""
    options: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "security.protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in TLS:
        files = {
            "ssl.ca.location": settings.kafka_ssl_ca_file,
            "ssl.certificate.location": settings.kafka_ssl_cert_file,
            "ssl.key.location": settings.kafka_ssl_key_file,
        }
        options.update({key: str(path) for key, path in files.items() if path})
    if settings.kafka_security_protocol in SASL:
        options.update(
            {
                "sasl.mechanism": settings.kafka_sasl_mechanism,
                "sasl.username": settings.kafka_sasl_username,
                "sasl.password": settings.kafka_sasl_password.get_secret_value()
                if settings.kafka_sasl_password
                else None,
            }
        )
    return options


def faust_credentials(settings: Settings) -> Any:
    """The same for a Faust app (``broker_credentials``); None on a plaintext broker."""
    context = ssl_context(settings)
    if settings.kafka_security_protocol in SASL:
        return faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=settings.kafka_sasl_password.get_secret_value()
            if settings.kafka_sasl_password
            else None,
            mechanism=settings.kafka_sasl_mechanism,
            ssl_context=context,
        )
    return faust.SSLCredentials(context) if context else None
