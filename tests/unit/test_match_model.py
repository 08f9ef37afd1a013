"""The match model as trained and as served: the compiled trees answer as scikit-learn's do, the
thresholds keep their bounds, and a clerk's answers become training pairs."""

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from payeeflow.agents.generated_names import Place
from payeeflow.agents.matching import Matcher, SupplierIndex, labelled
from payeeflow.agents.matching.index import Supplier
from payeeflow.agents.matching.model import FEATURES, Decision, MatchModel, log_odds, match_model
from payeeflow.agents.matching.normalize import read_query
from payeeflow.agents.matching.synthetic import Vocab
from payeeflow.agents.matching.train import Answer, Examples, corrected_examples, export, fit, train, tune
from payeeflow.agents.matching.variants import Person, look_alike, person_look_alike, person_variant

NETWORK = [
    Supplier("S1", "ACME PLUMBING INC", state="TX"),
    Supplier("S2", "ACME PLUMBING SUPPLY LLC", state="OH"),
    Supplier("S3", "ZENITH ROOFING"),
    Supplier("S4", "BRIGHTPATH CONSULTING"),
]
QUERIES = ["ACME PLUMBING", "ACME PLBG SUPPLY", "ZENITH RFG CO", "BRIGHT PATH CONSULTING", "ACME"]


def features(index: SupplierIndex, name: str) -> tuple[np.ndarray, list[int]]:
    tokens, truncated, form = read_query(name)
    rows = index.candidates(tokens, truncated, 10)
    flat = index.native.features(tokens, rows, state="", zip="", city="", form=form)
    return np.asarray(flat).reshape(len(rows), len(FEATURES)), rows


def test_the_compiled_trees_answer_as_scikit_learn_does() -> None:
    pytest.importorskip("sklearn")
    index = SupplierIndex.build(NETWORK, MatchModel.untrained())
    pairs = [features(index, name) for name in QUERIES]
    x = np.vstack([x_name for x_name, _ in pairs])
    rng = np.random.default_rng(0)
    y = (x[:, FEATURES.index("name_similarity")] + rng.normal(0, 0.2, len(x)) > 0.6).astype(float)
    fitted = fit(np.vstack([x] * 20), np.concatenate([y] * 20), np.ones(20 * len(y)))
    trees, base = export(fitted)
    index.use(MatchModel(trees, base, Decision(0.5, 0.1, 1.0), {}))
    for name, (x_name, rows) in zip(QUERIES, pairs, strict=True):
        tokens, _, form = read_query(name)
        ranked, _ = index.native.rank(tokens, rows, state="", zip="", city="", form=form)
        served = {row: p for p, row in ranked}
        expected = fitted.predict_proba(x_name)[:, 1]
        assert [served[row] for row in rows] == pytest.approx(expected, abs=1e-9)


def test_thresholds_keep_their_bounds_and_a_tie_is_no_match() -> None:
    found = [Answer("variant", 0.9, None, False, True)] * 99 + [Answer("variant", 0.6, None, False, False)]
    found += [Answer("look-alike", 0.7, None, False, False)] * 60
    found += [Answer("absent", 0.2, None, False, False)] * 300
    found += [Answer("generated", 0.999, 0.99, True, True)] * 10  # a sibling as sure
    decision, figures = tune(found)
    # a look-alike matched would be a false match, and 60 reviews of them too many
    assert 0.7 < decision.match <= 0.9 and decision.review > 0.7
    assert figures["matched"] == figures["found"] == pytest.approx(0.99) and figures["wrong"] == 0
    assert figures["generated"] == 0  # a sibling as sure: review, however far ahead in log-odds
    assert log_odds(0.99) - log_odds(0.9) > 2.0 > log_odds(0.9) - log_odds(0.8)


def test_a_review_floor_may_go_under_the_grids_steps_while_reviews_stay_in_bounds() -> None:
    found = [Answer("variant", 0.9, None, False, True)] * 90
    found += [Answer("variant", 0.006, None, False, True)] * 10  # right, however unsure
    found += [Answer("absent", 0.0001, None, False, False)] * 300
    decision, figures = tune(found)
    assert decision.review <= 0.006 and figures["found"] == 1.0 and figures["matched"] == 0.9
    found += [Answer("absent", 0.006, None, False, False)] * 30  # now too many reviews of nobody
    decision, figures = tune(found)
    assert decision.review > 0.006 and figures["found"] == 0.9 and figures["review"] <= 0.08


def test_a_person_and_a_firm_in_the_persons_name_are_never_counted_as_matched() -> None:
    """The tuning answers as the matcher does: however sure, such a pair is a review."""
    found = [Answer("variant", 0.9, None, False, True)] * 100
    found += [Answer("look-alike", 0.999, None, False, False, held=True)] * 10
    found += [Answer("absent", 0.2, None, False, False)] * 300
    decision, figures = tune(found)
    assert figures["false_look_alike"] == 0 and figures["matched"] == 1.0 and decision.match <= 0.9


