"""The labelled set of real payee names by type: which names readers type, and their verdicts merged.

    python benchmarks/type_names.py build    # data/types/names.csv and the readers' sheets
    python benchmarks/type_names.py merge    # data/types/labels.csv from the two readers' sheets

Distinct vendor names drawn at random (CRC32 of the name, so the draw is the same every build)
from real payers' published files (``../shared/data/real``, SOURCES.md): South Dakota's state
checkbook, Detroit's, Montana's PPP borrowers and the Los Angeles Controller's aliases, each with
what its payer says of it (agencies and payments, vendor type and place, business type). Two
readers type every name apart, from ``data/types/GUIDE.md``; ``merge`` keeps what they agree on and
a third reading settles the rest or leaves it out. Half the names (by CRC32) are the development
part the classifier's calibration and tuning may read, half the test part nothing reads.

    python benchmarks/type_names.py boundary   # names the classifier is unsure are public bodies

    python benchmarks/type_names.py fresh      # a second test part, drawn after the first was read
    python benchmarks/type_names.py sealed     # a third, from names no boundary draw looked at
    python benchmarks/type_names.py sealed2    # a fourth, drawn on the same way after the third was read

``fresh`` draws ``FRESH`` more names, continuing the draw of ``build`` (each source's next names
in the same CRC32 order, less those drawn before): a test part of its own (``fresh``), since the
``test`` part was read after several models. Like ``test``, nothing trains or tunes on it. The
names drawn before include the boundary names in its stretch, so it is no plain random draw: it
lacks those hard names (docs/classification.md says how many).

``sealed`` draws ``SEALED`` names from those no boundary draw looked at: the boundary draws walk
the names in another CRC32 order and stop when they have enough, so the names beyond the last one
they took were never seen by a model. Less the names drawn before (at random), they are a plain
random draw, with their share of hard names: a third test part, read once for each model shipped.
``sealed2`` draws ``SEALED2`` more of them, on in the same order, once the third had been read for
two models: only South Dakota's and Montana's names were left there.

``boundary`` adds names drawn otherwise: of the names not yet drawn, those the committed model
gives a chance of being a public body (``BOUNDARY_CHANCE`` or more), where businesses and public
bodies are told apart worst. They are typed like the others and only ever learnt from (part
``boundary``): chosen by a model, they would flatter or harm any figure.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from match_pairs import answers, kappa, write
from measure import SHARED_DATA

OUT = Path(__file__).resolve().parents[1] / "data" / "types"
NAMES, SHEETS = OUT / "names.csv", OUT / "sheets"
REAL = SHARED_DATA / "real"
DRAWN = {"south_dakota": 4800, "detroit": 2400, "montana": 600, "los_angeles": 200}
FRESH = {"south_dakota": 1230, "detroit": 615, "montana": 150, "los_angeles": 5}
# Every Detroit and Los Angeles name left beyond the boundary draws, Montana about its share of
# the first draws, South Dakota the rest of 2,000.
SEALED = {"south_dakota": 1520, "detroit": 321, "montana": 158, "los_angeles": 1}
# Beyond the boundary draws and the sealed part: South Dakota 12,358 names, Montana 466, no other.
SEALED2 = {"south_dakota": 1842, "detroit": 0, "montana": 158, "los_angeles": 0}
SHEET_SIZE = 500
BOUNDARY = 1000  # names a boundary draw adds
BOUNDARY_CHANCE = 0.05
LABELS = ("INDIVIDUAL", "BUSINESS", "GOVERNMENT", "UNKNOWN")


def crc(text: str) -> int:
    return zlib.crc32(text.encode())


def split_of(name: str) -> str:
    return "test" if crc("types:" + name.upper()) % 2 else "dev"


def _gz(name: str) -> Iterator[dict[str, str]]:
    with gzip.open(REAL / name, "rt", encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


def _band(amount: float) -> str:
    """How much the payer paid in all, in decades: a person's refund and a contractor look apart."""
    return next(
        (f"under ${limit:,}" for limit in (100, 1_000, 10_000, 100_000) if amount < limit), "$100,000 or more"
    )


