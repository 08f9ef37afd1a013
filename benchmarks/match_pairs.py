"""The labelled set of real supplier-name pairs: which pairs readers judge, and their verdicts merged.

    python benchmarks/match_pairs.py build    # data/matching/network.csv, pairs.csv, queries.csv, sheets
    python benchmarks/match_pairs.py more ANSWERS.csv  # pairs a matcher answered that nobody judged
    python benchmarks/match_pairs.py merge    # data/matching/labels.csv from the two readers' sheets

The names are real payers' (``../shared/data/real``, SOURCES.md). The network side: one spelling of
each South Dakota vendor that has several (its latest) and of a stable half of the others, and the
Los Angeles Controller's canonical names; the match benchmark hides them among generated suppliers
(``payeeflow.agents.matching.synthetic.generate_network``) up to 483,227. The queries: South Dakota's other
spellings of those vendors, vendors of the other half, Detroit's and Montana's vendor names, and
Los Angeles's aliases. Each query's candidates are the network names nearest to it (character
trigrams with the spaces taken out, and words, both TF-IDF cosine, over the whole benchmark network)
plus, for a South Dakota or Los Angeles variant, the spelling its payer filed it under. Two readers
judge every pair apart, from ``data/matching/GUIDE.md``, on sheets that hide where a pair came from;
``merge`` keeps what they agree on, and a third reading settles the rest or leaves it out.

A matcher may answer a query with a network name its candidates did not include:
``benchmarks/match_real.py --unjudged`` lists such (query, name) pairs, and ``more`` adds them to
``pairs_more.csv`` with sheets of their own (``sheets/more*.csv``) for the same two readers.

The split is by query, through the network name it is about (CRC32): all of a query's pairs are
``train``, ``dev`` or ``test``, and training and tuning never read ``test``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
import sys
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from measure import SHARED_DATA

from payeeflow.agents.matching.labelled import LABELLED as OUT
from payeeflow.agents.matching.labelled import network_rows, split_of

REAL = SHARED_DATA / "real"
SHEET_SIZE = 450
# A candidate worth a reader's look: this close in trigrams (spaces out) or in words.
TRIGRAM_MIN, WORD_MIN = 0.6, 0.7
SECOND_WITHIN = 0.15  # a query's second candidate only when it is this close to its first
SD_VARIANT_VENDORS = 1300  # South Dakota vendors with several spellings, drawn by CRC32
SD_ABSENT_QUERIES = 800  # vendors of the other half with a candidate, drawn by CRC32
MAX_SPELLINGS = 6  # a vendor number with more names is an account for many payees (a treasurer's)
PERSON_TYPES = {"ADVANCE PAY", "POLL WORKER", "JUROR", "GARNISHMENTS"}  # Detroit's people
_LEGAL = frozenset(
    "INC INCORPORATED LLC LC CORP CORPORATION CO COMPANY LTD LIMITED LP LLP PLLC PC PA THE".split()
)


def crc(text: str, modulo: int) -> int:
    return zlib.crc32(text.encode()) % modulo


def rough(name: str) -> str:
    """A reader-independent rough form for finding candidates: upper, no punctuation or legal form."""
    words = re.sub(r"[^A-Z0-9]+", " ", name.upper().replace("&", " AND ").replace("'", "")).split()
    core = [w for w in words if w not in _LEGAL]
    return " ".join(core or words)


def _gz(name: str) -> Iterator[dict[str, str]]:
    with gzip.open(REAL / name, "rt", encoding="utf-8-sig", newline="") as fh:
        yield from csv.DictReader(fh)


@dataclass
class Query:
    query_id: str
    source: str
    name: str
    context: str
    filed_under: str = ""  # the network name its payer filed it under (a variant), if any
    candidates: list[tuple[str, float, float]] = field(default_factory=list)  # name, trigram, word


def _sd() -> tuple[dict[str, list[dict[str, str]]], dict[str, str]]:
    """South Dakota's vendors (placeholders left out): rows by vendor number, and its latest name."""
    vendors: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _gz("sd_state_vendor_names_summary.csv.gz"):
        if row["is_placeholder_name"] == "Y" or row["vendor_name"].startswith("VNDR "):
            continue
        row["vendor_name"] = row["vendor_name"].strip()
        vendors[row["vendor_number"]].append(row)
    latest = {v: max(rows, key=lambda r: (r["last_payment"], int(r["n_payments"])))["vendor_name"]
              for v, rows in vendors.items()}  # fmt: skip
    return vendors, latest


def _sd_context(row: dict[str, str]) -> str:
    agencies = row["agencies"].replace("|", ", ")
    agencies = agencies if len(agencies) <= 70 else agencies[:67] + "..."
    return f"South Dakota state vendor; {row['n_payments']} payments; paid by {agencies}"


