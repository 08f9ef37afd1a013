"""The word tables of the classifier's training (``words.toml``): the lexicon's fixed lists and the
templates generated examples are made of, kept as data so that adding a word touches no code."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

WORDS_FILE = Path(__file__).with_name("words.toml")


def _load() -> dict[str, Any]:
    with WORDS_FILE.open("rb") as fh:
        return tomllib.load(fh)


_WORDS = _load()
LEXICON: dict[str, Any] = _WORDS["lexicon"]
EXAMPLES: dict[str, list[str]] = _WORDS["examples"]
CIVIC: dict[str, list[str]] = _WORDS["civic"]
