"""The sink's buffer: ``add_*()`` per record, ``flush()`` per checkpoint in one transaction, the
offsets stored with the rows; rows the database refuses for their data become dead letters."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from aiokafka import TopicPartition

from payeeflow.agents.corrections import Correction
from payeeflow.connectors.database.namechanges import Forgetting
from payeeflow.connectors.database.postgres import is_data_error
from payeeflow.connectors.database.sink.tables import (
    CORRECT_PAYEE,
    DEAD_MEMBER,
    INSERT_DEAD_LETTER,
    PAYEE_COLUMNS,
    SAVE_OFFSET,
    STAGE_PAYEES,
    STORED_MEMBERS,
    UPSERT_BATCH,
    UPSERT_CORRECTION,
    UPSERT_PAYEES,
    WITHDRAW_CORRECTION,
    escaped_letter,
    letter_origin,
    payee_row,
    storable_letter,
)
from payeeflow.errors import RecordError
from payeeflow.metrics import RECORDS, SINK_LAG_SECONDS, STORED
from payeeflow.streams.deadletters import dead_letter

log = logging.getLogger(__name__)
MAX_BACKOFF = 5.0  # a retry is one connection attempt: cheap; a long wait after the outage is not


@dataclass(frozen=True)
class Origin:
    """The message a buffered item came from: what a dead letter for it must carry."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class Item:
    origin: Origin
    data: Any  # a payee row tuple, a dead letter or a batch manifest


Poisoned = Callable[[dict[str, Any]], Awaitable[None]]


SOURCE_TS, PAYEE_TYPE, MATCH_TYPE = (
    PAYEE_COLUMNS.index(c) for c in ("source_ts", "payee_type", "match_type")
)


