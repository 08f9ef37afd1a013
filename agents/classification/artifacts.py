"""Where the trained files live and how they load: all that serving needs of training's output.

``payeeflow model train`` (the ``training`` package) writes them; the classifier, the sink's row
mapping and ``payeeflow model eval`` only read them, without importing the training code.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from pathlib import Path
from typing import Any

MODEL_DIR = Path(__file__).parent / "model"
MODEL_FILE = MODEL_DIR / "model.json.gz"
LEXICON_FILE = MODEL_DIR / "lexicon.json.gz"
HELDOUT_FILE = MODEL_DIR / "heldout.csv"
OUTSIDE_FILE = MODEL_DIR / "outside.csv"


def load_model(path: Path = MODEL_FILE) -> dict[str, Any]:
    with gzip.open(path, "rb") as fh:
        return json.loads(fh.read())  # type: ignore[no-any-return]


def load_lexicon(path: Path = LEXICON_FILE) -> dict[str, Any]:
    with gzip.open(path, "rb") as fh:
        return json.loads(fh.read())  # type: ignore[no-any-return]


@cache
def sic_description(code: str) -> str | None:
    """The SIC manual's description of a 4-digit code (from the packaged lexicon)."""
    return load_lexicon()["sic_descriptions"].get(code)  # type: ignore[no-any-return]
