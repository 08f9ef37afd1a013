"""Each stage alone, in-process on one core: payees/s and µs a payee, on one network and one set of
payees, printed as a table, so that the next regression shows up here first.

    python benchmarks/stages.py [--suppliers 483227] [--count 20000] [--seed 11]

The network and the payees are generated as ``benchmarks/e2e.py`` generates them (same seed, same
data). Each stage is built once, then timed (CPU time of this process) over the records the stage
before it produced, as the pipeline hands them on: validation, exclusion, classification,
matching, enrichment; then the Avro encode and decode of each stage topic, which the stream adds
per record and per hop (codecs as the workers build them, against confluent-kafka's in-process
registry), and the ``extend`` a fused worker writes the later topics with (the earlier topic's
bytes and the new section). "Avro on every hop" is the per-stage layout's cost; "a fused worker"
decodes the raw topic, encodes the screened one and extends the rest.
"""

from __future__ import annotations

import argparse
import copy
import csv
import gc
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from measure import SHARED_DATA, rss_mib

from payeeflow.agents.classification.logic import Classifier
from payeeflow.agents.enrichment import Enricher
from payeeflow.agents.exclusion import Screener
from payeeflow.agents.matching import Matcher
from payeeflow.agents.matching.synthetic import generate_network, generate_payees, write_csv
from payeeflow.agents.validation import validate_record
from payeeflow.config import Settings
from payeeflow.connectors.files.rows import to_record
from payeeflow.errors import RecordError
from payeeflow.schemas.codec import codec_for
from payeeflow.streams.topics import CLASSIFIED, ENRICHED, MATCHED, RAW, SCREENED


def timed(apply: Callable[[Any], Any], records: list[Any], keep: bool = True) -> tuple[float, list[Any]]:
    """(CPU seconds, outputs) of one stage over every record. Without ``keep`` the outputs go
    as a worker's do, one by one: kept, 20,000 decoded records make the garbage collector
    rescan them all, which no worker pays."""
    started = time.process_time()
    if keep:
        out = [apply(record) for record in records]
    else:
        out = []
        for record in records:
            apply(record)
    return time.process_time() - started, out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--suppliers", type=int, default=483_227)
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="payeeflow-stages-"))
    network, payees = work / "network.csv", work / "payees.csv"
    write_csv(generate_network(SHARED_DATA, args.suppliers, args.seed), network)
    write_csv(generate_payees(SHARED_DATA, network, args.count, args.seed), payees)
    now = datetime.now(UTC)
    with payees.open(newline="", encoding="utf-8") as fh:
        records = [to_record(row, "stages", "bench", now) for row in csv.DictReader(fh)]

    built: dict[str, float] = {}
    started = time.perf_counter()
    screener, classifier, enricher = Screener.from_file(), Classifier.load(), Enricher()
    built["models"] = time.perf_counter() - started
    before_index = rss_mib()
    started = time.perf_counter()
    matcher = Matcher.from_csv(network)
    built["index"] = time.perf_counter() - started
    index_mib = rss_mib() - before_index
    gc.freeze()  # as a worker does once its stages are built: collections skip what it holds

    def validate(record: dict[str, Any]) -> dict[str, Any] | None:
        try:
            validate_record(record, 300)
            return record
        except RecordError:
            return None

    rows: list[tuple[str, float, int]] = []
    seconds, out = timed(validate, records)
    rows.append(("validation", seconds, len(records)))
    current = [r for r in out if r is not None]
    for name, stage in (
        ("exclusion", screener),
        ("classification", classifier),
        ("matching", matcher),
        ("enrichment", enricher),
    ):
        seconds, current = timed(stage.apply, current)
        rows.append((name, seconds, len(current)))

    settings = Settings(schema_registry_url="mock://", topic_prefix="stages.")
    snapshots = {  # each topic's record: the sections its stage has added so far
        RAW: ("screening", "classification", "match", "enrichment"),
        SCREENED: ("classification", "match", "enrichment"),
        CLASSIFIED: ("match", "enrichment"),
        MATCHED: ("enrichment",),
        ENRICHED: (),
    }
    written: dict[str, list[bytes]] = {}
    fused = 0.0  # what one fused worker spends: decode the raw topic, write every stage topic
    for topic, later in snapshots.items():
        codec = codec_for(topic, settings)
        shaped = [{k: v for k, v in copy.copy(r).items() if k not in later} for r in current]
        seconds, written[topic] = timed(codec.encode, shaped)
        rows.append((f"encode {topic}", seconds, len(shaped)))
        fused += seconds / len(shaped) if topic == SCREENED else 0.0
        seconds, _ = timed(codec.decode, written[topic], keep=False)
        rows.append((f"decode {topic}", seconds, len(shaped)))
        fused += seconds / len(shaped) if topic == RAW else 0.0
        previous = list(snapshots)[list(snapshots).index(topic) - 1]
        if topic not in (RAW, SCREENED) and codec.extends(codec_for(previous, settings)):
            pairs = list(zip(written[previous], shaped, strict=True))
            seconds, _ = timed(lambda pair, codec=codec: codec.extend(*pair), pairs, keep=False)
            rows.append((f"extend {topic}", seconds, len(pairs)))
            fused += seconds / len(pairs)

    print(
        f"{args.suppliers:,} suppliers, {len(records):,} payees (seed {args.seed}); one core, CPU time;"
        f" models loaded in {built['models']:.1f}s, index built in {built['index']:.1f}s"
        f" (+{index_mib:.0f} MiB)"
    )
    print(f"{'step':26} {'payees/s':>12} {'µs a payee':>11}")
    stage_us = codec_us = 0.0
    for name, seconds, count in rows:
        us = seconds / count * 1e6
        if name.startswith(("encode", "decode")):
            codec_us += us
        elif not name.startswith("extend"):
            stage_us += us
        print(f"{name:26} {count / seconds:12,.0f} {us:11.1f}")
    print(f"{'stages together':26} {1e6 / stage_us:12,.0f} {stage_us:11.1f}")
    print(f"{'+ Avro on every hop':26} {1e6 / (stage_us + codec_us):12,.0f} {stage_us + codec_us:11.1f}")
    fused_us = stage_us + fused * 1e6
    print(f"{'+ Avro of a fused worker':26} {1e6 / fused_us:12,.0f} {fused_us:11.1f}")
    print(f"peak RSS {rss_mib(field='VmHWM'):.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
