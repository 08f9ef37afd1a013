"""The alert rules and the dashboard the chart ships speak of metrics the code exports (a renamed
metric would leave an alert that never fires and a panel that stays empty)."""

import json
import re

import yaml

from tests.conftest import ROOT

FILES = ROOT / "helm/payeeflow/files"
# What Prometheus's client and Kubernetes' cAdvisor export beside ours.
STANDARD = {"process_resident_memory_bytes", "process_cpu_seconds_total"}
CADVISOR = {"container_memory_working_set_bytes", "container_spec_memory_limit_bytes"}
SUFFIXES = ("_bucket", "_count", "_sum")
SOURCES = ("agents", "api", "connectors", "payeeflow", "schemas", "streams")  # where metrics are declared


def exported() -> set[str]:
    """Every ``payeeflow_*`` metric name declared in the code, with a counter's ``_total``."""
    names = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r'"(payeeflow_[a-z_]+)"', path.read_text()))
    return names | {f"{n}_total" for n in names if not n.endswith("_total")}


def _base(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def names_in(expr: str) -> set[str]:
    return {_base(w) for w in re.findall(r"\b((?:payeeflow|process|container)_[a-z_]+)\b", expr)}


def test_every_alert_names_exported_metrics_and_says_what_to_do() -> None:
    known = exported() | CADVISOR
    rules = yaml.safe_load((FILES / "alerts.yaml").read_text())["groups"][0]["rules"]
    assert len(rules) >= 10
    for rule in rules:
        assert names_in(rule["expr"]) <= known, (rule["alert"], names_in(rule["expr"]) - known)
        assert rule["labels"]["severity"] in ("info", "warning", "critical")
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    tested = yaml.safe_load((FILES / "alerts.test.yaml").read_text())
    fired = {case["alertname"] for test in tested["tests"] for case in test["alert_rule_test"]}
    assert fired == {rule["alert"] for rule in rules}  # promtool tests each one (make lint)


def test_every_dashboard_panel_queries_exported_metrics() -> None:
    known = exported() | STANDARD
    dashboard = json.loads((FILES / "dashboard.json").read_text())
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            assert names_in(target["expr"]) and names_in(target["expr"]) <= known, (
                panel["title"],
                names_in(target["expr"]) - known,
            )