def candidates() -> dict[str, dict[str, tuple[str, str]]]:
    """Each source's distinct names, with the context a reader sees."""
    found: dict[str, dict[str, tuple[str, str]]] = {source: {} for source in DRAWN}
    for row in _gz("sd_state_vendor_names_summary.csv.gz"):
        name = " ".join(row["vendor_name"].split())
        if row["is_placeholder_name"] == "Y" or not name:
            continue
        agencies = row["agencies"].replace("|", ", ")
        agencies = agencies if len(agencies) <= 70 else agencies[:67] + "..."
        total = float(row["total_amt"] or 0)
        context = (
            f"South Dakota state vendor; {row['n_payments']} payments, "
            f"{_band(total)} in all; paid by {agencies}"
        )
        found["south_dakota"].setdefault(name, ("south_dakota", context))
    for row in _gz("detroit_open_checkbook_fy2018-fy2019.csv.gz"):
        name = " ".join(row["vendor_name"].split())
        where = f"{row['vendor_city'].strip()} {row['vendor_state'].strip()}".strip()
        context = f"Detroit city vendor ({row['vendor_type'] or 'no type'}), {where}; paid by {row['agency']}"
        if name:
            found["detroit"].setdefault(name, ("detroit", context))
    for row in _gz("mt_ppp_150k_plus_2020.csv.gz"):
        name = " ".join(row["BusinessName"].split())
        if name:
            found["montana"].setdefault(
                name, ("montana", f"Montana PPP borrower, {row['City']} {row['State']}")
            )
    for row in _gz("la_controller_vendor_aliases.csv.gz"):
        name = " ".join(row["alias_name"].strip().strip('"').split())
        if name:
            found["los_angeles"].setdefault(name, ("los_angeles", "Los Angeles city vendor"))
    return found


def _drawn() -> list[dict[str, str]]:
    """The names drawn so far (``names.csv``)."""
    if not NAMES.exists():
        return []
    with NAMES.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _row(name: str, source: str, context: str, split: str) -> dict[str, str]:
    return {"name_id": f"n{crc(name) % 10**9:09d}", "source": source, "name": name, "context": context,
            "split": split}  # fmt: skip


def _add(kept: list[dict[str, str]], rows: list[dict[str, str]]) -> int:
    """names.csv with ``rows`` added, and new sheets of them in their order: the first new sheet."""
    OUT.mkdir(parents=True, exist_ok=True)
    write(NAMES, sorted([*kept, *rows], key=lambda r: r["name_id"]))
    SHEETS.mkdir(exist_ok=True)
    first = len(list(SHEETS.glob("*.csv"))) + 1
    for n, start in enumerate(range(0, len(rows), SHEET_SIZE), first):
        write(SHEETS / f"sheet{n:02d}.csv",
              [{"name_id": r["name_id"], "name": r["name"], "context": r["context"]}
               for r in rows[start : start + SHEET_SIZE]])  # fmt: skip
    return first


def _draw(
    kept: list[dict[str, str]],
    quota: dict[str, int],
    split: Callable[[str], str],
    eligible: Callable[[str], bool] = lambda name: True,
) -> list[dict[str, str]]:
    """Each source's next ``eligible`` names in the draw order (CRC32) not drawn yet, up to its ``quota``."""
    seen = {r["name"].upper() for r in kept}
    rows = []
    for source, names in candidates().items():
        taken = 0
        for name in sorted(names, key=lambda n: crc("draw:" + n)):
            if taken >= quota[source]:
                break
            if name.upper() in seen or not eligible(name):
                continue
            seen.add(name.upper())
            rows.append(_row(name, source, names[name][1], split(name)))
            taken += 1
    return sorted(rows, key=lambda r: crc("sheet:" + r["name_id"]))


def build() -> None:
    """names.csv and the readers' sheets. A larger draw adds names and new sheets for them; a name
    already drawn keeps its sheet, its readers' answers and its part."""
    drawn = _drawn()
    taken = Counter(r["source"] for r in drawn if r["split"] in ("dev", "test"))
    rows = _draw(drawn, {s: DRAWN[s] - taken[s] for s in DRAWN}, split_of)
    first = _add(drawn, rows)
    sources = dict(Counter(r["source"] for r in rows))
    print(f"random names: {taken.total() + len(rows):,}, {len(rows):,} new ({sources})"
          + (f"; new sheets of {SHEET_SIZE} from sheet{first:02d}" if rows else ""))  # fmt: skip


