"""The wheel a user installs: one import name, its commands working away from the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

from tests.conftest import ROOT

STAGE_FOLDERS = ("agents", "api", "connectors", "schemas", "streams")


def run(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_wheel_installs_one_package_whose_commands_work(tmp_path: Path) -> None:
    env_cargo = {"CARGO_TARGET_DIR": str(ROOT / "native" / "target")}  # the editable build's cache
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        timeout=900,
        env={**os.environ, **env_cargo},
    )
    (wheel,) = (tmp_path / "dist").glob("payeeflow-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"payeeflow", wheel.name.split("-cp")[0] + ".dist-info"}
    for packaged in (
        "payeeflow/examples/payees.csv",
        "payeeflow/agents/classification/model/model.json.gz",
        "payeeflow/schemas/types/io.payeeflow.Payee.avsc",
        "payeeflow/schemas/history/payees.enriched/v1.avsc",
    ):
        assert packaged in names

    venv.create(tmp_path / "venv", with_pip=True)
    bin_dir = tmp_path / "venv" / "bin"
    run(bin_dir / "pip", "install", "-q", wheel, cwd=tmp_path)
    elsewhere = tmp_path / "work"  # no source tree on the path
    elsewhere.mkdir()
    assert "classify" in run(bin_dir / "payeeflow", "--help", cwd=elsewhere)
    (elsewhere / "in.csv").write_text("payee_id,name\n1,ACME PLUMBING LLC\n2,John Smith\n3,City of Austin\n")
    run(bin_dir / "payeeflow", "classify", "in.csv", "-o", "out.csv", cwd=elsewhere)
    types = [line.split(",")[5] for line in (elsewhere / "out.csv").read_text().splitlines()[1:]]
    assert types == ["BUSINESS", "INDIVIDUAL", "GOVERNMENT"]
    loaded = run(
        bin_dir / "python",
        "-c",
        "import sys, payeeflow.api.main, payeeflow.streams.app, payeeflow.connectors.database.sink.runner; "
        "print(*sorted({m.split('.')[0] for m in sys.modules}))",
        cwd=elsewhere,
    ).split()
    assert not set(STAGE_FOLDERS) & set(loaded)
    no_data = subprocess.run(
        [bin_dir / "payeeflow", "suppliers", "generate", "-o", "n.csv"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert no_data.returncode != 0 and "pass --data" in no_data.stderr  # never a guess at a source tree
