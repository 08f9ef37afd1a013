"""Generated names of people and of public bodies, as AP files write them: the one generator of both
in their common forms, for the payee-type model's training examples
(``classification/training/examples.py``, which adds rarer shapes of its own: rare and Asian names,
middle names) and the payee files benchmarks and tests push through (``matching/synthetic.py``).

People: SSA first names weighted by births (1960-2005) and the census's 40,000 commonest surnames
weighted by frequency, in the forms AP files use (``SMITH, JOHN A``, ``DR JOHN SMITH``, ``JOHN & MARY
SMITH``, ``JANE DOE, CPA``…). Public bodies: the templates of ``generated_names.toml`` filled with a
real city, its county and its state (``us_cities.csv``). Each name is drawn from the caller's ``rng``
when asked for, so a seed gives the same names whatever the caller draws between them: the
training examples, and so the committed model, rest on it. The word lists' order matters likewise.
"""

from __future__ import annotations

import itertools
import random
import tomllib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from payeeflow.shared_data import rows

WORDS_FILE = Path(__file__).with_name("generated_names.toml")
with WORDS_FILE.open("rb") as _fh:
    _WORDS = tomllib.load(_fh)
OFFICE_TITLES, PARTICLES, CREDENTIALS = (
    tuple(_WORDS["people"][table]) for table in ("office_titles", "particles", "credentials")
)
PUBLIC_BODIES: tuple[str, ...] = tuple(_WORDS["public_bodies"]["templates"])
INITIALS = "ABCDEFGHIJKLMNOPRSTW"


class Place(NamedTuple):
    """A real city, upper case as AP files write it."""

    city: str
    county: str
    state: str  # the two-letter code
    state_name: str


def places(data: Path) -> list[Place]:
    """Every city of ``us_cities.csv``, in the file's order (draws index into it)."""
    return [
        Place(r["city"].upper(), r["county"].upper(), r["state_code"], r["state_name"].upper())
        for r in rows(data / "us_cities.csv")
    ]


def public_body(rng: random.Random, place: Place) -> str:
    """A public body of ``place``: its city's, its county's or its state's."""
    return rng.choice(PUBLIC_BODIES).format(city=place.city, county=place.county, state=place.state_name)


def _weighted(pairs: Sequence[tuple[str, float]]) -> tuple[list[str], list[float]]:
    """(values, cumulative weights): rng.choices with cum_weights is O(log n) a draw."""
    return [p[0] for p in pairs], list(itertools.accumulate(p[1] for p in pairs))


@dataclass(frozen=True)
class People:
    """The weighted name lists people's names are drawn from."""

    firsts: list[str]
    first_weights: list[float]  # cumulative
    lasts: list[str]
    last_weights: list[float]  # cumulative

    @classmethod
    def load(cls, data: Path) -> People:
        births: Counter[str] = Counter()
        for row in rows(data / "us_first_names_ssa.csv"):
            births[row["first_name"].upper()] += int(row["births_1960_2005"] or 0)
        firsts, first_weights = _weighted(births.most_common(5000))
        lasts, last_weights = _weighted(
            [
                (r["surname"], float(r["freq_pct"]) + 0.0005)  # the rarest still drawn now and then
                for r in rows(data / "us_surnames_census1990.csv")
                if int(r["rank"]) <= 40000
            ]
        )
        return cls(firsts, first_weights, lasts, last_weights)

    def _first(self, rng: random.Random) -> str:
        return rng.choices(self.firsts, cum_weights=self.first_weights)[0]

    def _last(self, rng: random.Random) -> str:
        return rng.choices(self.lasts, cum_weights=self.last_weights)[0]

    def name(self, rng: random.Random) -> str:
        """One person's name, in one of the forms AP files use, upper case but for a few titles."""
        first, last = self._first(rng), self._last(rng)
        mid = rng.choice(INITIALS)
        form = rng.random()
        if form < 0.30:
            return f"{first} {last}"
        if form < 0.42:
            return f"{last}, {first}"
        if form < 0.54:
            return f"{last}, {first} {mid}"
        if form < 0.66:
            return f"{first} {mid} {last}"
        if form < 0.71:
            return f"{first[0]} {last}"
        if form < 0.76:
            return f"{first} {last} {rng.choice(('JR', 'SR', 'III', 'II'))}"
        if form < 0.81:
            return f"{rng.choice(('DR', 'MR', 'MRS', 'MS', 'MISS', 'DR.', 'Mrs.', 'Miss'))} {first} {last}"
        if form < 0.87:
            return f"{first} {rng.choice(('&', 'AND'))} {self._first(rng)} {last}"
        if form < 0.91:
            return f"{first} {last}-{self._last(rng)}"
        if form < 0.93:
            return f"{last} {first} {mid}"
        if form < 0.96:
            return f"{first} {last}{rng.choice((' ', ', '))}{rng.choice(CREDENTIALS)}"
        if form < 0.975:
            return f"{rng.choice(OFFICE_TITLES)} {first} {last}"
        if form < 0.985:
            return f"{first} {rng.choice(PARTICLES)} {last}"
        if form < 0.993:
            other = f"{self._first(rng)} {self._last(rng)}"
            return f"{first} {last} {rng.choice(('&', 'AND'))} {other}"
        return f"{first} {self._first(rng)} {last}"


def people(data: Path, rng: random.Random, count: int) -> Iterator[str]:
    """``count`` people's names, drawn one at a time as they are asked for."""
    names = People.load(data)
    for _ in range(count):
        yield names.name(rng)
