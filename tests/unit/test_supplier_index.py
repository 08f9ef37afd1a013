"""The supplier index: upserts and deletes as the compacted ``suppliers`` topic sends them, rows
given back as they were given, and a network read alike however it is loaded."""

import random
from pathlib import Path

import pytest

from payeeflow.agents.matching import Matcher, SupplierIndex
from payeeflow.agents.matching.index import Supplier, rank
from payeeflow.agents.matching.logic import read_network
from payeeflow.agents.matching.normalize import match_key
from payeeflow.errors import InputError


def index(*suppliers: Supplier) -> SupplierIndex:
    return SupplierIndex.build(suppliers)


def test_upsert_and_delete_change_what_matches() -> None:
    idx = index(Supplier("S1", "ACME PLUMBING INC"))
    matcher = Matcher(idx)
    idx.upsert(Supplier("S1", "ACME HEATING INC"))
    assert matcher.match({"name": "ACME PLUMBING"})["supplier_id"] is None
    assert matcher.match({"name": "ACME HEATING"})["supplier_id"] == "S1"
    assert idx.delete("S1") is True
    assert matcher.match({"name": "ACME HEATING"})["supplier_id"] is None
    assert len(idx) == 0


def test_a_shared_tax_id_falls_back_to_the_remaining_supplier() -> None:
    built = index(
        Supplier("S1", "ACME PLUMBING INC", tax_id="12-3456789"),
        Supplier("S2", "ACME HOLDINGS INC", tax_id="12-3456789"),
    )
    payee = {"name": "A.P. Services", "extra": {"tax_id": "12-3456789"}}
    assert Matcher(built).match(payee)["supplier_id"] == "S2"  # the one last given the tax id
    built.delete("S2")
    assert Matcher(built).match(payee)["supplier_id"] == "S1"
    built.delete("S1")
    assert built.by_tax("12-3456789") is None


def test_a_row_gives_back_the_supplier_it_was_given() -> None:
    full = Supplier("S1", "ACME\x1fPLUMBING", "AUSTIN", "TX", "78701", "12-3456789", "1711", False)
    bare = Supplier("S2", "ZENITH ROOFING")
    built = index(full, bare)
    assert built.supplier(built.row_of("S1")) == Supplier(
        "S1", "ACME PLUMBING", "AUSTIN", "TX", "78701", "12-3456789", "1711", False
    )
    assert built.supplier(built.row_of("S2")) == bare
    built.delete("S2")
    assert built.supplier(1) is None and not built.alive(1)


def test_an_unchanged_supplier_sent_again_costs_no_new_row() -> None:
    built = index(Supplier("S1", "ACME PLUMBING INC", state="TX"), Supplier("S2", "ACME PLUMBING LLC"))
    built.upsert(Supplier("S1", "ACME PLUMBING INC", state="TX"))
    assert built.row_count == 2
    built.upsert(Supplier("S1", "ACME PLUMBING INC", state="OH"))
    assert built.row_count == 3 and built.supplier(built.row_of("S1")).state == "OH"  # type: ignore[union-attr]
    built.delete("S1")
    built.delete("S2")
    built.upsert(Supplier("S3", "ACME PLUMBING CORP"))
    assert Matcher(built).match({"name": "ACME PLUMBING"})["supplier_id"] == "S3"


def test_index_agrees_with_a_plain_dict_through_random_upserts_and_deletes() -> None:
    rng = random.Random(7)
    words = ["ACME", "ZENITH", "PLUMBING", "ROOFING", "SUPPLY", "NORTH", "SOUTH"]
    forms = ["INC", "LLC", "CO", ""]
    built, truth = SupplierIndex(), dict[str, Supplier]()
    for _ in range(3000):
        supplier_id = f"S{rng.randrange(60)}"
        if rng.random() < 0.25:
            built.delete(supplier_id)
            truth.pop(supplier_id, None)
            continue
        name = " ".join([*rng.sample(words, 2), rng.choice(forms)]).strip()
        tax = f"{rng.randrange(40):09d}" if rng.random() < 0.3 else None
        supplier = Supplier(supplier_id, name, state=rng.choice(["TX", "OH", None]), tax_id=tax)
        built.upsert(supplier)
        truth[supplier_id] = supplier
    assert len(built) == len(truth)
    for supplier_id, supplier in truth.items():
        assert built.supplier(built.row_of(supplier_id)) == supplier  # type: ignore[arg-type]
    by_key: dict[str, set[str]] = {}
    for supplier in truth.values():
        by_key.setdefault(match_key(supplier.name), set()).add(supplier.supplier_id)
    for key, ids in by_key.items():
        assert {built.fields(row)[0] for row in built.exact(key)} == ids
    by_tax: dict[str, set[str]] = {}
    for supplier in truth.values():
        if supplier.tax_id:
            by_tax.setdefault(supplier.tax_id, set()).add(supplier.supplier_id)
    for gone in {f"{n:09d}" for n in range(40)} - set(by_tax):
        assert built.by_tax(gone) is None
    for tax_id, ids in by_tax.items():
        row = built.by_tax(tax_id)
        assert row is not None and built.fields(row)[0] in ids