def fresh() -> None:
    """A second test part: ``FRESH`` names drawn on, in new sheets."""
    kept = _drawn()
    if any(r["split"] == "fresh" for r in kept):
        raise SystemExit("the fresh part is drawn already")
    rows = _draw(kept, FRESH, lambda name: "fresh")
    first = _add(kept, rows)
    sources = dict(Counter(r["source"] for r in rows))
    print(f"fresh names: {len(rows):,} ({sources}); sheets from sheet{first:02d}")


def _sealed(split: str, quota: dict[str, int]) -> None:
    """A test part of ``quota`` names beyond the last a boundary draw took, in new sheets."""
    kept = _drawn()
    if any(r["split"] == split for r in kept):
        raise SystemExit(f"the {split} part is drawn already")
    last = max(crc("boundary:" + r["name"]) for r in kept if r["split"] == "boundary")
    rows = _draw(kept, quota, lambda name: split, lambda name: crc("boundary:" + name) > last)
    short = {source: n - sum(r["source"] == source for r in rows) for source, n in quota.items()}
    if any(short.values()):
        raise SystemExit(f"too few names no boundary draw looked at: short of {short}")
    first = _add(kept, rows)
    sources = dict(Counter(r["source"] for r in rows))
    print(f"{split} names: {len(rows):,} ({sources}); sheets from sheet{first:02d}")


def sealed() -> None:
    """A third test part, from names no boundary draw looked at."""
    _sealed("sealed", SEALED)


def sealed2() -> None:
    """A fourth test part, drawn on in the same order after the third was read."""
    _sealed("sealed2", SEALED2)


def boundary() -> None:
    """New sheets of names not yet drawn that the committed model may read as public bodies."""
    from payeeflow.agents.classification.logic import Classifier

    classifier = Classifier.load()
    government = classifier.classes.index("GOVERNMENT")
    kept = _drawn()
    seen = {r["name"].upper() for r in kept}
    pool = [(crc("boundary:" + name), name, context) for names in candidates().values()
            for name, context in names.items() if name.upper() not in seen]  # fmt: skip
    rows = []
    for _, name, (source, context) in sorted(pool):
        if name.upper() in seen or classifier.probabilities(name)[0][government] < BOUNDARY_CHANCE:
            continue
        seen.add(name.upper())
        rows.append(_row(name, source, context, "boundary"))
        if len(rows) == BOUNDARY:
            break
    first = _add(kept, rows)
    sources = dict(Counter(r["source"] for r in rows))
    print(f"boundary names: {len(rows):,} ({sources}); sheets from sheet{first:02d}")


def merge() -> None:
    """labels.csv: what both readers said, or the third reading (``readers/settled.csv``) where
    they differ; a name they differ on and nobody settled is left out (``UNSETTLED``)."""
    names = _drawn()
    a: dict[str, str] = {}
    b: dict[str, str] = {}
    for sheet in sorted(SHEETS.glob("*.csv")):
        a |= answers(OUT / "readers" / "a" / sheet.name, "name_id", LABELS)
        b |= answers(OUT / "readers" / "b" / sheet.name, "name_id", LABELS)
    settled_file = OUT / "readers" / "settled.csv"
    settled = answers(settled_file, "name_id", LABELS) if settled_file.exists() else {}
    rows, apart = [], []
    for row in names:
        i = row["name_id"]
        if a[i] != b[i]:
            apart.append(i)
        label = a[i] if a[i] == b[i] else settled.get(i, "UNSETTLED")
        rows.append({"name_id": i, "name": row["name"], "label": label, "split": row["split"],
                     "reader_a": a[i], "reader_b": b[i]})  # fmt: skip
    write(OUT / "labels.csv", rows)
    pairs = [(a[r["name_id"]], b[r["name_id"]]) for r in names]
    print(f"names: {len(names):,}; readers agree on {len(names) - len(apart):,} "
          f"({1 - len(apart) / len(names):.1%}), Cohen's kappa {kappa(pairs, LABELS):.3f}")  # fmt: skip
    print(f"apart: {len(apart)}, settled by a third reading: {sum(i in settled for i in apart)}")
    print(f"final labels: {dict(Counter(r['label'] for r in rows))}")
    if apart:
        write(
            OUT / "readers" / "apart.csv", [{"name_id": i, "reader_a": a[i], "reader_b": b[i]} for i in apart]
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    actions = {
        "build": build,
        "merge": merge,
        "boundary": boundary,
        "fresh": fresh,
        "sealed": sealed,
        "sealed2": sealed2,
    }
    parser.add_argument("action", choices=actions)
    actions[parser.parse_args().action]()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
