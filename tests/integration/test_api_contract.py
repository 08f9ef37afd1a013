"""The API keeps its OpenAPI contract: schemathesis, every check, against the API running as a
service on the suite's own broker and PostgreSQL (exceptions in ``schemathesis.toml``, each with
why)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from payeeflow.api import keys
from payeeflow.config import Settings
from tests.conftest import ROOT
from tests.integration.conftest import free_port, settings_env


def test_schemathesis_finds_no_failure_with_every_check(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = {**settings_env(settings), "PAYEEFLOW_API_PORT": str(port), "PAYEEFLOW_LOG_LEVEL": "WARNING"}
    log = (tmp_path / "api.log").open("wb")
    api = subprocess.Popen(
        [sys.executable, "-m", "payeeflow", "api"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, (tmp_path / "api.log").read_text()[-3000:]
            time.sleep(0.3)
        _, secret = keys.create(settings.dsn, "schemathesis", ["read", "ingest"], "100000/second")
        run = subprocess.run(
            [
                *(str(Path(sys.executable).parent / "schemathesis"), "run"),
                f"http://127.0.0.1:{port}/openapi.json",
                *("--checks", "all", "--max-examples", "30", "--seed", "1"),
                # POST /payees answers 202: the payee exists once the pipeline has stored it, not
                # at once (test_api_intake checks that it arrives), so "created, then not found"
                # is no failure here.
                *("--exclude-checks", "ensure_resource_availability"),
                *("-H", f"X-API-Key: {secret}"),
            ],
            cwd=ROOT,  # where schemathesis.toml is
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout[-6000:]
    finally:
        api.terminate()
        api.wait(20)