def real_network() -> tuple[list[dict[str, str]], list[Query]]:
    """The real names on the network side, and the queries judged against the network."""
    vendors, latest = _sd()
    several = {v for v, rows in vendors.items() if len({r["vendor_name"] for r in rows}) > 1}
    network: dict[str, dict[str, str]] = {}

    def put(supplier_id: str, name: str, context: str) -> None:
        network.setdefault(name.upper(), {"supplier_id": supplier_id, "name": name, "context": context})

    for v in sorted(vendors):
        if v in several or crc("side:" + v, 2) == 0:
            row = next(r for r in vendors[v] if r["vendor_name"] == latest[v])
            put(f"SD{v}", latest[v], _sd_context(row))
    queries: list[Query] = []
    drawn = sorted(v for v in several if len({r["vendor_name"] for r in vendors[v]}) <= MAX_SPELLINGS)
    drawn = sorted(drawn, key=lambda v: crc("draw:" + v, 1 << 30))[:SD_VARIANT_VENDORS]
    for v in sorted(drawn):
        others = sorted({r["vendor_name"] for r in vendors[v]} - {latest[v]})
        for name in sorted(others, key=lambda n: crc("spelling:" + n, 1 << 30))[:2]:
            row = next(r for r in vendors[v] if r["vendor_name"] == name)
            queries.append(
                Query(f"sdv-{v}-{crc(name, 10**6)}", "sd_variant", name, _sd_context(row), latest[v])
            )
    on_side = {n["supplier_id"] for n in network.values()}
    others = sorted(
        (v for v in vendors if f"SD{v}" not in on_side), key=lambda v: crc("absent:" + v, 1 << 30)
    )
    for v in sorted(others[: 4 * SD_ABSENT_QUERIES]):  # those with a near name are drawn from these
        row = next(r for r in vendors[v] if r["vendor_name"] == latest[v])
        queries.append(Query(f"sda-{v}", "sd_absent", latest[v], _sd_context(row)))
    aliases = list(_gz("la_controller_vendor_aliases.csv.gz"))
    for row in aliases:
        row = {k: " ".join(v.strip().strip('"').split()) for k, v in row.items()}  # some names are quoted
        put(f"LA{crc(row['canonical_name'], 10**8):08d}", row["canonical_name"], "Los Angeles city vendor")
        if row["alias_name"].upper() != row["canonical_name"].upper():
            queries.append(Query(f"laa-{crc(row['alias_name'], 10**8)}", "la_alias", row["alias_name"],
                                 "Los Angeles city vendor", row["canonical_name"]))  # fmt: skip
    seen: set[str] = set()
    for row in _gz("detroit_open_checkbook_fy2018-fy2019.csv.gz"):
        name = " ".join(row["vendor_name"].split())
        if not name or name in seen or row["vendor_type"] in PERSON_TYPES:
            continue
        seen.add(name)
        where = f"{row['vendor_city'].strip()} {row['vendor_state'].strip()}".strip()
        context = f"Detroit city vendor ({row['vendor_type'] or 'no type'}), {where}"
        queries.append(Query(f"det-{row['vendor_number']}-{crc(name, 10**6)}", "detroit", name, context))
    seen.clear()
    for row in _gz("mt_ppp_150k_plus_2020.csv.gz"):
        name = " ".join(row["BusinessName"].split())
        if not name or name in seen:
            continue
        seen.add(name)
        context = f"Montana PPP borrower ({row['BusinessType']}), {row['City']} {row['State']}"
        queries.append(Query(f"mt-{crc(name, 10**8)}", "montana", name, context))
    return list(network.values()), queries


