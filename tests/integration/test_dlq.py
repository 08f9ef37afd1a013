"""``payeeflow dlq``: dead letters listed, decoded, and replayed into their stage after a fix."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from payeeflow.config import Settings
from payeeflow.connectors.files.ingest import ingest_file
from payeeflow.connectors.suppliers import load_suppliers
from tests.conftest import EXAMPLES
from tests.integration.conftest import Services, api, free_port, query, settings_env, wait_until

pytestmark = pytest.mark.integration

LONG = "NORTHWESTERN REGIONAL MECHANICAL AND PLUMBING CONTRACTORS LLC"  # 61 characters


def dlq(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "payeeflow", "dlq", *args],
        env={**os.environ, **settings_env(settings)},
        capture_output=True,
        text=True,
        check=True,
    )


def test_dead_letters_replayed_after_a_fix_are_stored_and_counted_once(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    asyncio.run(load_suppliers(settings, EXAMPLES / "suppliers.csv", progress=False))
    services.start("sink", "sink", "--metrics-port", str(free_port()))
    services.start("worker", "worker", "--stage", "all", env={"PAYEEFLOW_MAX_NAME_LENGTH": "40"})
    services.wait_ready(settings.worker_web_port)
    p = settings.topic_prefix
    path = tmp_path / "batch.csv"
    path.write_text(
        "payee_id,name\n"
        + "".join(f"{p}short{i},ACME SUPPLY {i} LLC\n" for i in range(5))
        + f"{p}long1,{LONG}\n{p}long2,{LONG} II\n"
    )
    batch = asyncio.run(ingest_file(settings, path, progress=False)).batch_id

    def outcomes() -> dict[str, int]:
        return dict(
            query(
                settings, "SELECT outcome, count(*) FROM batch_payees WHERE batch_id = %s GROUP BY 1", batch
            )
        )

    wait_until(lambda: outcomes() == {"stored": 5, "dead_letter": 2})
    listed = dlq(settings, "list", "--batch", batch).stdout
    assert "exclusion" in listed and "name_too_long" in listed and f"payee {p}long1" in listed
    [(letter_id,)] = query(settings, "SELECT id FROM dead_letters WHERE payee_id = %s", f"{p}long1")
    shown = json.loads(dlq(settings, "show", str(letter_id)).stdout)
    assert shown["payload"]["payee"]["name"] == LONG and shown["reason"] == "name_too_long"
    assert "would send 2 to" in dlq(settings, "replay", "--batch", batch, "--dry-run").stdout
    assert query(settings, "SELECT count(*) FROM dead_letters WHERE replayed_at IS NOT NULL") == [(0,)]

    services.kill("worker")  # the fix: the default name limit
    services.start("worker", "worker", "--stage", "all")
    services.wait_ready(settings.worker_web_port)
    out = dlq(settings, "replay", "--reason", "name_too_long", "--batch", batch).stdout
    assert f"sent 2 to {p}payees.raw" in out
    wait_until(lambda: outcomes() == {"stored": 7})
    assert "nothing to replay" in dlq(settings, "replay", "--batch", batch).stdout
    with api(settings) as client:
        status = client.get(f"/batches/{batch}").json()
    assert (status["status"], status["total"], status["stored"], status["dead_lettered"]) == (
        "complete",
        7,
        7,
        0,
    )
