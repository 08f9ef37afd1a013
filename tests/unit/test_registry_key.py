"""The registry stand-in's admin key: set, or made once for the local stack, and sent by the
clients that should send it, and only by them."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from payeeflow.config import Settings, registry_conf
from payeeflow.registry.auth import admin_key


def test_the_local_stack_makes_one_key_for_its_owner_alone_and_its_clients_send_it(tmp_path: Path) -> None:
    local = Settings(stack_dir=tmp_path / ".stack")
    assert "basic.auth.user.info" not in registry_conf(local)  # no stand-in has started yet
    key = admin_key(local)
    assert admin_key(local) == key and len(key) >= 40  # made once, 256 random bits
    key_file = tmp_path / ".stack" / "registry.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert registry_conf(local)["basic.auth.user.info"] == f"admin:{key}"
    configured = Settings(stack_dir=tmp_path / ".stack", schema_registry_url="https://registry.example:8081")
    assert "basic.auth.user.info" not in registry_conf(configured)  # never sent elsewhere


def test_a_key_set_is_used_and_basic_authentication_set_wins(tmp_path: Path) -> None:
    keyed = Settings(stack_dir=tmp_path, registry_admin_key=SecretStr("k3y"))
    assert admin_key(keyed) == "k3y" and not (tmp_path / "registry.key").exists()
    assert registry_conf(keyed)["basic.auth.user.info"] == "admin:k3y"
    both = keyed.model_copy(update={"schema_registry_basic_auth": SecretStr("team:pw")})
    assert registry_conf(both)["basic.auth.user.info"] == "team:pw"