def find_candidates(queries: list[Query], network: list[dict[str, str]]) -> None:
    """Each query's two nearest distinct network names (the second only when close to the first)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    names = sorted({r["name"] for r in network})
    forms = [rough(n) for n in names]
    squash = [f" {f.replace(' ', '')} " for f in forms]
    trigrams = TfidfVectorizer(analyzer="char", ngram_range=(3, 3), sublinear_tf=True, dtype=np.float32)
    words = TfidfVectorizer(analyzer=str.split, sublinear_tf=True, lowercase=False, dtype=np.float32)
    # fitted on both sides, so a query's words the network lacks count against a candidate
    all_forms = forms + [rough(q.name) for q in queries]
    trigrams.fit([f" {f.replace(' ', '')} " for f in all_forms])
    words.fit(all_forms)
    tri_t = trigrams.transform(squash).T.tocsr()
    word_t = words.transform(forms).T.tocsr()
    step = 200
    for start in range(0, len(queries), step):
        chunk = queries[start : start + step]
        q_forms = [rough(q.name) for q in chunk]
        tri = (trigrams.transform([f" {f.replace(' ', '')} " for f in q_forms]) @ tri_t).toarray()
        word = (words.transform(q_forms) @ word_t).toarray()
        best = np.maximum(tri, word)
        for i, query in enumerate(chunk):
            top = np.argpartition(-best[i], 8)[:8]
            ranked = sorted(top, key=lambda t: (-best[i][t], names[t]))
            kept: list[tuple[str, float, float]] = []
            for t in ranked:
                near = tri[i][t] >= TRIGRAM_MIN or word[i][t] >= WORD_MIN
                if not near or (kept and best[i][t] < max(kept[0][1], kept[0][2]) - SECOND_WITHIN):
                    break
                kept.append((names[t], round(float(tri[i][t]), 3), round(float(word[i][t]), 3)))
                if len(kept) == 2:
                    break
            query.candidates = kept
        print(f"  candidates: {min(start + step, len(queries))}/{len(queries)}", file=sys.stderr, end="\r")
    print(file=sys.stderr)


def build() -> None:
    real, queries = real_network()
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "network.csv", [{"supplier_id": r["supplier_id"], "name": r["name"]} for r in real])
    network = list(network_rows(SHARED_DATA))
    print(f"network: {len(real):,} real names among {len(network):,}; queries: {len(queries):,}")
    find_candidates(queries, network)
    absent = [q for q in queries if q.source == "sd_absent" and q.candidates]
    keep_absent = {q.query_id for q in absent[:SD_ABSENT_QUERIES]}
    queries = [q for q in queries if q.source != "sd_absent" or q.query_id in keep_absent]
    context = {r["name"]: r["context"] for r in real}
    pairs: dict[tuple[str, str], dict[str, str]] = {}
    for q in queries:
        candidates = [(q.filed_under, -1.0, -1.0)] if q.filed_under else []
        candidates += [c for c in q.candidates if c[0] != q.filed_under]
        anchor = candidates[0][0] if candidates else q.name
        for name, tri, word in candidates:
            key = (q.name, name)
            if key in pairs:
                continue
            pairs[key] = {
                "pair_id": f"p{crc(q.name + chr(31) + name, 10**9):09d}",
                "query_id": q.query_id,
                "source": q.source,
                "query": q.name,
                "query_context": q.context,
                "candidate": name,
                "candidate_context": context.get(name, "supplier network"),
                "filed_under": "yes" if name == q.filed_under else "",
                "trigram": "" if tri < 0 else f"{tri:.3f}",
                "word": "" if word < 0 else f"{word:.3f}",
                "split": split_of(anchor),
            }
    asked = [{"query_id": q.query_id, "source": q.source, "name": q.name, "context": q.context,
              "filed_under": q.filed_under} for q in queries]  # fmt: skip
    write(OUT / "queries.csv", asked)
    rows = sorted(pairs.values(), key=lambda r: r["pair_id"])
    write(OUT / "pairs.csv", rows)
    sheets = OUT / "sheets"
    sheets.mkdir(exist_ok=True)
    for old in sheets.glob("*.csv"):
        old.unlink()
    shuffled = sorted(rows, key=lambda r: crc("sheet:" + r["pair_id"], 1 << 30))
    for n, start in enumerate(range(0, len(shuffled), SHEET_SIZE), 1):
        sheet = [{"pair_id": r["pair_id"], "name_a": r["query"], "context_a": r["query_context"],
                  "name_b": r["candidate"], "context_b": r["candidate_context"]}
                 for r in shuffled[start : start + SHEET_SIZE]]  # fmt: skip
        write(sheets / f"sheet{n:02d}.csv", sheet)
    by_source: dict[str, int] = defaultdict(int)
    for r in rows:
        by_source[r["source"]] += 1
    print(f"pairs: {len(rows):,} ({dict(by_source)}); sheets of {SHEET_SIZE}: {n}")


LABELS = ("SAME", "DIFFERENT", "UNSURE")


def more(answers: Path) -> None:
    """Adds the (query, candidate) pairs of ``answers`` that no pair holds yet to pairs_more.csv,
    with the context and split of their query, and a sheet for them."""
    with (OUT / "queries.csv").open(newline="", encoding="utf-8") as fh:
        by_name = {q["name"]: q for q in csv.DictReader(fh)}
    known: dict[tuple[str, str], dict[str, str]] = {}
    context: dict[str, str] = {}
    for name in ("pairs.csv", "pairs_more.csv"):
        if (OUT / name).exists():
            with (OUT / name).open(newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    known[(row["query"].upper(), row["candidate"].upper())] = row
                    context[row["candidate"].upper()] = row["candidate_context"]
    split = {row["query_id"]: row["split"] for row in known.values()}
    with (OUT / "network.csv").open(newline="", encoding="utf-8") as fh:
        network = {r["name"].upper(): r["name"] for r in csv.DictReader(fh)}
    added = []
    with answers.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            query = by_name.get(row["query"])
            if query is None or (row["query"].upper(), row["candidate"].upper()) in known:
                continue
            name = network.get(row["candidate"].upper(), row["candidate"])
            added.append({
                "pair_id": f"p{crc(query['name'] + chr(31) + name, 10**9):09d}",
                "query_id": query["query_id"], "source": query["source"], "query": query["name"],
                "query_context": query["context"], "candidate": name,
                "candidate_context": context.get(name.upper(), "supplier network"),
                "filed_under": "", "trigram": "", "word": "",
                "split": split.get(query["query_id"]) or split_of(query["name"]),
            })  # fmt: skip
    if not added:
        print("nothing new to judge")
        return
    rows = added
    if (OUT / "pairs_more.csv").exists():
        with (OUT / "pairs_more.csv").open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh)) + added
    write(OUT / "pairs_more.csv", rows)
    n = len(list((OUT / "sheets").glob("more*.csv"))) + 1
    write(OUT / "sheets" / f"more{n:02d}.csv", [{"pair_id": r["pair_id"], "name_a": r["query"],
          "context_a": r["query_context"], "name_b": r["candidate"], "context_b": r["candidate_context"]}
          for r in added])  # fmt: skip
    print(f"{len(added)} pairs to judge: sheets/more{n:02d}.csv")


def answers(path: Path, key: str, labels: tuple[str, ...]) -> dict[str, str]:
    """A reader's sheet of answers, ``key`` -> label (upper case); a label not in ``labels`` stops."""
    with path.open(newline="", encoding="utf-8") as fh:
        given = {r[key]: r["label"].strip().upper() for r in csv.DictReader(fh)}
    odd = {label for label in given.values() if label not in labels}
    if odd:
        raise SystemExit(f"{path}: labels other than {labels}: {sorted(odd)}")
    return given


