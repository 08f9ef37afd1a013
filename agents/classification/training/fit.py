"""Trains the payee-type model: ``payeeflow model train``.

The lexicon (``lexicon``) and the generated examples (``examples``) are built first; beside them,
the learning part of the real names two readers typed (``labelled``: ``data/types``), each
``REAL_WEIGHT`` times, and reviewers' corrections when given. Two slices are kept besides training:

- ``outside.csv``, what the model never saw (``examples.outside_examples``);
- ``heldout.csv``, in-distribution: 15 % of the remaining entities' generated examples.

The rest train a multinomial logistic regression (L2, L-BFGS), whose temperature is then fitted
on the real set's calibration part, names as a user's files hold them and training never read,
so that confidences mean what they say. The answer is then chosen with GOVERNMENT's log-odds
raised by ``GOVERNMENT_SHIFT`` (the model's ``decision_shift``), while the confidence stays the
calibrated probability of the class answered. Weights are rounded so that the same data gives
the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from payeeflow.agents.classification.artifacts import (
    HELDOUT_FILE,
    LEXICON_FILE,
    MODEL_DIR,
    MODEL_FILE,
    OUTSIDE_FILE,
)
from payeeflow.agents.classification.features import Featurizer
from payeeflow.agents.classification.labelled import TESTS, typed_names
from payeeflow.agents.classification.training.examples import build_examples, is_outside, outside_examples
from payeeflow.agents.classification.training.lexicon import build_lexicon, legal_suffixes, write_lexicon
from payeeflow.agents.corrections import read_corrections
from payeeflow.agents.text import canonical
from payeeflow.errors import InputError

CLASSES = ("INDIVIDUAL", "BUSINESS", "GOVERNMENT")
CORRECTION_WEIGHT = 20  # copies of a reviewer's correction among the training examples
REAL_WEIGHT = 5  # copies of a real name the readers typed (the labelled set's learning part)
L2 = 1.0
# How a name looks (its length, how many of its words are names) is a prior learnt from the mix of
# generated examples, not from real files: held to small weights, the words decide.
SHAPE_PRIORS = ("n=", "namelike=", "initial", "len")
SHAPE_L2 = 30.0
MIN_COUNT = 2
# Log-odds added to GOVERNMENT when the answer is chosen. Public bodies are a twentieth of the
# names, and every class's recall counts alike: the shift that maximises the mean recall per class
# in the cross-validation over the real development names (``benchmarks/type_cv.py``). It costs
# about six businesses for each public body it wins (docs/classification.md); 0 weighs every name
# alike.
GOVERNMENT_SHIFT = 1.25


def split(
    examples: list[tuple[str, str, str]],
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, held out): 15 % of entities by a stable hash, each entity wholly on one side."""
    train: list[tuple[str, str]] = []
    held: list[tuple[str, str]] = []
    for name, label, whole in examples:
        (held if zlib.crc32(whole.encode()) % 100 < 15 else train).append((name, label))
    return train, held


def fit(
    featurizer: Featurizer,
    examples: list[tuple[str, str]],
    calib: list[tuple[str, str]],
    government_shift: float = GOVERNMENT_SHIFT,
) -> dict[str, Any]:
    """Multinomial logistic regression over the features, temperature calibration on ``calib``,
    and ``government_shift``, the log-odds GOVERNMENT is raised by when an answer is chosen."""
    from scipy import optimize, sparse

    feats = [sorted(set(featurizer(name)[0])) for name, _ in examples]
    counts = Counter(f for row in feats for f in row)
    vocab = {f: i for i, f in enumerate(sorted(f for f, c in counts.items() if c >= MIN_COUNT))}
    X = _matrix([[vocab[f] for f in row if f in vocab] for row in feats], len(vocab), sparse)
    y = np.array([CLASSES.index(label) for _, label in examples])
    Y = np.eye(len(CLASSES))[y]
    k = len(CLASSES)
    penalty = np.array([[L2 * (SHAPE_L2 if f.startswith(SHAPE_PRIORS) else 1.0)] for f in vocab])

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = flat[:-k].reshape(-1, k), flat[-k:]
        Z = X @ W + b
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        nll = -np.log(P[np.arange(len(y)), y] + 1e-12).sum() + (penalty * W * W).sum() / 2
        G = P - Y
        return nll, np.concatenate([(X.T @ G + penalty * W).ravel(), G.sum(axis=0)])

    result = optimize.minimize(
        loss, np.zeros(len(vocab) * k + k), jac=True, method="L-BFGS-B", options={"maxiter": 500}
    )
    W, b = result.x[:-k].reshape(-1, k), result.x[-k:]
    temperature = _fit_temperature(featurizer, calib, vocab, W, b)
    weights = {f: [round(float(v), 4) for v in W[i]] for f, i in vocab.items() if np.abs(W[i]).max() >= 1e-3}
    return {
        "classes": list(CLASSES),
        "bias": [round(float(v), 4) for v in b],
        "temperature": temperature,
        "decision_shift": [government_shift if c == "GOVERNMENT" else 0.0 for c in CLASSES],
        "weights": weights,
    }


