"""The slow providers' pending work, as a worker keeps it (``agents/providers/workflow.py`` runs it
against Kafka and the providers' APIs).

A job holds up to 100 payees of one partition of the enrichment chain's source topic (their
records as ``payees.enriched`` carries them), whether their addresses were validated yet, and,
once submitted, the card network's job id. Its state is written to the compacted topic
``payees.provider-jobs`` before anything depends on it: before the source offsets are committed
(so a payee is never dropped), once its addresses were validated (so a restart does not ask
again), just before it is sent to the card network, and right after the card network accepted it
(so a restarted worker polls the same job and does not submit it again). The card network's API
takes no idempotency key and lists no jobs, so a worker killed between the network's 202 and that
last write leaves the job in doubt: the restarted worker sends it again and counts it
(``payeeflow_provider_jobs_in_doubt_total``), the one case of a search paid twice.

Each partition's watermark, the last source offset a job took, is kept there too: a record at or
below it is already in a job, however the restarted worker happens to batch what it reads again;
so is why a provider is shut, when a providers process asks it (``shut-<provider>``).

A job's records are written under their own key (``<job>/records``: the Avro messages one after
the other, each after its length), once when the job opens and again if address validation
changed them; its state (``<job>``, JSON) is small and written at every step. Copying 100
records into every state, as base64 in JSON, had cost more than the steps themselves.

Two producers write a job: the enrichment chain's opens it with its batch, and the timer writes
its later steps, so a job's messages can land out of order (the timer may validate a job before
the batch that opened it is delivered). Each records message therefore carries the version of
the write it belongs to, and each state the version of the records it goes with
(``records_version``): a reader pairs them by version, whatever order they came in.
"""

from __future__ import annotations

import base64
import json
import struct
import time
from dataclasses import dataclass, field, fields
from typing import Any

WATERMARK = "watermark-"  # key prefix of a partition's watermark in the jobs topic
RECORDS = "/records"  # key suffix of a job's records
SHUT = "shut-"  # key prefix of why a provider is shut, as the process asking it last said
_LENGTH = struct.Struct(">I")
# A records message's first byte when its write's version follows; a message of the previous
# format starts with its first record's length, whose first byte is never 0xFF.
_VERSIONED = b"\xff"
FINISHED_KEPT = 100_000  # keys of done jobs remembered, so a late state never revives one
GIVE_UP_AFTER = 3  # submissions of one job (a lost job is submitted again) before it is failed


