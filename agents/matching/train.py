"""Trains the match model (``matching.model``) and sets where its probability becomes an answer.

    payeeflow model train-matcher [--data ../shared/data] [--corrections corrections.csv]

Examples are (payee, candidate supplier) pairs as the matcher meets them: each query's candidates
from the network the labelled set is judged against (``matching.labelled``: real names among
generated suppliers, 483,227 in all), each labelled 1 when it is the payee's supplier:

- **real**: the training and development parts of ``data/matching`` (real payers' names, two
  readers' verdicts); a candidate the readers did not judge counts as another supplier;
- **generated**: generated suppliers written as clerks write them (``synthetic.perturb`` and
  ``erp_noise``, ``variants.clerk_variant``) and firms that only look like them (``look_alike``);
- **corrections**: clerks' answers exported by ``payeeflow corrections export`` (a payee's name
  and the supplier a clerk chose), as positive pairs.

The trees are scikit-learn's histogram gradient boosting (a dev dependency), with monotone
constraints where more of a feature can only mean the same supplier more, or less, so that names
unlike any seen still rank sensibly. The thresholds (``Decision``) are the ones that find the most
real variants while wrong matches and reviews stay in bounds, on answers no model learnt from: the
real queries are cut in ``labelled.FOLDS`` folds, each answered by a model fitted without it, and
the answers pooled. One fold (a fifth of the set) held too few look-alikes to place a threshold
that 1.5 % of them bound: tuned on each fold alone, it moved from 0.54 to 0.84. The test part is
read by nothing here.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from payeeflow.agents.formulas import restore
from payeeflow.agents.matching import labelled
from payeeflow.agents.matching.index import SupplierIndex
from payeeflow.agents.matching.logic import Best, Matcher
from payeeflow.agents.matching.model import FEATURES, MODEL_FILE, Decision, MatchModel
from payeeflow.agents.matching.normalize import match_key, read_query, split_dba
from payeeflow.agents.matching.synthetic import Vocab, erp_noise, perturb
from payeeflow.agents.matching.variants import (
    Person,
    clerk_variant,
    look_alike,
    person_look_alike,
    person_variant,
)
from payeeflow.agents.matching.words import pair_words
from payeeflow.errors import InputError

SEED = 7
GENERATED_QUERIES = 24_000
GENERATED_CHECKS = 4_000  # generated queries the thresholds are checked against
PERSON_QUERIES = 3_000  # persons of the real network written otherwise, or others of their surnames
# A real pair teaches more than a generated one: weighed 8, on the folds, they matched 1.6 and 1.9
# points more real variants than weighed 4; 2 and 12 did worse (`docs/matching.md`).
REAL_WEIGHT = 8.0
# More of these can only make the same supplier likelier (RISING) or less likely (FALLING).
RISING = (
    *("name_similarity", "payee_covered", "supplier_covered", "first_words_pair", "rarest_shared"),
    *("squashed_indel", "squashed_jaro_winkler", "same_key", "same_squashed", "words_joined"),
    *("legal_form", "state", "zip", "city"),
)
FALLING = (
    *(
        "payee_inner_unpaired",
        "payee_trailing_unpaired",
        "supplier_inner_unpaired",
        "supplier_trailing_unpaired",
    ),
    *("payee_trailing_qualifiers", "supplier_trailing_qualifiers", "payee_first_unpaired"),
    *("supplier_first_unpaired", "out_of_order", "numbers_differ", "number_on_one_side", "inexact_share"),
    *(
        "rarest_payee_unpaired",
        "rarest_supplier_unpaired",
        "payee_unpaired_entity",
        "supplier_unpaired_entity",
    ),
    *("word_cut", "initials_moved"),
)
# The bounds the thresholds keep on the pooled folds' real queries.
MAX_FALSE_LOOK_ALIKE = 0.015
MAX_FALSE_ABSENT = 0.004
MAX_WRONG_VARIANT = 0.01
MAX_REVIEW = 0.08
# Log-odds a match must lead any other supplier by: two suppliers nearly as likely go to review.
MARGINS = (1.0, 1.5, 2.0, 2.5, 3.0)
# Review floors under the grid's 0.01 steps: where the folds' right suppliers still come first now
# and then, a review the bound on reviews may afford.
LOW_REVIEWS = (0.003, 0.005, 0.007)
MAX_WRONG_GENERATED = 0.005  # benchmarks/match.py keeps wrong matches under 0.5 %
# The rows a query's pairs are drawn from: more than the matcher ranks (``Matcher.candidate_limit``),
# so that the model also learns from the near misses it may meet; the committed model was fitted so.
TRAINING_CANDIDATES = 30


@dataclass
class Examples:
    x: list[np.ndarray]
    y: list[np.ndarray]
    weight: list[np.ndarray]

    def add(self, features: np.ndarray, labels: np.ndarray, weight: float) -> None:
        self.x.append(features)
        self.y.append(labels)
        self.weight.append(np.full(len(labels), weight))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return np.vstack(self.x), np.concatenate(self.y), np.concatenate(self.weight)


def pairs_of(matcher: Matcher, name: str, payee: dict[str, str]) -> Iterator[tuple[np.ndarray, list[int]]]:
    """The features of each candidate row of a name (each part of a DBA), and the rows."""
    state, zip5, city = (payee.get(k, "") for k in ("state", "zip", "city"))
    for part in filter(None, split_dba(name)):
        tokens, truncated, form = read_query(part)
        if not tokens:
            continue
        rows, _ = matcher._rows(tokens, truncated)
        if rows:
            flat = matcher.index.native.features(tokens, rows, state=state, zip=zip5, city=city, form=form)
            yield np.asarray(flat).reshape(len(rows), len(FEATURES)), rows


def real_examples(matcher: Matcher, queries: list[labelled.Query], into: Examples) -> int:
    """Real queries (those not in doubt): a candidate judged the same supplier is 1, any other 0."""
    names = matcher.index
    used = 0
    for query in queries:
        if query.truth.kind(query.name) is None:
            continue
        used += 1
        for x, rows in pairs_of(matcher, query.name, {}):
            same = np.array(
                [labelled.fold(names.fields(r)[1]) in query.truth.same for r in rows], dtype=float
            )
            into.add(x, same, REAL_WEIGHT)
    return used


def generated_queries(
    network: list[dict[str, str]], vocab: Vocab, rng: random.Random, elsewhere: float = 0.0
) -> Iterator[tuple[str, dict[str, str], dict[str, str]]]:
    """(name, payee's place, the supplier it names or {} for none) as clerks write them, and
    look-alikes of suppliers that are in the network under no name. Half the payees give a
    place: the supplier's, or at the rate ``elsewhere`` another (a remit-to address elsewhere)."""
    keys = {match_key(r["name"]) for r in network}
    while True:
        truth = rng.choice(network)
        roll = rng.random()
        if roll < 0.3:
            name = perturb(truth["name"], rng)
        elif roll < 0.45:
            person = f"{rng.choice(vocab.first_names)} {rng.choice(vocab.surnames)}"
            name = erp_noise(perturb(truth["name"], rng), rng, person)
        elif roll < 0.8:
            name = clerk_variant(truth["name"], rng, vocab)
        else:
            name = look_alike(truth["name"], rng, vocab)
            if match_key(name) in keys:
                continue
            truth = {}
        place = {}
        if truth and rng.random() < 0.5:
            where = rng.choice(network) if rng.random() < elsewhere else truth
            place = {"city": where["city"], "state": where["state"]}
        yield name, place, truth


def generated_examples(matcher: Matcher, network: list[dict[str, str]], vocab: Vocab, into: Examples) -> int:
    """Generated queries' candidates: the supplier is 1, others 0."""
    made = generated_queries(network, vocab, random.Random(SEED), elsewhere=0.05)
    for _ in range(GENERATED_QUERIES):
        name, payee, truth = next(made)
        for x, rows in pairs_of(matcher, name, payee):
            add_without_twins(matcher, x, rows, truth.get("supplier_id", ""), into)
    return GENERATED_QUERIES


def add_without_twins(
    matcher: Matcher, x: np.ndarray, rows: list[int], supplier_id: str, into: Examples
) -> None:
    """A query's pairs, the supplier ``supplier_id`` 1 and the others 0 (all 0 for ""), but for
    the others of the supplier's own key (the generator's siblings in other states and legal
    forms, a chain's other places, two persons of one name): the readers would call them the same
    by the name, so no example either way; the runner-up's margin tells them apart."""
    labels = np.array([bool(supplier_id) and matcher.index.fields(r)[0] == supplier_id for r in rows])
    key = matcher.index.key(rows[int(labels.argmax())]) if labels.any() else None
    twin = np.array([not y and matcher.index.key(r) == key for r, y in zip(rows, labels, strict=True)])
    into.add(x[~twin], labels[~twin].astype(float), 1.0)


def person_examples(
    matcher: Matcher, real: list[dict[str, str]], held_out: list[labelled.Query], vocab: Vocab, into: Examples
) -> int:
    """Persons of the real network written as another ledger writes them (the person is 1), and
    other persons of their surnames (all 0). The generated suppliers are firms, and the real
    queries hold too few persons to teach that a middle initial dropped is one person and
    another first name another. Persons a held-out query was judged against, or is, are left out."""
    judged = {
        name
        for q in held_out
        for name in (labelled.fold(q.name), *q.truth.same, *q.truth.different, *q.truth.doubt)
    }
    persons = [
        (row["supplier_id"], person)
        for row in real
        if labelled.fold(row["name"]) not in judged and (person := Person.of(row["name"]))
    ]
    short: dict[str, list[str]] = {}
    first_names = set(vocab.first_names)
    for nickname, full in pair_words().equivalents:
        if full in first_names:
            short.setdefault(full, []).append(nickname)
    rng = random.Random(SEED)
    for _ in range(PERSON_QUERIES):
        supplier_id, person = rng.choice(persons)
        if rng.random() < 0.6:
            name = person_variant(person, rng, vocab, short)
        else:
            name = person_look_alike(person, rng, vocab)
            if matcher.index.exact(match_key(name)):
                continue  # a person of the network after all
            supplier_id = ""
        for x, rows in pairs_of(matcher, name, {}):
            add_without_twins(matcher, x, rows, supplier_id, into)
    return len(persons)


def corrected_examples(matcher: Matcher, path: Path, into: Examples) -> int:
    """Clerks' supplier choices (``GET /corrections.csv``, its cells as they were before the export
    kept formulas out of them): the chosen supplier is 1."""
    used = 0
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row.get("supplier_id") or not row.get("name"):
                continue
            supplier_id = restore(row["supplier_id"])
            for x, rows in pairs_of(matcher, restore(row["name"]), {}):
                ids = [matcher.index.fields(r)[0] for r in rows]
                into.add(x, np.array([i == supplier_id for i in ids], dtype=float), REAL_WEIGHT)
                used += 1
    return used


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> Any:
    """scikit-learn's histogram boosting over the pairs (a dev dependency: serving reads the
    exported trees)."""
    try:
        from sklearn.ensemble import HistGradientBoostingClassifier
    except ImportError as exc:
        raise InputError("training the match model needs scikit-learn: pip install -e '.[dev]'") from exc
    model = HistGradientBoostingClassifier(
        max_iter=120,
        learning_rate=0.15,
        max_leaf_nodes=31,
        min_samples_leaf=40,
        l2_regularization=1.0,
        early_stopping=False,
        monotonic_cst=[1 if f in RISING else -1 if f in FALLING else 0 for f in FEATURES],
        random_state=0,
    )
    return model.fit(x, y, sample_weight=weight)


def export(model: Any) -> tuple[list[list[tuple[int, float, int, int, float]]], float]:
    """A fitted model's trees node by node, as the compiled forest reads them, and its base score."""
    trees = []
    for (predictor,) in model._predictors:
        trees.append(
            [
                (0, 0.0, 0, 0, float(n["value"]))
                if n["is_leaf"]
                else (int(n["feature_idx"]), float(n["num_threshold"]), int(n["left"]), int(n["right"]), 0.0)
                for n in predictor.nodes
            ]
        )
    return trees, float(np.ravel(model._baseline_prediction)[0])


KINDS = ("exact", "variant", "look-alike", "absent")  # of real queries (``labelled.Truth.kind``)


@dataclass(frozen=True)
class Answer:
    """What a query's match would rest on: the best probability, the runner-up's, and how the
    best candidate stands with the readers."""

    kind: str  # one of KINDS, or generated, generated-none
    probability: float
    runner_up: float | None
    twin: bool  # the runner-up is a sibling the payee does not tell apart
    right: bool  # the best candidate is a supplier judged the same
    as_typed: bool = False  # the best is spelled as the query typed it (``Decision.matches``)
    held: bool = False  # two payees of one name (``persons.two_payees``): never matched, only reviewed

    @classmethod
    def of(cls, kind: str, best: Best, right: bool) -> Answer:
        return cls(
            kind,
            best.probability,
            best.runner_up,
            best.twin,
            right,
            best.as_typed,
            best.two_payees is not None,
        )


def answers(matcher: Matcher, queries: list[labelled.Query]) -> list[Answer]:
    """How real queries (those not in doubt) would be answered."""
    out = []
    for query in queries:
        kind = query.truth.kind(query.name)
        if kind is None:
            continue
        best = matcher.best({"name": query.name})
        right = best.row is not None and labelled.fold(matcher.index.fields(best.row)[1]) in query.truth.same
        out.append(Answer.of(kind, best, right))
    return out


def generated_answers(matcher: Matcher, network: list[dict[str, str]], vocab: Vocab) -> list[Answer]:
    """How generated queries, other than those trained on, would be answered. Right is the very
    supplier; another of its match key for a payee without a place is neither (the generator's
    siblings and chains: ``benchmarks/match.py``'s ambiguous, which the readers would call one)."""
    out = []
    made = generated_queries(network, vocab, random.Random(SEED + 1))
    key_of = matcher.index.key
    for _ in range(GENERATED_CHECKS):
        name, payee, truth = next(made)
        best = matcher.best({"name": name, **payee})
        if not truth:
            out.append(Answer.of("generated-none", best, False))
            continue
        row, truth_row = best.row, matcher.index.row_of(truth["supplier_id"])
        right = row is not None and row == truth_row
        twin = (
            not right
            and not payee
            and row is not None
            and truth_row is not None
            and key_of(row) == key_of(truth_row)
        )
        kind = "generated-ambiguous" if twin else "generated"
        out.append(Answer.of(kind, best, right))
    return out


def log_odds(p: np.ndarray) -> np.ndarray:
    """``model.log_odds`` over an array."""
    q = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(q / (1 - q))


@dataclass(frozen=True)
class Answered:
    """``Answer``s as arrays, made once for the many decisions ``tune`` tries."""

    kinds: dict[str, np.ndarray]  # the answers of each kind
    probability: np.ndarray
    runner_up: np.ndarray  # 0 where none
    right: np.ndarray
    twin: np.ndarray
    as_typed: np.ndarray
    held: np.ndarray

    @classmethod
    def of(cls, found: list[Answer]) -> Answered:
        kind = np.array([a.kind for a in found])
        return cls(
            {k: kind == k for k in (*KINDS, "generated", "generated-none")},
            np.array([a.probability for a in found]),
            np.array([a.runner_up if a.runner_up is not None else 0.0 for a in found]),
            np.array([a.right for a in found], dtype=bool),
            np.array([a.twin for a in found], dtype=bool),
            np.array([a.as_typed for a in found], dtype=bool),
            np.array([a.held for a in found], dtype=bool),
        )


def outcomes(found: Answered, decision: Decision) -> dict[str, float]:
    """The figures of real and generated queries under ``decision``, as ``Matcher.match`` would answer."""
    p, runner, right = found.probability, found.runner_up, found.right
    tied = found.twin & (runner >= decision.match)
    leads = ~tied & (log_odds(p) - log_odds(runner) >= decision.margin)
    match = (p >= decision.match) & ~found.held & (found.as_typed | leads)
    real = np.logical_or.reduce([found.kinds[k] for k in KINDS])
    review = ~match & (p >= decision.review)

    def share(hit: np.ndarray, of: str) -> float:
        return float((hit & found.kinds[of]).sum()) / max(int(found.kinds[of].sum()), 1)

    return {
        "found": share((match | review) & right, "variant"),
        "matched": share(match & right, "variant"),
        "wrong": share(match & ~right, "variant"),
        "exact": share(match & right, "exact"),
        "false_look_alike": share(match, "look-alike"),
        "false_absent": share(match, "absent"),
        "review": float((review & real).sum()) / max(int(real.sum()), 1),
        "generated": share(match & right, "generated"),
        "generated_wrong": share(match & ~right, "generated"),
        "generated_false": share(match, "generated-none"),
    }


def tune(found: list[Answer]) -> tuple[Decision, dict[str, float]]:
    """The thresholds that find the most real variants (matched counted twice) and match the most
    exact names, within the bounds on wrong and false matches, reviews and generated queries."""
    best: tuple[float, Decision, dict[str, float]] | None = None
    answered = Answered.of(found)
    variants, exacts = (int(answered.kinds[kind].sum()) for kind in ("variant", "exact"))
    for match in np.arange(0.20, 0.99, 0.01):
        for review in (*LOW_REVIEWS, *np.arange(0.01, match, 0.01)):
            for margin in MARGINS:
                decision = Decision(round(float(match), 2), round(float(review), 3), margin)
                f = outcomes(answered, decision)
                if (
                    f["false_look_alike"] > MAX_FALSE_LOOK_ALIKE
                    or f["false_absent"] > MAX_FALSE_ABSENT
                    or f["wrong"] > MAX_WRONG_VARIANT
                    or f["review"] > MAX_REVIEW
                    or f["generated_wrong"] > MAX_WRONG_GENERATED
                    or f["generated_false"] > MAX_FALSE_LOOK_ALIKE
                ):
                    continue
                score = (f["found"] + f["matched"]) * variants + f["exact"] * exacts  # queries, not shares
                if best is None or score > best[0] + 1e-12:
                    best = (score, decision, f)
    if best is None:
        raise InputError("no thresholds keep the bounds on the folds' answers")
    return best[1], best[2]


def train(
    data: Path,
    corrections: Path | None = None,
    labelled_dir: Path = labelled.LABELLED,
    out: Path = MODEL_FILE,
) -> Iterator[str]:
    """Fits and writes ``out`` (``model/match.json.gz``); yields what it did, line by line."""
    with tempfile.TemporaryDirectory(prefix="payeeflow-train-matcher-") as tmp:
        network_file = labelled.write_network(data, Path(tmp) / "network.csv", labelled_dir)
        network = list(labelled.network_rows(data, labelled_dir))
        matcher = Matcher(
            SupplierIndex.from_csv(network_file, MatchModel.untrained()), candidate_limit=TRAINING_CANDIDATES
        )
    yield f"network: {len(matcher.index):,} suppliers"
    queries = labelled.queries(labelled_dir)
    fold = {q.query_id: labelled.fold_of(q) for q in queries}
    generated = [r for r in network if not r["supplier_id"].startswith(("SD", "LA"))]
    real = [r for r in network if r["supplier_id"].startswith(("SD", "LA"))]
    vocab = Vocab.load(data)
    made = Examples([], [], [])  # the examples every model learns from
    yield f"generated queries: {generated_examples(matcher, generated, vocab, made):,}"
    if corrections is not None:
        yield f"clerks' corrections: {corrected_examples(matcher, corrections, made):,}"

    def fitted(held_out: set[int | None]) -> tuple[MatchModel, dict[str, int]]:
        """A model of every example but the real queries of the ``held_out`` folds (None: test)."""
        examples = Examples(list(made.x), list(made.y), list(made.weight))
        learnt = [q for q in queries if fold[q.query_id] not in held_out]
        counts = {
            "real_queries": real_examples(matcher, learnt, examples),
            "persons": person_examples(
                matcher, real, [q for q in queries if fold[q.query_id] in held_out], vocab, examples
            ),
        }
        x, y, weight = examples.arrays()
        trees, base = export(fit(x, y, weight))
        return MatchModel(trees, base, Decision(1.0, 1.0, 0.0), {}), {**counts, "pairs": len(y)}

    found: list[Answer] = []  # each fold's answers by the model fitted without it
    for k in range(labelled.FOLDS):
        matcher.index.use(fitted({None, k})[0])
        serving = Matcher(matcher.index)  # the thresholds are set on the answers as the matcher gives them
        found += answers(serving, [q for q in queries if fold[q.query_id] == k])
        found += generated_answers(serving, generated, vocab)
        yield f"fold {k + 1} of {labelled.FOLDS}: answered"
    decision, figures = tune(found)
    model, counts = fitted({None})
    yield f"real queries learnt from: {counts['real_queries']:,} (the training and development parts)"
    yield f"persons written otherwise: {PERSON_QUERIES:,} queries of {counts['persons']:,} persons"
    yield f"pairs: {counts['pairs']:,}"
    about: dict[str, Any] = {
        "real_queries": counts["real_queries"],
        "pairs": counts["pairs"],
        "generated_queries": GENERATED_QUERIES,
        "generated_checks": GENERATED_CHECKS,
        "person_queries": PERSON_QUERIES,
        "folds": labelled.FOLDS,
        "cross_validated": {k: round(v, 4) for k, v in figures.items()},
    }
    MatchModel(model.trees, model.base, decision, about).write(out)
    yield f"decision: {decision}"
    yield "cross-validated (each fold answered by the model fitted without it): " + ", ".join(
        f"{k} {v:.3f}" for k, v in figures.items()
    )