def _matrix(rows: list[list[int]], width: int, sparse: Any) -> Any:
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.array([i for r in rows for i in r], dtype=np.int64)
    return sparse.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), width))


def _fit_temperature(
    featurizer: Featurizer, calib: list[tuple[str, str]], vocab: dict[str, int], W: np.ndarray, b: np.ndarray
) -> float:
    logits = np.array(
        [
            b + sum((W[vocab[f]] for f in set(featurizer(n)[0]) if f in vocab), np.zeros(len(b)))
            for n, _ in calib
        ]
    )
    y = np.array([CLASSES.index(label) for _, label in calib])
    best = (float("inf"), 1.0)
    for t in np.arange(0.5, 3.01, 0.05):
        Z = logits / t
        Z -= Z.max(axis=1, keepdims=True)
        nll = -(Z[np.arange(len(y)), y] - np.log(np.exp(Z).sum(axis=1))).sum()
        best = min(best, (float(nll), round(float(t), 2)))
    return best[1]


def write_model(model: dict[str, Any], path: Path = MODEL_FILE) -> None:
    payload = json.dumps(model, sort_keys=True, separators=(",", ":")).encode()
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(payload)


def write_examples(examples: list[tuple[str, str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["name", "label"])
        writer.writerows(examples)


def corrected_examples(path: Path, unseen: set[str]) -> tuple[list[tuple[str, str]], int]:
    """(name, type) of every reviewer's type correction, each ``CORRECTION_WEIGHT`` times (a clerk's
    word outweighs a generated name), and how many were left out for naming a name an evaluation
    reads (learning those would grade the model on its homework) or the readers typed."""
    taught = [(c.name, c.payee_type) for c in read_corrections(path) if c.payee_type]
    kept = [example for example in taught if canonical(example[0]) not in unseen]
    return kept * CORRECTION_WEIGHT, len(taught) - len(kept)


class Generated(NamedTuple):
    """What training builds from the shared data before it reads any real name's type."""

    lexicon: dict[str, Any]
    outside: list[tuple[str, str]]  # names and entities no example is made of (``outside.csv``)
    unseen: set[str]  # canonical names no example may spell: the outside and every typed real one
    examples: list[tuple[str, str, str]]  # (name, type, the entity it was made of)


def generated(data: Path) -> Generated:
    """The lexicon and the generated examples, less those spelling a name an evaluation reads."""
    if not (data / "us_surnames_census1990.csv").exists():
        raise InputError(f"{data}: not the shared data folder (no us_surnames_census1990.csv)")
    legal = set(legal_suffixes(data))
    lexicon = build_lexicon(data, keep=lambda name: not is_outside(name, legal))
    outside = outside_examples(data, legal)
    typed = [n for part in ("dev", *TESTS) for n in typed_names(part)]
    # a generated name may spell an outside or a real one (MING LIN): it stays out, so the figures
    # stay honest and the readers' type of a real name is the only one taught
    unseen = {canonical(name) for name, _ in (*outside, *typed)}
    examples = [e for e in build_examples(data, lexicon) if canonical(e[0]) not in unseen]
    return Generated(lexicon, outside, unseen, examples)


def train_all(data: Path, out: Path = MODEL_DIR, corrections: Path | None = None) -> Iterator[str]:
    """Lexicon, examples, split, fit; writes the model folder ``out`` and says what it did.
    Reviewers' type corrections (a ``GET /corrections.csv`` export) join the training side."""
    lexicon, outside, unseen, examples = generated(data)
    out.mkdir(parents=True, exist_ok=True)
    write_lexicon(lexicon, out / LEXICON_FILE.name)
    real, calibrate = typed_names("learn"), typed_names("calibrate")
    train, held = split(examples)
    counts = Counter(label for _, label, _ in examples)
    yield f"{len(examples)} examples ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})"
    train += real * REAL_WEIGHT
    yield f"{len(real)} real names the readers typed (weight {REAL_WEIGHT}), {len(calibrate)} to calibrate"
    if corrections is not None:
        taught, left_out = corrected_examples(corrections, unseen)
        train += taught
        yield (
            f"{len(taught) // CORRECTION_WEIGHT} reviewers' corrections learned (weight {CORRECTION_WEIGHT})"
            f", {left_out} left out as names an evaluation reads or the readers typed"
        )
    model = fit(Featurizer(lexicon), train, calibrate)
    write_model(model, out / MODEL_FILE.name)
    write_examples(held, out / HELDOUT_FILE.name)
    write_examples(outside, out / OUTSIDE_FILE.name)
    yield f"trained on {len(train)}, held out {len(held)} -> {out / HELDOUT_FILE.name}"
    yield f"outside evaluation: {len(outside)} names never trained on -> {out / OUTSIDE_FILE.name}"
    yield f"confidence calibrated on {len(calibrate)} real names training never read"
    yield f"{len(model['weights'])} features, temperature {model['temperature']} -> {out / MODEL_FILE.name}"
