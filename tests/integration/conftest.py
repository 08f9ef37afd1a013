"""The real Kafka broker and PostgreSQL, started for the test session alone.

The suite never touches the running stack: it starts its own single-node Kafka (KRaft) and its
own PostgreSQL cluster on free ports, with fresh data, under ``.stack/test`` (the broker's jars are
shared with the local stack's, so nothing is downloaded twice), and stops them at the end. Fault
tests may kill and restart either. Each module gets its own topic prefix and consumer groups.

Without Java/Maven or PostgreSQL these tests skip with the reason; with
``PAYEEFLOW_REQUIRE_STACK=1`` (CI) they fail instead, so a missing broker never passes for green.
"""

from __future__ import annotations

import asyncio
import csv
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from payeeflow.api import keys
from payeeflow.api.main import create_app
from payeeflow.config import Settings
from payeeflow.connectors.database.postgres import migrate, wait_for_database
from payeeflow.connectors.suppliers import load_suppliers
from payeeflow.errors import StackError
from payeeflow.localstack.kafka import LocalKafka
from payeeflow.localstack.postgres import LocalPostgres
from payeeflow.localstack.process import wait_for_port
from payeeflow.streams.topics import create_topics, delete_topics
from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.integration


_GIVEN: set[int] = set()


def free_port() -> int:
    """A port free now and not handed out before in this session: the system may offer a port
    again before the server it went to has bound it (the registry once got the broker's)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


@dataclass
class PrivateStack:
    """The session's own broker, database and schema registry; fault tests may kill and bring
    back the first two."""

    kafka: LocalKafka
    postgres: LocalPostgres
    registry_url: str
    registry_admin_key: str  # what its writes need

    def kill_kafka(self) -> None:
        os.kill(int(self.kafka.pid_file.read_text()), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while self.kafka.running() and time.monotonic() < deadline:
            time.sleep(0.2)

    def start_kafka(self) -> None:
        self.kafka.start()

    def crash_postgres(self) -> None:
        self.postgres.stop(mode="immediate")

    def start_postgres(self) -> None:
        self.postgres.start()


@pytest.fixture(scope="session")
def test_stack() -> Iterator[PrivateStack]:
    home = ROOT / ".stack" / "test"
    kafka = LocalKafka(ROOT / ".stack", free_port(), free_port(), home=home / "kafka")
    postgres = LocalPostgres(ROOT / ".stack", free_port(), name="payeeflow-test", database="payeeflow_test")
    registry_port = free_port()
    registry_url = f"http://127.0.0.1:{registry_port}"
    registry_admin_key = secrets.token_urlsafe(32)
    registry: subprocess.Popen[bytes] | None = None
    try:
        shutil.rmtree(kafka.home, ignore_errors=True)
        shutil.rmtree(postgres.base, ignore_errors=True)
        kafka.start()
        postgres.start()
        home.mkdir(parents=True, exist_ok=True)
        registry = subprocess.Popen(  # the stand-in `payeeflow stack up` would start, on its own port
            [sys.executable, "-m", "payeeflow", "registry"],
            env={
                **os.environ,
                "DATABASE_URL": postgres.url,
                "PAYEEFLOW_SCHEMA_REGISTRY_URL": registry_url,
                "PAYEEFLOW_REGISTRY_ADMIN_KEY": registry_admin_key,
            },
            stdout=(home / "registry.log").open("ab"),
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        wait_for_port("127.0.0.1", registry_port, 60, "the schema registry", home / "registry.log")
    except StackError as exc:
        kafka.stop()
        if registry:
            registry.kill()
        if os.environ.get("PAYEEFLOW_REQUIRE_STACK"):
            pytest.fail(f"the test stack did not start: {exc}")
        pytest.skip(f"the test stack did not start: {exc}")
    yield PrivateStack(kafka, postgres, registry_url, registry_admin_key)
    registry.terminate()
    registry.wait(20)
    kafka.stop()
    postgres.stop()


@pytest.fixture(scope="session")
def stack_settings(test_stack: PrivateStack) -> Settings:
    settings = Settings(  # by their variable names: the fields are read through aliases
        KAFKA_BOOTSTRAP_SERVERS=test_stack.kafka.bootstrap,
        DATABASE_URL=test_stack.postgres.url,
        PAYEEFLOW_STACK_DIR=ROOT / ".stack" / "test",
        schema_registry_url=test_stack.registry_url,
        registry_admin_key=test_stack.registry_admin_key,
    )
    wait_for_database(settings.dsn)
    migrate(settings.dsn)
    return settings


def settings_env(settings: Settings) -> dict[str, str]:
    env = {
        "PAYEEFLOW_TOPIC_PREFIX": settings.topic_prefix,
        "PAYEEFLOW_WORKER_WEB_PORT": str(settings.worker_web_port),
        "PAYEEFLOW_STAGE_BATCH_WITHIN": "0.05",
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "DATABASE_URL": settings.dsn,
        "PAYEEFLOW_SCHEMA_REGISTRY_URL": settings.schema_registry_url,
    }
    if settings.registry_admin_key:
        env["PAYEEFLOW_REGISTRY_ADMIN_KEY"] = settings.registry_admin_key.get_secret_value()
    if settings.network_file:
        env["PAYEEFLOW_NETWORK_FILE"] = str(settings.network_file)
    return env


@pytest.fixture(scope="module")
def settings(stack_settings: Settings) -> Iterator[Settings]:
    """Settings with topics and consumer groups of this module's own; the topics go afterwards."""
    prefix = f"it{uuid.uuid4().hex[:8]}."
    settings = stack_settings.model_copy(update={"topic_prefix": prefix, "worker_web_port": free_port()})
    asyncio.run(create_topics(settings))
    yield settings
    asyncio.run(delete_topics(settings))


