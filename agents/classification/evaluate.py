"""``payeeflow model eval [FILE.csv …]``: accuracy, per-class precision/recall, confusion,
reliability, and what the review flag catches.

Without a file it compares its sets side by side: first the test parts of the real names two
readers typed (``data/types``, which training never read: with ``--sealed`` the sealed part, the
figures to quote, then ``fresh`` and ``test``, read in tuning rounds), then the calibration part
(read to calibrate and tune), ``outside.csv`` (generated from real registrants' names and entities
training never read) and ``heldout.csv`` (in-distribution).
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from payeeflow.agents.classification.logic import Classifier
from payeeflow.agents.rows import REVIEW_BELOW
from payeeflow.errors import InputError

TYPES = ("INDIVIDUAL", "BUSINESS", "GOVERNMENT")
PREDICTED = (*TYPES, "UNKNOWN")
ALIASES = {
    "PERSON": "INDIVIDUAL",
    "CORPORATION": "BUSINESS",
    "COMPANY": "BUSINESS",
    "ORGANIZATION": "BUSINESS",
}
BINS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 0.99), (0.99, 1.01))


@dataclass
class Report:
    total: int
    correct: int
    confusion: Counter[tuple[str, str]]
    reliability: list[tuple[str, int, float, float]]  # bin, count, mean confidence, accuracy
    flagged: int = 0  # answers the review flag marks (UNKNOWN, or less sure than REVIEW_BELOW)
    flagged_wrong: int = 0
    # per class answered: count, mean confidence, accuracy (a shift toward one class shows here)
    answered: dict[str, tuple[int, float, float]] = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    def precision(self, kind: str) -> float:
        predicted = sum(n for (_, p), n in self.confusion.items() if p == kind)
        return self.confusion[(kind, kind)] / predicted if predicted else 0.0

    def recall(self, kind: str) -> float:
        actual = sum(n for (t, _), n in self.confusion.items() if t == kind)
        return self.confusion[(kind, kind)] / actual if actual else 0.0

    @property
    def ece(self) -> float:
        """Expected calibration error: the gap between confidence and accuracy, bin-weighted."""
        if not self.total:
            return 0.0
        return sum(n * abs(acc - conf) for _, n, conf, acc in self.reliability) / self.total

    @property
    def confident_wrong(self) -> int:
        """Wrong answers at confidence 0.9 or more."""
        share, acc = self.accuracy_at(0.9)
        return round(share * self.total * (1 - acc))

    def accuracy_at(self, threshold: float) -> tuple[float, float]:
        """(share of payees with confidence >= threshold, accuracy among them)."""
        rows = [
            (n, acc * n)
            for (lo, _), (_, n, _, acc) in zip(BINS, self.reliability, strict=True)
            if lo >= threshold
        ]
        count = sum(n for n, _ in rows)
        return count / self.total if self.total else 0.0, sum(c for _, c in rows) / count if count else 0.0

    def render(self) -> str:
        lines = [
            f"payees: {self.total}   accuracy: {self.accuracy:.4f}",
            "",
            f"{'class':12} {'precision':>9} {'recall':>7} {'support':>8}",
        ]
        for kind in TYPES:
            support = sum(n for (t, _), n in self.confusion.items() if t == kind)
            lines.append(f"{kind:12} {self.precision(kind):9.4f} {self.recall(kind):7.4f} {support:8d}")
        lines += [
            "",
            "confusion (rows: true, columns: predicted)",
            f"{'':12}" + "".join(f"{p:>12}" for p in PREDICTED),
        ]
        for kind in TYPES:
            lines.append(f"{kind:12}" + "".join(f"{self.confusion[(kind, p)]:12d}" for p in PREDICTED))
        lines += [
            "",
            "reliability (confidence bins)",
            f"{'bin':12} {'count':>7} {'mean conf':>10} {'accuracy':>9}",
        ]
        lines += [f"{name:12} {n:7d} {conf:10.4f} {acc:9.4f}" for name, n, conf, acc in self.reliability]
        lines += ["", "by class answered", f"{'class':12} {'count':>7} {'mean conf':>10} {'accuracy':>9}"]
        lines += [
            f"{kind:12} {n:7d} {conf:10.4f} {acc:9.4f}" for kind, (n, conf, acc) in self.answered.items()
        ]
        share, acc = self.accuracy_at(0.9)
        lines.append(f"\nconfidence >= 0.9: {share:.2%} of payees, accuracy {acc:.4f}")
        lines.append(f"expected calibration error: {self.ece:.4f}")
        wrong, flagged = self.total - self.correct, self.flagged / max(self.total, 1)
        lines.append(
            f"review flag (UNKNOWN or confidence < {REVIEW_BELOW}): {flagged:.2%} of payees,"
            f" catching {self.flagged_wrong} of {wrong} wrong answers"
            f" ({self.flagged_wrong / max(wrong, 1):.0%}); wrong at confidence >= 0.9: {self.confident_wrong}"
        )
        return "\n".join(lines)


def side_by_side(reports: dict[str, Report]) -> str:
    """One line per evaluation set: accuracy, recall per class, calibration error."""
    head = f"{'set':16} {'payees':>7} {'accuracy':>9}" + "".join(f" {k[:4] + ' rec':>9}" for k in TYPES)
    lines = [head + f" {'ECE':>7} {'flagged':>8} {'caught':>7}"]
    for name, r in reports.items():
        recalls = "".join(f" {r.recall(k):9.4f}" for k in TYPES)
        caught = r.flagged_wrong / max(r.total - r.correct, 1)
        flagged = r.flagged / max(r.total, 1)
        lines.append(
            f"{name:16} {r.total:7d} {r.accuracy:9.4f}{recalls} {r.ece:7.4f} {flagged:8.2%} {caught:7.0%}"
        )
    return "\n".join(lines)


def read_labeled(path: Path) -> list[tuple[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not {"name", "label"} <= set(reader.fieldnames or ()):
                raise InputError(f"{path}: needs columns name,label")
            rows = []
            for row in reader:
                label = row["label"].strip().upper()
                label = ALIASES.get(label, label)
                if label not in TYPES:
                    raise InputError(f"{path}: unknown label {row['label']!r} (want {', '.join(TYPES)})")
                rows.append((row["name"], label))
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc


def evaluate(classifier: Classifier, rows: list[tuple[str, str]]) -> Report:
    confusion: Counter[tuple[str, str]] = Counter()
    flagged = flagged_wrong = 0
    binned: list[list[tuple[float, bool]]] = [[] for _ in BINS]
    by_answer: dict[str, list[tuple[float, bool]]] = {kind: [] for kind in PREDICTED}
    for name, label in rows:
        result = classifier.classify(name)
        confusion[(label, result["payee_type"])] += 1
        conf = result["confidence"]
        if result["payee_type"] == "UNKNOWN" or conf < REVIEW_BELOW:
            flagged += 1
            flagged_wrong += result["payee_type"] != label
        for i, (lo, hi) in enumerate(BINS):
            if lo <= conf < hi:
                binned[i].append((conf, result["payee_type"] == label))
        by_answer[result["payee_type"]].append((conf, result["payee_type"] == label))
    reliability = [
        (
            f"{lo:.2f}-{min(hi, 1.0):.2f}",
            len(b),
            sum(c for c, _ in b) / len(b) if b else 0.0,
            sum(ok for _, ok in b) / len(b) if b else 0.0,
        )
        for (lo, hi), b in zip(BINS, binned, strict=True)
    ]
    correct = sum(n for (t, p), n in confusion.items() if t == p)
    answered = {
        kind: (len(b), sum(c for c, _ in b) / len(b), sum(ok for _, ok in b) / len(b))
        for kind, b in by_answer.items()
        if b
    }
    return Report(len(rows), correct, confusion, reliability, flagged, flagged_wrong, answered)