@dataclass
class Job:
    key: str
    partition: int
    last_offset: int
    records: list[bytes]  # the enriched records, as payees.enriched carried them (or their latest)
    addressed: bool = True  # False while some record waits for address validation
    card: bool = False  # some record waits for the card network
    searches: list[list[str | None]] | None = None  # its card-network searches' fields, once known
    answered: list[str] = field(default_factory=list)  # payees answered from the cache before it settled
    created_at: float = field(default_factory=time.time)
    job_id: str | None = None
    submitted_at: float | None = None  # when last sent to the card network
    attempts: int = 0
    polls: int = 0  # PENDING answers since the last submission
    next_poll: float = 0.0  # not before then (a restarted worker polls at once)
    version: int = 0  # its writes so far: the jobs feed keeps the newest state it has seen
    records_version: int = 0  # the write that last carried its records

    def to_json(self) -> dict[str, Any]:
        """Its state, without the records (``pack_records``)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "records"}

    def written(self, records: bool) -> list[tuple[str, bytes]]:
        """Its next write, version counted: its records first when they changed (tagged with
        this write's version, which its state then names), then its state."""
        self.version += 1
        if records:
            self.records_version = self.version
        state = (self.key, json.dumps(self.to_json()).encode())
        return [(self.key + RECORDS, pack_records(self.records, self.version)), state] if records else [state]

    @classmethod
    def from_json(cls, value: dict[str, Any], records: list[bytes]) -> Job:
        return cls(**{**value, "records": records})


def pack_records(records: list[bytes], version: int) -> bytes:
    """A job's records as its ``/records`` message: the version of their write, then each
    record after its length."""
    return _VERSIONED + _LENGTH.pack(version) + b"".join(_LENGTH.pack(len(r)) + r for r in records)


def unpack_records(value: bytes) -> tuple[int, list[bytes]]:
    """A ``/records`` message's version (0 in the previous format, which had none) and records."""
    version, at = 0, 0
    if value.startswith(_VERSIONED):
        (version,) = _LENGTH.unpack_from(value, 1)
        at = 1 + _LENGTH.size
    records = []
    while at < len(value):
        (size,) = _LENGTH.unpack_from(value, at)
        records.append(value[at + 4 : at + 4 + size])
        at += 4 + size
    return version, records


class Jobs:
    """Jobs not yet answered, and each partition's watermark."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.watermarks: dict[int, int] = {}
        self.finished: dict[str, None] = {}  # done jobs' keys, oldest first
        # a job's records read before their state, by the version of their write
        self.arrived: dict[str, dict[int, list[bytes]]] = {}
        self.shut: dict[str, str] = {}  # provider -> why it is shut (circuit_open, over_budget)

    def seen(self, partition: int, offset: int) -> bool:
        """Whether a record is already in a job (or was, and the job is done)."""
        return offset <= self.watermarks.get(partition, -1)

    def open(
        self,
        partition: int,
        items: list[tuple[int, bytes]],
        addressed: bool,
        card: bool,
        searches: list[list[str | None]] | None = None,
    ) -> Job:
        """A new job of ``(offset, record bytes)`` items of one partition, in offset order."""
        first, last = items[0][0], items[-1][0]
        records = [value for _, value in items]
        job = Job(f"p{partition}-{first}-{last}", partition, last, records, addressed, card, searches)
        self.put(job)
        return job

    def put(self, job: Job) -> None:
        self.jobs[job.key] = job
        self.watermarks[job.partition] = max(self.watermarks.get(job.partition, -1), job.last_offset)

    def done(self, key: str) -> None:
        self.jobs.pop(key, None)
        self.arrived.pop(key, None)
        self.finished[key] = None
        if len(self.finished) > FINISHED_KEPT:
            del self.finished[next(iter(self.finished))]

    def apply(self, key: str, value: bytes | None) -> None:
        """A message of the jobs topic: a job's state or records, a tombstone, a watermark, or
        why a provider is shut.

        The worker reads its own writes back a little later: a state no newer than the one it
        holds (the write before a submission, read back once the job id is known) or of a job
        already done is not applied, or the job would be submitted or answered again. A state
        takes the records of its ``records_version``, whichever came first; records no newer
        than those of the job held are dropped, as are a state's whose records never came.
        """
        if key.startswith(SHUT):
            provider = key.removeprefix(SHUT)
            if value is None:
                self.shut.pop(provider, None)
            else:
                self.shut[provider] = json.loads(value)["reason"]
        elif key.startswith(WATERMARK):
            if value is not None:
                partition = int(key.removeprefix(WATERMARK))
                offset = json.loads(value)["offset"]
                self.watermarks[partition] = max(self.watermarks.get(partition, -1), offset)
        elif key.endswith(RECORDS):
            job_key = key.removesuffix(RECORDS)
            if value is not None and job_key not in self.finished:
                version, records = unpack_records(value)
                held = self.jobs.get(job_key)
                if held is None or version > held.records_version:
                    self.arrived.setdefault(job_key, {})[version] = records
        elif value is None:
            self.done(key)
        elif key not in self.finished:
            self._apply_state(key, json.loads(value))

    def _apply_state(self, key: str, state: dict[str, Any]) -> None:
        held = self.jobs.get(key)
        if held is not None and state.get("version", 0) <= held.version:
            return
        wanted = state.get("records_version", 0)
        arrived = self.arrived.get(key, {})
        if wanted in arrived:
            records = arrived[wanted]
        elif "records" in state:  # written before records had a key of their own
            records = [base64.b64decode(r) for r in state.pop("records")]
        elif held is not None and held.records_version >= wanted:
            records = held.records
        else:
            return  # a state whose records never came: nothing to answer with
        if newer := {v: r for v, r in arrived.items() if v > wanted}:
            self.arrived[key] = newer  # for a later state
        else:
            self.arrived.pop(key, None)
        self.put(Job.from_json(state, records))