def test_a_best_spelled_as_typed_is_counted_matched_without_a_lead_as_the_matcher_matches_it() -> None:
    """The tuning answers as the matcher does: a name spelled as a supplier is, beside a near
    duplicate as sure (``TRANS UNION LLC`` beside ``TRANSUNION``), is that supplier's match."""
    found = [Answer("variant", 0.9, None, False, True)] * 90
    found += [Answer("exact", 0.999, 0.999, False, True, as_typed=True)] * 10
    found += [Answer("absent", 0.2, None, False, False)] * 300
    _, figures = tune(found)
    assert figures["exact"] == 1.0
    found[-301:-300] = [Answer("exact", 0.999, 0.999, False, True)]  # one not so spelled: no lead
    _, figures = tune(found)
    assert figures["exact"] == 0.9


def test_the_folds_cut_the_training_and_development_parts_by_the_supplier() -> None:
    queries = labelled.queries()
    folds = [labelled.fold_of(q) for q in queries]
    assert all((f is None) == (q.truth.split == "test") for q, f in zip(queries, folds, strict=True))
    counts = Counter(f for f in folds if f is not None)
    assert sorted(counts) == list(range(labelled.FOLDS))
    assert all(0.25 < n / counts.total() < 0.42 for n in counts.values())
    by_supplier: dict[str, set[int | None]] = {}
    for q, f in zip(queries, folds, strict=True):
        if q.truth.same and f is not None:
            by_supplier.setdefault(min(q.truth.same), set()).add(f)
    assert all(len(f) == 1 for f in by_supplier.values())  # one supplier's spellings, one fold


def test_a_clerks_supplier_choice_is_a_positive_pair(tmp_path: Path) -> None:
    corrections = tmp_path / "corrections.csv"
    corrections.write_text(
        "payee_id,name,name_key,payee_type,supplier_id,supplier_name,not_supplier,note,reviewer,corrected_at\n"
        "P1,ACME PLBG SUPPLY,ACME PLBG SUPPLY,,S2,ACME PLUMBING SUPPLY,false,,clerk,2026-12-01T00:00:00Z\n"
        "P2,SOMEONE,SOMEONE,INDIVIDUAL,,,false,,clerk,2026-12-01T00:00:00Z\n"
    )
    matcher = Matcher(SupplierIndex.build(NETWORK, MatchModel.untrained()))
    examples = Examples([], [], [])
    assert corrected_examples(matcher, corrections, examples) == 1
    x, y, weight = examples.arrays()
    x_s2, rows = features(matcher.index, "ACME PLBG SUPPLY")
    chosen = rows.index(matcher.index.row_of("S2"))  # type: ignore[arg-type]
    assert y.tolist() == [float(i == chosen) for i in range(len(rows))]
    assert np.array_equal(x, x_s2) and weight.min() > 1


def test_training_rebuilds_the_committed_model(shared_data: Path, tmp_path: Path) -> None:
    """The same data and code give the same trees and thresholds; leaf values and split points come
    from floating point whose last digits may differ by machine: within a tolerance."""
    list(train(shared_data, out=tmp_path / "match.json.gz"))
    ours, theirs = match_model(tmp_path / "match.json.gz"), match_model()
    assert ours.decision == theirs.decision
    assert ours.base == pytest.approx(theirs.base)
    assert len(ours.trees) == len(theirs.trees)

    def shape(tree: list[tuple[int, float, int, int, float]]) -> list[tuple[int, int, int]]:
        return [(feature, left, right) for feature, _, left, right, _ in tree]

    def numbers(tree: list[tuple[int, float, int, int, float]]) -> list[float]:
        return [x for _, threshold, _, _, value in tree for x in (threshold, value)]

    for mine, committed in zip(ours.trees, theirs.trees, strict=True):
        assert shape(mine) == shape(committed)
        assert numbers(mine) == pytest.approx(numbers(committed), abs=1e-6)


def test_a_look_alike_swaps_a_word_that_tells_the_firm_never_its_legal_form() -> None:
    """``HEDRICK OFFICE SUPPLY OAKS`` is the firm with a trailing qualifier, not another firm."""
    vocab = Vocab(
        companies=[],
        surnames=["OAKS"],
        first_names=["JOHN"],
        places=[Place("TULSA", "TULSA", "OK", "OKLAHOMA")],
    )
    rng = random.Random(5)
    for _ in range(300):
        words = look_alike("HEDRICK AND SONS L.L.C.", rng, vocab).split()
        assert "L.L.C." in words and "AND" in words, words


def test_a_person_written_otherwise_keeps_the_names_that_tell_them_apart() -> None:
    """A variant keeps the surname and the first name (or its short form), with a middle initial
    only where the initial agrees; a look-alike has the surname and another first name, or is
    the person's own firm."""
    vocab = Vocab(companies=[], surnames=["HALE"], first_names=["AARON", "RAY", "ROSE", "MARY"], places=[])
    person = Person.of("MILLS, AARON R")
    assert person == Person("MILLS", "AARON", "R") and Person.of("MILLS PLUMBING INC") is None
    rng, firms = random.Random(3), 0
    for _ in range(200):
        words = person_variant(person, rng, vocab, {"AARON": ["RON"]}).replace(",", "").split()
        assert "MILLS" in words and {"AARON", "RON"} & set(words)
        middle = [w for w in words if w not in ("MILLS", "AARON", "RON")]
        assert middle in ([], ["R"], ["RAY"], ["ROSE"]), words
        other = person_look_alike(person, rng, vocab)
        if other.startswith("AARON R MILLS "):
            firms += 1
        else:
            assert other.startswith("MILLS, ") and other.split()[1] in ("RAY", "ROSE", "MARY")
    assert 0 < firms < 200