class PostgresSink:
    """Buffers rows and writes them in one transaction per ``flush``.

    ``poisoned`` is told of every row the database refused (a dead letter, already in the
    ``dead_letters`` table of this transaction) so the runner can publish it on ``payees.dlq``.
    """

    def __init__(
        self, conn: psycopg.AsyncConnection, group: str, cluster_id: str, poisoned: Poisoned | None = None
    ) -> None:
        self.conn = conn
        self.group = group
        self.cluster_id = cluster_id
        self.poisoned = poisoned
        self.payees: list[Item] = []
        self.dead_letters: list[Item] = []
        self.batches: list[Item] = []
        self.corrections: list[Item] = []  # a Correction, or the payee id of a withdrawn one
        self.forgetting = Forgetting()  # the name changes every API process has read

    def add_payee(self, record: dict[str, Any], origin: Origin) -> None:
        self.payees.append(Item(origin, payee_row(record)))

    def add_dead_letter(self, letter: dict[str, Any], origin: Origin) -> None:
        self.dead_letters.append(Item(origin, storable_letter(letter, self.cluster_id)))

    def add_batch(self, batch: dict[str, Any], origin: Origin) -> None:
        self.batches.append(Item(origin, batch))

    def add_correction(self, correction: Correction | str, origin: Origin) -> None:
        self.corrections.append(Item(origin, correction))

    def __len__(self) -> int:
        return len(self.payees) + len(self.dead_letters) + len(self.batches) + len(self.corrections)

    async def flush(self, offsets: dict[TopicPartition, int]) -> None:
        """Write everything buffered, and ``offsets``, in one transaction.

        On a data error only the refused rows are left out (as dead letters); any other error
        leaves the database unchanged and the buffer intact, so the caller can flush again.
        """
        async with self.conn.transaction(), self.conn.cursor() as cur:
            refused = await self._isolate(cur, self.payees, self._write_payees)
            refused += await self._isolate(cur, self.batches, self._write_batches)
            refused += await self._isolate(cur, self.corrections, self._write_corrections)
            letters = [item.data for item in self.dead_letters]
            for item, exc in refused:
                letters.append(self._refused_letter(item, exc))
            await self._write_all_letters(cur, letters)
            await cur.executemany(
                SAVE_OFFSET,
                [
                    (self.group, self.cluster_id, tp.topic, tp.partition, offset)
                    for tp, offset in offsets.items()
                ],
            )
            if self.poisoned:
                for letter in letters[len(self.dead_letters) :]:
                    await self.poisoned(letter)
        await self.forgetting.after_commit(self.conn)
        now = datetime.now(UTC)  # committed: count it
        dead = {id(item) for item, _ in refused}
        for item in self.payees:
            SINK_LAG_SECONDS.observe((now - item.data[SOURCE_TS]).total_seconds())
            if id(item) not in dead:
                STORED.labels(item.data[PAYEE_TYPE] or "", item.data[MATCH_TYPE] or "").inc()
        RECORDS.labels("sink", "ok").inc(
            len(self.payees) - sum(isinstance(i.data, tuple) for i, _ in refused)
        )
        RECORDS.labels("sink", "dead_letter").inc(len(refused))
        self.payees.clear()
        self.dead_letters.clear()
        self.batches.clear()
        self.corrections.clear()

    async def _isolate(
        self,
        cur: psycopg.AsyncCursor[Any],
        items: Sequence[Item],
        write: Callable[[psycopg.AsyncCursor[Any], Sequence[Item]], Awaitable[None]],
    ) -> list[tuple[Item, psycopg.Error]]:
        """Write ``items`` in a savepoint; on a data error, halve until each refused item is alone."""
        if not items:
            return []
        try:
            async with self.conn.transaction():
                await write(cur, items)
            return []
        except psycopg.Error as exc:
            if not is_data_error(exc):
                raise
            if len(items) == 1:
                return [(items[0], exc)]
            middle = len(items) // 2
            return await self._isolate(cur, items[:middle], write) + await self._isolate(
                cur, items[middle:], write
            )

    async def _write_payees(self, cur: psycopg.AsyncCursor[Any], items: Sequence[Item]) -> None:
        await cur.execute(STAGE_PAYEES)
        async with cur.copy(f"COPY payees_in ({', '.join(PAYEE_COLUMNS)}) FROM STDIN") as copy:
            for item in items:
                await copy.write_row(item.data)
        await cur.execute(UPSERT_PAYEES)
        await cur.execute(STORED_MEMBERS)

    async def _write_batches(self, cur: psycopg.AsyncCursor[Any], items: Sequence[Item]) -> None:
        await cur.executemany(UPSERT_BATCH, [item.data for item in items])

    async def _write_corrections(self, cur: psycopg.AsyncCursor[Any], items: Sequence[Item]) -> None:
        for item in items:  # in order: a correction and its withdrawal may share a flush
            if isinstance(item.data, str):
                await cur.execute(WITHDRAW_CORRECTION, (item.data,))
                continue
            correction = item.data.to_record()
            await cur.execute(UPSERT_CORRECTION, correction)
            await cur.execute(CORRECT_PAYEE, {"payee_id": correction["payee_id"], "reason": item.data.reason})

    async def _write_all_letters(self, cur: psycopg.AsyncCursor[Any], letters: list[dict[str, Any]]) -> None:
        """Store every letter, escaped if refused as it is; raise if one is refused even so."""
        refused = await self._isolate(cur, [Item(_NOWHERE, x) for x in letters], self._write_letters)
        escaped = [Item(_NOWHERE, escaped_letter(item.data, exc)) for item, exc in refused]
        for item in escaped:
            log.warning(
                "dead letter refused by the table, storing it escaped", extra=letter_origin(item.data)
            )
        for item, exc in await self._isolate(cur, escaped, self._write_letters):
            log.error(
                "dead letter refused even escaped: the flush is retried", extra=letter_origin(item.data)
            )
            raise exc

    async def _write_letters(self, cur: psycopg.AsyncCursor[Any], items: Sequence[Item]) -> None:
        letters = [item.data for item in items]
        await cur.executemany(INSERT_DEAD_LETTER, letters)
        members = [(x["batch_id"], x["payee_id"]) for x in letters if x["batch_id"] and x["payee_id"]]
        if members:
            await cur.executemany(DEAD_MEMBER, members)

    def _refused_letter(self, item: Item, exc: psycopg.Error) -> dict[str, Any]:
        origin = item.origin
        if isinstance(item.data, tuple):
            record = {"payee_id": item.data[0], "batch_id": item.data[1]}
        elif isinstance(item.data, Correction):
            record = {"payee_id": item.data.payee_id, "batch_id": None}
        else:
            record = {"payee_id": None, "batch_id": item.data.get("batch_id")}
        error = RecordError(f"db_{exc.sqlstate or 'client'}", str(exc).strip().splitlines()[0][:500])
        letter = dead_letter(
            "sink", error, origin.topic, origin.partition, origin.offset, origin.key, origin.value, record
        )
        return storable_letter(letter, self.cluster_id)


_NOWHERE = Origin("", 0, 0, None, None)
