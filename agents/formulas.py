"""Spreadsheet formulas kept out of CSV exports (OWASP's CSV injection).

A payee's name is whatever an uploaded file said: ``=HYPERLINK("http://x.example","pay")`` or
``@SUM(1+1)*cmd`` would run as a formula in the spreadsheet a clerk opens the export in. A cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written after a single
quote, which spreadsheets read as "text follows". A number (``-12.5``, ``+3``, ``-1e3``) is left
as it is: it cannot call anything, and a quote would turn it into text. A cell that already starts
with quotes before such a character gets one quote more, so ``restore`` gives back exactly what was
exported (``payeeflow model train --corrections`` reads ``GET /corrections.csv``).
"""

from __future__ import annotations

import re

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet reads it as text, never as a formula."""
    if _FORMULA.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The value ``neutralise`` was given, from what it returned."""
    if text.startswith("'") and _FORMULA.match(text):
        return text[1:]
    return text
