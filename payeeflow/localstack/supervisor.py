"""Keeps the local services running: ``payeeflow supervise``, started in the background by ``run``.

Each service is a child process logging to ``.stack/run/NAME.log``; one that exits is started
again after a backoff (1 s, doubling to 30 s, back to 1 s once it has stayed up a minute). Each
gets a static consumer-group instance id, so a restarted worker or sink takes its partitions back
at once. SIGTERM stops the children, then the supervisor. Child pids are written to
``NAME.pid`` for people to look at; only ``supervisor.pid`` is used to stop them all.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0
STABLE_AFTER = 60.0


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    backoff: float = 1.0
    restart_at: float = 0.0


class Supervisor:
    def __init__(self, folder: Path, services: dict[str, list[str]], env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.children = [Child(name, argv) for name, argv in services.items()]
        self.stopping = False

    def _start(self, child: Child) -> None:
        with (self.folder / f"{child.name}.log").open("ab") as out:
            child.proc = subprocess.Popen(
                child.argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**self.env, "PAYEEFLOW_GROUP_INSTANCE_ID": f"local-{child.name}"},
            )
        child.started = time.monotonic()
        (self.folder / f"{child.name}.pid").write_text(str(child.proc.pid))
        log.info("started %s (pid %d)", child.name, child.proc.pid)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def run(self, poll: float = 0.5) -> None:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for child in self.children:
            self._start(child)
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                if child.proc is not None and (code := child.proc.poll()) is not None:
                    if now - child.started > STABLE_AFTER:
                        child.backoff = 1.0
                    child.restart_at = now + child.backoff
                    log.warning("%s exited with %s; restarting in %.0fs", child.name, code, child.backoff)
                    child.backoff = min(child.backoff * 2, MAX_BACKOFF)
                    child.proc = None
                if child.proc is None and now >= child.restart_at:
                    self._start(child)
            time.sleep(poll)
        self.shutdown()

    def shutdown(self, timeout: float = 20.0) -> None:
        running = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            proc.terminate()
        deadline = time.monotonic() + timeout
        for proc in running:
            try:
                proc.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
        for child in self.children:
            (self.folder / f"{child.name}.pid").unlink(missing_ok=True)


def supervise(folder: Path, services: dict[str, list[str]]) -> None:
    Supervisor(folder, services, dict(os.environ)).run()
