"""What a sync sends, decided with no I/O: the source, row by row, against the topic's state.

``Diff`` holds the topic's state (supplier id -> content digest) and is told each source row's id
and digest: the row is unchanged (same digest), an upsert (an id the topic lacks, or another
digest) or a duplicate (an id a valid row gave already: the first valid row stands). A rejected
row's supplier stays as the topic has it. Whatever the source never named is deleted, if the guard
allows it: a source that suddenly lacks a large share of the network (an emptied table, a wrong
query) is a mistake far more often than a clean-up.
"""

from __future__ import annotations

from enum import Enum

from payeeflow.connectors.supplier_sync.errors import TooManyDeletes

_ABSENT = b"absent"  # never a digest (those are 16 bytes)


class Verdict(Enum):
    UNCHANGED = "unchanged"
    UPSERT = "upsert"
    DUPLICATE = "duplicate"


class Diff:
    def __init__(self, current: dict[str, bytes | None]) -> None:
        """``current``: the topic's suppliers, id -> digest (None: content unknown, as for a
        record that did not decode), taken over, not copied. Each id a valid row names moves from
        it to the set of ids seen, so its text is held once (a rejected row's id twice: in the
        dict and in the set of kept ids); but a dict's table does not shrink as keys leave it, so
        by the source's end both tables are held, each sized for the network (about 15 and 17 MB
        at 483k ids)."""
        self._state = current
        self._seen: set[str] = set()  # ids of the valid rows: a later row with one is a duplicate
        self._kept: set[str] = set()  # ids of rejected rows: their suppliers are not deleted
        self.live = len(current)

    def row(self, key: str, digest: bytes) -> Verdict:
        if key in self._seen:
            return Verdict.DUPLICATE
        self._seen.add(key)
        before = self._state.pop(key, _ABSENT)
        return Verdict.UNCHANGED if before == digest else Verdict.UPSERT

    def keep(self, key: str) -> None:
        """A row that was rejected: its supplier stays as the topic has it, not deleted; a valid
        row with the same id, later, is still compared and sent (the rejected one did not stand)."""
        self._kept.add(key)

    def deletes(self, max_share: float, allowed: bool = False) -> list[str]:
        """The ids to tombstone once the source has been read to its end; ``TooManyDeletes`` when
        they are more than ``max_share`` of the topic's suppliers and not ``allowed``."""
        gone = [key for key in self._state if key not in self._kept]
        if gone and not allowed and len(gone) > max_share * self.live:
            raise TooManyDeletes(
                f"the source lacks {len(gone):,} of the {self.live:,} suppliers on the topic "
                f"({len(gone) / self.live:.1%}), more than one sync may delete ({max_share:.0%}, "
                "PAYEEFLOW_SUPPLIER_SYNC_MAX_DELETE_SHARE): no tombstone sent. Check the source; "
                "if they are meant to go, run again with --allow-deletes"
            )
        return gone
