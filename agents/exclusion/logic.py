"""Keyword exclusion over payee names, reloadable from a versioned CSV of ``keyword,category``."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.phrases import PhraseIndex
from agents.text import canonical

KEYWORDS_FILE = Path(__file__).parent / "data" / "keywords.csv"


def read_keywords(path: Path) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return [(row["keyword"].strip(), row["category"].strip()) for row in rows if row["keyword"]]


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
    def from_file(cls, path: Path = KEYWORDS_FILE, **allow: Iterable[str]) -> Screener:
        return cls.from_keywords(read_keywords(path), **allow)

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
