"""One payee id in one file: a repeat, a new version, or another payee
(``connectors/files/identities.py``)."""

import pytest

from payeeflow.connectors.files.identities import CONFLICT, PayeeIds, Seen
from payeeflow.errors import RecordError

ACME = {"name": "ACME PLUMBING LLC", "address": "1 MAIN ST", "city": "AUSTIN", "state": "TX", "zip": "73301"}


def test_the_same_payee_written_otherwise_is_a_repeat() -> None:
    ids = PayeeIds()
    assert ids.see(2, "C1", ACME) is Seen.NEW
    written_otherwise = {"name": "Acme Plumbing, L.L.C.", "address": "1 Main St.", "city": "Austin"}
    written_otherwise |= {"state": "tx", "zip": "73301-0001"}
    assert ids.see(3, "C1", written_otherwise) is Seen.REPEAT
    assert ids.see(4, "C2", written_otherwise) is Seen.NEW  # another id is another payee


def test_another_address_or_a_tax_id_added_is_a_new_version_then_its_repeats_fold() -> None:
    ids = PayeeIds()
    ids.see(2, "C1", ACME)
    moved = {**ACME, "address": "9 OAK AVE", "city": "DALLAS", "zip": "75201"}
    assert ids.see(3, "C1", moved) is Seen.CHANGED
    assert ids.see(4, "C1", moved) is Seen.REPEAT  # compared with its latest version
    assert ids.see(5, "C1", {**moved, "tax_id": "12-3456789"}) is Seen.CHANGED
    assert ids.see(6, "C1", moved) is Seen.REPEAT  # a row without the tax id says nothing new
    assert ids.see(7, "C1", {**moved, "tax_id": "123456789"}) is Seen.REPEAT  # its digits compared


@pytest.mark.parametrize(
    ("later", "what"),
    [({**ACME, "name": "ZENITH ROOFING INC"}, "name"), ({**ACME, "tax_id": "98-7654321"}, "tax id")],
)
def test_an_id_given_to_another_payee_is_a_conflict_naming_the_first_line(later: dict, what: str) -> None:
    ids = PayeeIds()
    ids.see(2, "C1", {**ACME, "tax_id": "12-3456789"})
    with pytest.raises(RecordError) as caught:
        ids.see(3, "C1", later)
    assert caught.value.reason == CONFLICT
    assert (
        caught.value.detail == f"payee id 'C1' already stands for the payee of line 2, whose {what} differs"
    )
    assert "ZENITH" not in str(caught.value)  # names stay out of errors that reach logs
    assert ids.see(4, "C1", {**ACME, "tax_id": "12-3456789"}) is Seen.REPEAT  # the id still holds its payee
