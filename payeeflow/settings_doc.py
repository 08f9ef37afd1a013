"""The settings page, generated from ``Settings``: ``payeeflow settings -o docs/settings.md``
(committed; ``make lint`` checks it is up to date), so the page and the code never disagree."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo

from payeeflow.config import Settings

HEADER = """# Settings

<!-- Generated from payeeflow/config.py by `payeeflow settings -o docs/settings.md`: edit the
     descriptions there. `make lint` fails when this page is stale. -->

Every setting is an environment variable, read once into the frozen `payeeflow.config.Settings`
(pydantic-settings). `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` keep their conventional names;
every other is `PAYEEFLOW_` and the field's name in capitals. The Helm values and the compose file
map one-to-one onto them; how to run and operate the services is in [operations.md](operations.md).

| variable | default | meaning |
|---|---|---|
"""


def variable(name: str, field: FieldInfo) -> str:
    """The environment variable a field is read from: its conventional alias, else the prefixed name."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return f"PAYEEFLOW_{name.upper()}"


def _default(field: FieldInfo) -> str:
    value: Any = field.get_default(call_default_factory=True)
    if value is None:
        return "(unset)"
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        value = str(value).lower()
    if isinstance(value, Path | str) and not str(value):
        return "(empty)"
    return f"`{value}`"


def _meaning(field: FieldInfo) -> str:
    text = " ".join((field.description or "").split()).replace("|", "\\|")
    if get_origin(field.annotation) is Literal:
        text += " One of " + ", ".join(f"`{choice}`" for choice in get_args(field.annotation)) + "."
    return text


def render() -> str:
    """The page's Markdown: one row a field, in the order ``Settings`` declares them."""
    rows = [
        f"| `{variable(name, field)}` | {_default(field)} | {_meaning(field)} |"
        for name, field in Settings.model_fields.items()
    ]
    return HEADER + "\n".join(rows) + "\n"
