"""The labelled set of real supplier names (``data/matching``), as training and the benchmarks read it.

``benchmarks/match_pairs.py`` built it from real payers' published files and merged two readers'
verdicts into ``labels.csv``; ``data/matching/README.md`` says how. Here: the network it is judged
against (its real names among generated suppliers, 483,227 in all), and each query with the network
names judged the same supplier, judged different, or left in doubt.
"""

from __future__ import annotations

import csv
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from payeeflow.agents.matching.normalize import match_key
from payeeflow.agents.matching.synthetic import generate_network

LABELLED = Path(__file__).resolve().parents[2] / "data" / "matching"
NETWORK_SIZE = 483_227
SEED = 1
SPLITS = ("train", "dev", "test")
FOLDS = 3  # the training and development parts, cut for choosing the thresholds (``train.tune``)


def fold(name: str) -> str:
    """A name as verdicts are looked up: upper case, single spaces."""
    return " ".join(name.upper().split())


def split_of(anchor: str) -> str:
    """train (40 %), dev (20 %) or test (40 %), by the network name a query is about (the one its
    payer filed it under, else its nearest), so one supplier's spellings stay in one part."""
    bucket = zlib.crc32(("split:" + anchor.upper()).encode()) % 10
    return "test" if bucket < 4 else "dev" if bucket < 6 else "train"


def fold_of(query: Query) -> int | None:
    """The cross-validation fold (0 to ``FOLDS`` - 1) of a training or development query, by the
    network name it is about (the first judged the same, else its own), so that one supplier's
    spellings stay in one fold; None for a test query, which no fold holds."""
    if query.truth.split == "test":
        return None
    anchor = min(query.truth.same) if query.truth.same else fold(query.name)
    return zlib.crc32(anchor.encode()) % FOLDS


@dataclass
class Truth:
    """What the readers said of a query: network names (folded) judged the same supplier,
    judged different, and in doubt (a reader unsure, or the readers apart and not settled)."""

    same: set[str] = field(default_factory=set)
    different: set[str] = field(default_factory=set)
    doubt: set[str] = field(default_factory=set)
    split: str = ""

    def kind(self, name: str) -> str | None:
        """exact, variant, look-alike or absent; None when in doubt and judged the same as none."""
        if self.same:
            return "exact" if fold(name) in self.same else "variant"
        if self.doubt:
            return None
        return "look-alike" if self.different else "absent"


@dataclass(frozen=True)
class Query:
    query_id: str
    source: str
    name: str
    truth: Truth


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def queries(data: Path = LABELLED) -> list[Query]:
    """Every query with the readers' verdicts on its pairs."""
    label = {r["pair_id"]: r["label"] for r in _rows(data / "labels.csv")}
    found: dict[str, Truth] = defaultdict(Truth)
    more = data / "pairs_more.csv"  # pairs a matcher answered that the first candidates lacked
    for pair in _rows(data / "pairs.csv") + (_rows(more) if more.exists() else []):
        truth = found[pair["query_id"]]
        truth.split = pair["split"]
        verdict = label.get(pair["pair_id"], "")
        {"SAME": truth.same, "DIFFERENT": truth.different}.get(verdict, truth.doubt).add(
            fold(pair["candidate"])
        )
    out = []
    for row in _rows(data / "queries.csv"):
        truth = found[row["query_id"]]
        truth.split = truth.split or split_of(row["name"])
        out.append(Query(row["query_id"], row["source"], row["name"], truth))
    return out


def network_rows(shared_data: Path, data: Path = LABELLED) -> Iterator[dict[str, str]]:
    """The network the set is judged against: its real names, then generated suppliers (with a
    place) up to 483,227, as ``network.csv`` rows (supplier_id, name, city, state); generated
    ones with a real one's match key are left out (some 700 of 483,227)."""
    real = _rows(data / "network.csv")
    for row in real:
        yield {"supplier_id": row["supplier_id"], "name": row["name"], "city": "", "state": ""}
    # a generated supplier of a real one's name (the generator draws real company names too)
    # would make the real one's name name two suppliers, which the readers cannot tell apart
    taken = {match_key(row["name"]) for row in real}
    for row in generate_network(shared_data, NETWORK_SIZE - len(real), SEED):
        if match_key(row["name"]) not in taken:
            yield {key: row[key] for key in ("supplier_id", "name", "city", "state")}


def write_network(shared_data: Path, path: Path, data: Path = LABELLED) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["supplier_id", "name", "city", "state"])
        writer.writeheader()
        writer.writerows(network_rows(shared_data, data))
    return path