def kappa(pairs: list[tuple[str, str]], labels: tuple[str, ...] = LABELS) -> float:
    """Cohen's kappa of two readers' labels."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    expected = sum((sum(a == k for a, _ in pairs) / n) * (sum(b == k for _, b in pairs) / n) for k in labels)
    return (observed - expected) / (1 - expected)


def merge() -> None:
    """labels.csv: what both readers said, or the third reading (``readers/settled.csv``) where
    they differ; a pair they differ on and nobody settled is left in doubt (``UNSETTLED``)."""
    pairs = []
    for name in ("pairs.csv", "pairs_more.csv"):
        if (OUT / name).exists():
            with (OUT / name).open(newline="", encoding="utf-8") as fh:
                pairs += [r["pair_id"] for r in csv.DictReader(fh)]
    a: dict[str, str] = {}
    b: dict[str, str] = {}
    for sheet in sorted((OUT / "sheets").glob("*.csv")):
        a |= answers(OUT / "readers" / "a" / sheet.name, "pair_id", LABELS)
        b |= answers(OUT / "readers" / "b" / sheet.name, "pair_id", LABELS)
    missing = [p for p in pairs if p not in a or p not in b]
    if missing:
        raise SystemExit(f"{len(missing)} pairs lack a reader's answer, e.g. {missing[:3]}")
    settled_file = OUT / "readers" / "settled.csv"
    settled = answers(settled_file, "pair_id", LABELS) if settled_file.exists() else {}
    rows, apart = [], []
    for pair in pairs:
        if a[pair] == b[pair]:
            label = a[pair]
        else:
            apart.append(pair)
            label = settled.get(pair, "UNSETTLED")
        rows.append({"pair_id": pair, "label": label, "reader_a": a[pair], "reader_b": b[pair],
                     "settled": "yes" if pair in settled and a[pair] != b[pair] else ""})  # fmt: skip
    write(OUT / "labels.csv", rows)
    both = [(a[p], b[p]) for p in pairs]
    final: dict[str, int] = defaultdict(int)
    for row in rows:
        final[row["label"]] += 1
    print(f"pairs: {len(pairs):,}; readers agree on {len(pairs) - len(apart):,} "
          f"({1 - len(apart) / len(pairs):.1%}), Cohen's kappa {kappa(both):.3f}")  # fmt: skip
    print(f"apart: {len(apart)}, settled by a third reading: {sum(p in settled for p in apart)}")
    print(f"final labels: {dict(final)}")
    if apart:
        write(
            OUT / "readers" / "apart.csv", [{"pair_id": p, "reader_a": a[p], "reader_b": b[p]} for p in apart]
        )


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=("build", "more", "merge"))
    parser.add_argument("answers", type=Path, nargs="?", help="for more: match_real.py --unjudged's file")
    args = parser.parse_args()
    if args.action == "build":
        build()
    elif args.action == "more":
        if args.answers is None:
            parser.error("more needs the answers file")
        more(args.answers)
    else:
        merge()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
