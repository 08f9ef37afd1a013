"""The local supervisor restarts a service that dies and stops its services when told to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from payeeflow.config import Settings
from payeeflow.demo import service_commands

SCRIPT = """
import sys
from pathlib import Path
from payeeflow.localstack.supervisor import Supervisor
sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
Supervisor(Path(sys.argv[1]), {"sleeper": sleeper}, {}).run(poll=0.05)
"""


def wait_for_pid(path: Path, other_than: int | None = None, timeout: float = 10) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and (text := path.read_text().strip()) and int(text) != other_than:
            return int(text)
        time.sleep(0.05)
    raise AssertionError(f"no new pid in {path}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_dead_service_is_restarted_and_sigterm_stops_everything(tmp_path: Path) -> None:
    supervisor = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path)])
    try:
        first = wait_for_pid(tmp_path / "sleeper.pid")
        os.kill(first, signal.SIGKILL)
        second = wait_for_pid(tmp_path / "sleeper.pid", other_than=first)
        assert alive(second)
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(30) == 0
        deadline = time.monotonic() + 5
        while alive(second) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(second)
        assert not (tmp_path / "sleeper.pid").exists()
    finally:
        supervisor.kill()


def test_the_providers_process_is_supervised_only_when_asked_for_with_a_provider_on() -> None:
    assert "providers" not in service_commands(Settings(providers_process=True))  # no provider on
    assert "providers" not in service_commands(Settings(card_network_enabled=True))
    both = service_commands(Settings(card_network_enabled=True, providers_process=True))
    assert both["providers"][-3:] == ["worker", "--stage", "providers"] and {"worker", "sink", "api"} <= set(
        both
    )