class Services:
    """Worker and sink processes of one test module."""

    def __init__(self, settings: Settings, log_dir: Path) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.commands: dict[str, tuple[tuple[str, ...], dict[str, str] | None]] = {}

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.commands[name] = (args, env)
        log = (self.log_dir / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "payeeflow", *args],
            env={
                **os.environ,
                **settings_env(self.settings),
                "PAYEEFLOW_GROUP_INSTANCE_ID": name,
                **(env or {}),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def wait_ready(self, port: int, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise StackError(f"{name} exited: {(self.log_dir / f'{name}.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise StackError(f"worker on port {port} not ready in {timeout}s")

    def kill(self, name: str) -> None:
        """``kill -9``: no shutdown, no leaving the consumer group, nothing flushed."""
        self.procs[name].kill()
        self.procs[name].wait()

    def restart(self, name: str) -> None:
        args, env = self.commands[name]
        self.start(name, *args, env=env)

    def alive(self, name: str) -> bool:
        return self.procs[name].poll() is None

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def services(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    running = Services(settings, tmp_path_factory.mktemp("logs"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def running(settings: Settings, services: Services) -> Services:
    """The sample network loaded, a fused worker and the sink running on the module's topics."""
    asyncio.run(load_suppliers(settings, EXAMPLES / "suppliers.csv", progress=False))
    services.start("worker", "worker", "--stage", "all")
    services.start("sink", "sink", "--metrics-port", str(free_port()))
    services.wait_ready(settings.worker_web_port)
    return services


def prefixed_copy(source: Path, target: Path, prefix: str, version: int | None = None) -> Path:
    """A copy of a payee file whose payee ids are unique to one test, optionally with a version."""
    with (
        source.open(newline="", encoding="utf-8") as fh,
        target.open("w", newline="", encoding="utf-8") as out,
    ):
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or []) + ([] if version is None else ["version"])
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        for row in reader:
            row["payee_id"] = prefix + row["payee_id"]
            if version is not None:
                row["version"] = str(version)
            writer.writerow(row)
    return target


@contextmanager
def api(settings: Settings, *scopes: str, rate_limit: str = "10000/second") -> Iterator[TestClient]:
    """The API in this process, its requests sent with a new key of ``scopes`` (``read`` if none)."""
    with TestClient(create_app(settings)) as client:
        _, secret = keys.create(settings.dsn, "tests", list(scopes or ["read"]), rate_limit)
        client.headers["X-API-Key"] = secret
        yield client


@contextmanager
def api_service(settings: Settings, log: Path, workers: int = 1, level: str = "WARNING") -> Iterator[str]:
    """``payeeflow api`` as a service of its own on a free port (as a browser or a fuzzer sees it),
    with ``workers`` processes logging at ``level`` to ``log``; yields its URL once it answers."""
    port = free_port()
    env = {
        **settings_env(settings),
        "PAYEEFLOW_API_PORT": str(port),
        "PAYEEFLOW_API_WORKERS": str(workers),
        "PAYEEFLOW_LOG_LEVEL": level,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "payeeflow", "api"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: proc.poll() is None and _answers(f"{url}/health"), timeout=60, every=0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def query(settings: Settings, sql: str, *params: object) -> list[tuple]:
    """The rows of one SQL statement on the test database."""
    with psycopg.connect(settings.dsn) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def outcomes(settings: Settings, batch_id: str) -> dict[str, int]:
    """How many of a batch's payees were stored and how many dead-lettered."""
    return dict(
        query(settings, "SELECT outcome, count(*) FROM batch_payees WHERE batch_id = %s GROUP BY 1", batch_id)
    )


def wait_until(check, timeout: float = 120, every: float = 0.5):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(every)


@pytest.fixture(scope="session")
def example_payees() -> Path:
    return EXAMPLES / "payees.csv"
