"""Helm values and the compose file map one-to-one onto ``Settings``: no variable goes unread."""

import re
from pathlib import Path

import yaml

from payeeflow.config import Settings
from tests.conftest import ROOT

CONVENTIONAL = {"KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL"}


def known_variables() -> set[str]:
    return CONVENTIONAL | {f"PAYEEFLOW_{name.upper()}" for name in Settings.model_fields}


def test_helm_settings_are_settings_fields() -> None:
    values = yaml.safe_load((ROOT / "helm/payeeflow/values.yaml").read_text())
    assert {f"PAYEEFLOW_{key}" for key in values["settings"]} <= known_variables()


def test_helm_templates_set_only_settings_fields() -> None:
    """The variables the templates write themselves: the Secrets' logins and mounted files' paths."""
    templates = (ROOT / "helm/payeeflow/templates").glob("*")
    named = {name for path in templates for name in re.findall(r"\bPAYEEFLOW_[A-Z0-9_]+", path.read_text())}
    assert {"PAYEEFLOW_KAFKA_SSL_CA_FILE", "PAYEEFLOW_CARD_NETWORK_SIGNING_KEY_FILE"} <= named
    assert named <= known_variables()


def test_compose_environment_is_settings_fields() -> None:
    compose = yaml.safe_load(Path(ROOT / "docker-compose.kafka.yml").read_text())
    for name, service in compose["services"].items():
        if "build" in service:
            assert set(service["environment"]) <= known_variables(), name


def test_every_worker_deployment_names_known_stages() -> None:
    values = yaml.safe_load((ROOT / "helm/payeeflow/values.yaml").read_text())
    from payeeflow.streams.worker import parse_stages

    stages = [stage for worker in values["workers"] for stage in parse_stages(worker["stages"])]
    assert sorted(stages) == sorted(set(stages)), "a stage in two deployments would be processed twice"
