"""PostgreSQL from Debian's packages, as a private cluster on 127.0.0.1:5433.

Run as root, the cluster belongs to the ``postgres`` user (the server refuses root) and lives in
``/var/lib/postgresql/payeeflow``; otherwise it lives in the stack folder and runs as the caller.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
from pathlib import Path

from payeeflow.errors import StackError
from payeeflow.localstack.process import apt_install, port_open, run, wait_for_port

log = logging.getLogger(__name__)

HOST, PORT = "127.0.0.1", 5433
USER = PASSWORD = DATABASE = "payeeflow"


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class LocalPostgres:
    """A private cluster; ``port``/``name``/``database`` let tests run a second one beside it."""

    def __init__(
        self, stack_dir: Path, port: int = PORT, name: str = "payeeflow", database: str = DATABASE
    ) -> None:
        self.as_root = os.geteuid() == 0
        self.port = port
        self.database = database
        base = Path("/var/lib/postgresql") / name if self.as_root else stack_dir.resolve() / name
        self.base = base
        self.data = base / "data"
        self.log_file = base / "server.log"

    @property
    def url(self) -> str:
        return f"postgresql://{USER}:{PASSWORD}@{HOST}:{self.port}/{self.database}"

    def install(self) -> Path:
        bindir = _bindir()
        if bindir:
            return bindir
        apt_install(["postgresql", "postgresql-contrib"], "PostgreSQL")
        bindir = _bindir()
        if not bindir:
            raise StackError("apt-get installed postgresql but no initdb was found")
        return bindir

    def _as_owner(self, cmd: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else cmd

    def running(self) -> bool:
        return port_open(HOST, self.port)

    def start(self) -> bool:
        """Install, init and start the cluster unless it answers already; True if it started it."""
        if self.running():
            if (self.data / "postmaster.pid").exists():  # ours: make sure the database exists
                self._ensure_database(self.install())
            return False
        bindir = self.install()
        self.data.parent.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            shutil.chown(self.data.parent, "postgres", "postgres")
        fresh = not (self.data / "PG_VERSION").exists()
        if fresh:
            run(
                self._as_owner(
                    [
                        str(bindir / "initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        "postgres",
                        "--auth-local=trust",
                        "--auth-host=scram-sha-256",
                        "-E",
                        "UTF8",
                        "--locale=C",
                    ]
                ),
                "initdb",
            )
        options = (
            f"-p {self.port} -c listen_addresses={HOST} -c unix_socket_directories={self.data} "
            "-c max_connections=200 -c shared_buffers=256MB -c synchronous_commit=on"
        )
        run(
            self._as_owner(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log_file),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            "pg_ctl start",
        )
        wait_for_port(HOST, self.port, 30, "PostgreSQL", self.log_file)
        self._ensure_database(bindir)
        return True

    def _ensure_database(self, bindir: Path) -> None:
        psql = self._as_owner(
            [
                str(bindir / "psql"),
                "-h",
                str(self.data),
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-tAc",
            ]
        )
        if not run([*psql, f"SELECT 1 FROM pg_roles WHERE rolname = '{USER}'"], "psql").stdout.strip():
            run([*psql, f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}' CREATEDB"], "create role")
        if not run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{self.database}'"], "psql"
        ).stdout.strip():
            run([*psql, f"CREATE DATABASE {self.database} OWNER {USER}"], "create database")

    def stop(self, mode: str = "fast") -> bool:
        """Stop the server; ``mode="immediate"`` is a crash (no shutdown checkpoint)."""
        bindir = _bindir()
        if not bindir or not (self.data / "postmaster.pid").exists():
            return False
        run(
            self._as_owner([str(bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            "pg_ctl stop",
        )
        return True
