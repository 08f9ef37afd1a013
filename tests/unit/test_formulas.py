"""Spreadsheet formulas kept out of CSV exports, and given back exactly to the readers of them."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from payeeflow.agents.corrections import read_corrections
from payeeflow.agents.formulas import neutralise, restore

HOSTILE = [
    '=HYPERLINK("http://x.example","pay")',
    "@SUM(1+1)*cmd",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "-",
]
PLAIN = ["SMITH-JONES LLC", "A=B TRADING", "O'BRIEN @ HOME", "", "ACME", "'QUOTED'"]
NUMBERS = ["-12.5", "+3", "-1e3", "0.97", "-.5", "100"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_a_spreadsheet_would_run_is_written_after_a_quote(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN + NUMBERS)
def test_names_with_the_characters_inside_and_numbers_stay_as_they_are(text: str) -> None:
    assert neutralise(text) == text


@pytest.mark.parametrize("text", HOSTILE + PLAIN + NUMBERS + ["'=1+1", "''@x", "'-5"])
def test_restore_gives_back_exactly_what_was_neutralised(text: str) -> None:
    assert restore(neutralise(text)) == text


def test_a_corrections_export_is_read_back_as_the_clerk_wrote_it(tmp_path: Path) -> None:
    path = tmp_path / "corrections.csv"
    name, note = HOSTILE[0], "-checked by phone"
    with path.open("w", newline="") as fh:
        csv.writer(fh).writerows(
            [["name", "payee_type", "note"], [neutralise(name), "BUSINESS", neutralise(note)]]
        )
    (correction,) = read_corrections(path)
    assert (correction.name, correction.note) == (name, note)
