"""Cross-validation of the payee-type model over the real development names, and the shift toward
GOVERNMENT it chooses (``fit.GOVERNMENT_SHIFT``).

    python benchmarks/type_cv.py [--folds 3]

The random development names (``data/types``, part ``dev``: learn and calibrate) are cut in folds
by a stable hash of their canonical spelling, so two spellings of one name fall in one fold. Each
fold is typed by a model trained as ``payeeflow model train`` trains (the generated examples, the
other folds and the boundary names ``REAL_WEIGHT`` times) and calibrated on the fold itself (a
little kinder than the calibrate part's third, to its confidences, not its answers); a fold's name
spelled as a boundary name grades nothing. No test part's labels are read (only their names, which
no generated example may spell). Prints accuracy, recall and precision per class over all folds for
each shift of GOVERNMENT's log-odds, as ``Classifier.classify`` answers (``logic.answer``), and the
shift of the highest mean recall per class. About two minutes a fold on one core.
"""

from __future__ import annotations

import argparse
import csv
import zlib
from collections import Counter

from measure import SHARED_DATA

from payeeflow.agents.classification.features import Featurizer
from payeeflow.agents.classification.labelled import CLASSES, LABELS
from payeeflow.agents.classification.logic import Classifier, answer, raised
from payeeflow.agents.classification.training import fit
from payeeflow.agents.text import canonical

SHIFTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)


def recalls(answers: list[tuple[str, str]]) -> list[float]:
    """Each class's share of its names answered right."""
    confusion = Counter(answers)
    return [confusion[(c, c)] / max(1, sum(n for (t, _), n in confusion.items() if t == c)) for c in CLASSES]


def figures(answers: list[tuple[str, str]]) -> str:
    """Accuracy, recall per class (and their mean), precision per class: one line."""
    confusion = Counter(answers)
    right = sum(n for (label, got), n in confusion.items() if label == got)
    recall = recalls(answers)
    precision = [
        confusion[(c, c)] / max(1, sum(n for (_, g), n in confusion.items() if g == c)) for c in CLASSES
    ]
    return (
        f"accuracy {right / len(answers):.4f}  recall {' / '.join(f'{r:.4f}' for r in recall)}"
        f" (mean {sum(recall) / len(recall):.4f})  precision {' / '.join(f'{p:.4f}' for p in precision)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folds", type=int, default=3)
    folds = parser.parse_args().folds
    material = fit.generated(SHARED_DATA)
    training, _ = fit.split(material.examples)
    with LABELS.open(newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] in CLASSES]
    boundary = [(r["name"], r["label"]) for r in rows if r["split"] == "boundary"]
    learnt_anyway = {canonical(name) for name, _ in boundary}
    development = [(r["name"], r["label"]) for r in rows if r["split"] == "dev"]
    scored: list[tuple[str, list[float], bool]] = []
    for k in range(folds):
        in_fold = [zlib.crc32(f"cv:{canonical(name)}".encode()) % folds == k for name, _ in development]
        held = [n for n, inside in zip(development, in_fold, strict=True) if inside]
        learn = [n for n, inside in zip(development, in_fold, strict=True) if not inside]
        model = fit.fit(
            Featurizer(material.lexicon),
            training + (learn + boundary) * fit.REAL_WEIGHT,
            held,
            government_shift=0.0,
        )
        classifier = Classifier(material.lexicon, model)
        graded = [(name, label) for name, label in held if canonical(name) not in learnt_anyway]
        for name, label in graded:
            probs, _, _, evidence = classifier.probabilities(name)
            scored.append((label, probs, evidence))
        print(f"fold {k + 1} of {folds}: {len(graded)} names typed", flush=True)
    print(f"\n{len(scored)} development names, {folds}-fold")
    mean_recall = {}
    for shift in SHIFTS:
        shifted = raised([0.0 if c != "GOVERNMENT" else shift for c in CLASSES])
        answers = []
        for label, probs, evidence in scored:
            best, _ = answer(probs, evidence, shifted)
            answers.append((label, CLASSES[best] if best is not None else "UNKNOWN"))
        mean_recall[shift] = sum(recalls(answers)) / len(CLASSES)
        mark = "  <- fit.GOVERNMENT_SHIFT" if shift == fit.GOVERNMENT_SHIFT else ""
        print(f"shift {shift:4.2f}: {figures(answers)}{mark}")
    print(f"highest mean recall: shift {max(SHIFTS, key=lambda s: (mean_recall[s], -s)):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