def test_a_retired_row_is_never_a_candidate_and_ties_go_by_supplier_not_load_order() -> None:
    suppliers = [
        Supplier(f"S{i}", f"ZENITH ROOFING {word}") for i, word in enumerate(["NORTH", "SOUTH", "EAST"])
    ]
    by_rank = sorted(suppliers, key=lambda s: rank(s.supplier_id))
    for order in (suppliers, suppliers[::-1]):  # as a file lists them, or a topic's partitions give them
        built = index(*order)
        matcher = Matcher(built, candidate_limit=2)
        assert matcher.candidates("ZENITH ROOFING") == [s.supplier_id for s in by_rank[:2]]
        built.delete(by_rank[0].supplier_id)
        assert matcher.candidates("ZENITH ROOFING") == [s.supplier_id for s in by_rank[1:]]


def test_a_network_answers_alike_whatever_order_it_was_loaded_in() -> None:
    rng = random.Random(3)
    words = ["ACME", "ZENITH", "ROOFING", "SUPPLY", "NORTH", "SOUTH", "DENTAL", "GROUP", "PLUMBING", "CITY"]
    suppliers = [
        Supplier(
            f"S{i}", " ".join(rng.sample(words, 3)) + rng.choice([" INC", " LLC", ""]), state=rng.choice("AB")
        )
        for i in range(300)
    ]
    shuffled = suppliers[:]
    rng.shuffle(shuffled)
    first, second = Matcher(index(*suppliers)), Matcher(index(*shuffled))
    for _ in range(300):
        payee = {"name": " ".join(rng.sample(words, rng.choice([2, 3]))), "state": rng.choice(["A", "B", ""])}
        assert first.match(payee) == second.match(payee)


NETWORK_CSV = (
    "region,name,supplier_id,state,zip,accepts_card,tax_id\n"
    'x,"Acme, Plumbing Inc",S1, tx ,78701-1234,true,12-3456789\n'
    "x,Zenith Roofing,S2,oh,4410,FALSE\n"  # a short row: no tax id
    "x,,S3,TX,,,\n"  # no name: skipped
    "x,Beta\x1fSupply,S4,TX,,maybe,,extra cell\n"
    "x,Acme Plumbing Inc,S1,NM,87501,,\n"  # S1 again: its last row holds
    '"x","Quoted ""Name"" LLC",S5,,,,\n'
)


def test_the_compiled_csv_reader_reads_a_network_as_read_network_does(tmp_path: Path) -> None:
    path = tmp_path / "network.csv"
    path.write_text(NETWORK_CSV, encoding="utf-8")
    compiled, python = SupplierIndex.from_csv(path), SupplierIndex.build(read_network(path))
    assert len(compiled) == len(python) == 4
    assert compiled.row_count == python.row_count == 5
    for supplier_id in ("S1", "S2", "S4", "S5"):
        row = compiled.row_of(supplier_id)
        assert row is not None and compiled.supplier(row) == python.supplier(python.row_of(supplier_id))  # type: ignore[arg-type]
    acme = compiled.supplier(compiled.row_of("S1"))  # type: ignore[arg-type]
    assert acme == Supplier("S1", "Acme Plumbing Inc", state="NM", zip="87501")
    assert compiled.supplier(compiled.row_of("S2")).zip == "4410"  # type: ignore[arg-type,union-attr]
    assert compiled.fields(compiled.row_of("S4"))[1] == "Beta Supply"  # type: ignore[arg-type]
    assert compiled.by_tax("12-3456789") is None  # S1's first row gave it, its last does not
    assert [compiled.fields(r)[0] for r in compiled.exact(match_key("ZENITH ROOFING"))] == ["S2"]


def test_a_network_file_that_cannot_be_read_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read network CSV"):
        SupplierIndex.from_csv(tmp_path / "missing.csv")
    no_name = tmp_path / "no-name.csv"
    no_name.write_text("supplier_id,city\nS1,Austin\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks column"):
        SupplierIndex.from_csv(no_name)
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"supplier_id,name\nS1,Acme\nS2,Caf\xe9 Bleu\n")
    with pytest.raises(InputError, match=r"broken\.csv"):
        SupplierIndex.from_csv(broken)
