"""The API keeps its OpenAPI contract: schemathesis, every check, against the API running as a
service on the suite's own broker and PostgreSQL (exceptions in ``schemathesis.toml``, each with
why)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from payeeflow.api import keys
from payeeflow.config import Settings
from tests.conftest import ROOT
from tests.integration.conftest import api_service


def test_schemathesis_finds_no_failure_with_every_check(settings: Settings, tmp_path: Path) -> None:
    with api_service(settings, tmp_path / "api.log") as url:
        _, secret = keys.create(settings.dsn, "schemathesis", ["read", "ingest", "review"], "100000/second")
        run = subprocess.run(
            [
                *(str(Path(sys.executable).parent / "schemathesis"), "run"),
                f"{url}/openapi.json",
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
