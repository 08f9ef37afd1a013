"""Keyword exclusion over payee names, from a versioned CSV of ``keyword,category``.

An allow-list CSV (``payee_id`` and/or ``name`` columns) overrides a hit for the payees it names.
``ReloadingScreener`` rebuilds the screener when either file changes, so a worker picks up a new
list without a restart.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from payeeflow.agents.phrases import PhraseIndex
from payeeflow.agents.text import canonical

KEYWORDS_FILE = Path(__file__).parent / "data" / "keywords.csv"
log = logging.getLogger(__name__)


def read_keywords(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return [(row["keyword"].strip(), row["category"].strip()) for row in rows if row["keyword"]]


def read_allowlist(path: Path) -> tuple[list[str], list[str]]:
    """(payee ids, names) of an allow-list CSV."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    ids = [row["payee_id"].strip() for row in rows if (row.get("payee_id") or "").strip()]
    names = [row["name"].strip() for row in rows if (row.get("name") or "").strip()]
    return ids, names


@dataclass(frozen=True)
class Screener:
    """Finds the most specific exclusion keyword in a name; an allow-list overrides a hit."""

    index: PhraseIndex[str]
    allow_ids: frozenset[str] = frozenset()
    allow_names: frozenset[str] = frozenset()

    @classmethod
    def from_keywords(
        cls,
        keywords: Iterable[tuple[str, str]],
        allow_ids: Iterable[str] = (),
        allow_names: Iterable[str] = (),
    ) -> Screener:
        return cls(
            PhraseIndex(keywords),
            frozenset(allow_ids),
            frozenset(canonical(name) for name in allow_names),
        )

    @classmethod
    def from_file(cls, path: Path | None = None, allowlist: Path | None = None) -> Screener:
        ids, names = read_allowlist(allowlist) if allowlist else ([], [])
        return cls.from_keywords(read_keywords(path or KEYWORDS_FILE), ids, names)

    def screen(self, payee_id: str, name: str) -> dict[str, Any]:
        """The ``screening`` section for one payee."""
        text = canonical(name)
        hits = self.index.find(text)
        if not hits:
            return {"excluded": False, "keyword": None, "category": None, "allow_listed": False}
        keyword, category = hits[0]
        allowed = payee_id in self.allow_ids or text in self.allow_names
        return {
            "excluded": not allowed,
            "keyword": keyword,
            "category": category,
            "allow_listed": allowed,
        }

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        record["screening"] = self.screen(record["payee_id"], record["payee"]["name"])
        return record


class ReloadingScreener:
    """A ``Screener`` rebuilt when its files change; checks their mtimes at most every ``every`` s."""

    def __init__(self, path: Path | None = None, allowlist: Path | None = None, every: float = 5.0) -> None:
        self.files = [f for f in (path or KEYWORDS_FILE, allowlist) if f is not None]
        self.path, self.allowlist, self.every = path, allowlist, every
        self.screener = Screener.from_file(path, allowlist)
        self._stamps = self._mtimes()
        self._checked = time.monotonic()

    def _mtimes(self) -> list[float]:
        return [f.stat().st_mtime_ns for f in self.files]

    def current(self) -> Screener:
        now = time.monotonic()
        if now - self._checked >= self.every:
            self._checked = now
            stamps = self._mtimes()
            if stamps != self._stamps:
                try:
                    self.screener = Screener.from_file(self.path, self.allowlist)
                    log.info("exclusion lists reloaded", extra={"count": self.screener.index.size})
                except (OSError, KeyError, csv.Error) as exc:  # keep the old lists, say why
                    log.error("exclusion lists not reloaded: %s", exc)
                self._stamps = stamps
        return self.screener

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        return self.current().apply(record)
