"""Small process helpers for the local stack: ports, pid files, commands."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from payeeflow.errors import StackError


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if time.monotonic() > deadline:
            tail = ""
            if log and log.exists():
                tail = "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise StackError(f"{what} did not open {host}:{port} within {timeout:.0f}s{tail}")
        time.sleep(0.3)


def require(tool: str, fix: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise StackError(f"'{tool}' is not installed: {fix}")
    return path


def run(cmd: list[str], what: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise StackError(
            f"{what} failed ({result.returncode}): {(result.stderr or result.stdout).strip()[-2000:]}"
        )
    return result  # type: ignore[no-any-return]


def stop_pid(pid_file: Path, timeout: float = 30.0) -> bool:
    """SIGTERM the process in ``pid_file``, SIGKILL it after ``timeout``; True if it was running."""
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().strip() or 0)
    pid_file.unlink()
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    return True


def apt_install(packages: list[str], what: str) -> None:
    """Install Debian packages when running as root with apt; otherwise say how."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise StackError(f"{what} is not installed: apt-get install {' '.join(packages)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-q"], "apt-get update", env=env)
    run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        f"apt-get install {what}",
        env=env,
    )
