"""Reviewers' corrections: which later records they reach, how a file of them is read, and what
retraining learns from them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from payeeflow.agents.classification.training.fit import CORRECTION_WEIGHT, corrected_examples
from payeeflow.agents.corrections import Correction, Corrections, read_corrections
from payeeflow.agents.text import canonical
from payeeflow.errors import InputError
from tests.unit.test_cli import payeeflow, read

EARLY, LATE = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)


def correction(payee_id: str, name: str, when: datetime = EARLY, **said: object) -> Correction:
    return Correction(payee_id, name, "alice", when, **said)  # type: ignore[arg-type]


def test_a_correction_reaches_its_payee_and_payees_of_the_same_name() -> None:
    store = Corrections([correction("p1", "Acme Plumbing, Inc.", payee_type="BUSINESS")])
    assert store.find("p1", "SOMETHING ELSE").payee_id == "p1"  # type: ignore[union-attr]
    assert store.find("p7", "ACME PLUMBING INC - ATTN ACCOUNTS PAYABLE").payee_id == "p1"  # type: ignore[union-attr]
    assert store.find("p7", "ACME PLUMBING SUPPLY INC") is None


def test_the_latest_correction_of_a_name_wins_and_a_withdrawal_restores_the_one_before() -> None:
    store = Corrections(
        [
            correction("p1", "ACME", LATE, payee_type="BUSINESS"),
            correction("p2", "ACME", EARLY, payee_type="INDIVIDUAL"),
        ]
    )
    assert store.find("p9", "ACME").payee_type == "BUSINESS"  # type: ignore[union-attr]
    store.withdraw("p1")
    assert store.find("p9", "ACME").payee_type == "INDIVIDUAL"  # type: ignore[union-attr]
    store.put(correction("p2", "ACME CORP", EARLY, not_supplier=True))  # a new answer replaces the old
    assert store.find("p9", "ACME") is None and len(store) == 1
    store.withdraw("p2")
    assert store.by_name == {} and store.find("p2", "ACME CORP") is None


@pytest.mark.parametrize(
    ("said", "why"),
    [
        ({}, "sets payee_type, supplier_id or not_supplier"),
        ({"supplier_id": "S1", "not_supplier": True}, "not both"),
        ({"payee_type": "UNKNOWN"}, "payee_type must be one of"),
    ],
)
def test_a_correction_that_says_nothing_or_contradicts_itself_is_refused(said: dict, why: str) -> None:
    with pytest.raises(InputError, match=why):
        correction("p1", "ACME", **said)


def test_corrections_are_read_from_an_export_and_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "corrections.csv"
    path.write_text("name,payee_type,not_supplier\nOKAFOR & HILL,BUSINESS,\nJOHN DEERE,,true\n")
    first, second = read_corrections(path)
    assert (first.payee_type, first.reviewer, first.payee_id) == ("BUSINESS", "file", "line-2")
    assert second.not_supplier and second.payee_type is None
    path.write_text("name,payee_type\nACME,COMPANY\n")
    with pytest.raises(InputError, match=r"corrections.csv:2: payee_type must be one of"):
        list(read_corrections(path))


def test_retraining_learns_type_corrections_but_never_an_outside_evaluation_name(tmp_path: Path) -> None:
    path = tmp_path / "corrections.csv"
    path.write_text(
        "name,payee_type,not_supplier\nOKAFOR & HILL,BUSINESS,\nJOHN DEERE,,true\nMING LIN,INDIVIDUAL,\n"
    )
    taught, left_out = corrected_examples(path, unseen={canonical("MING LIN")})
    assert taught == [("OKAFOR & HILL", "BUSINESS")] * CORRECTION_WEIGHT and left_out == 1


def test_process_applies_a_corrections_file(tmp_path: Path) -> None:
    payees = tmp_path / "in.csv"
    payees.write_text(
        "payee_id,name,state\n1,OKAFOR & HILL,TX\n2,OKAFOR AND HILL,TX\n3,ACME PLUMBING LLC,TX\n"
    )
    corrections = tmp_path / "corrections.csv"
    corrections.write_text(
        "payee_id,name,payee_type,reviewer,corrected_at\n1,OKAFOR & HILL,BUSINESS,bob,2026-11-29\n"
    )
    out = tmp_path / "out.csv"
    done = payeeflow("classify", str(payees), "-o", str(out), "--corrections", str(corrections))
    assert done.returncode == 0, done.stderr
    rows = read(out)
    assert rows[0]["payee_type"] == "BUSINESS" and rows[0]["reason"] == "set by reviewer bob on 2026-11-29"
    assert rows[0]["confidence"] == "1.0" and rows[0]["needs_review"] == "false"
    assert rows[1]["reason"] == rows[0]["reason"]  # AND and & are one name
    assert rows[2]["reason"].startswith("model (business)")
