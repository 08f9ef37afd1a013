"""What a sync sends, decided with no I/O: the source, row by row, against the topic's state.

``Diff`` holds the topic's state (supplier id -> content digest) and is told each source row's id
and digest: the row is unchanged (same digest), an upsert (an id the topic lacks, or another
digest) or a duplicate (an id the source gave already: the first row stands). Whatever the source
never named is deleted, if the guard allows it: a source that suddenly lacks a large share of the
network (an emptied table, a wrong query) is a mistake far more often than a clean-up.
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
        record that did not decode). It is taken over and marked as rows are seen, not copied:
        a network of 483k ids is held once."""
        self._state = current
        self._seen: set[str] = set()  # ids the source named, whether or not the topic has them
        self.live = len(current)

    def row(self, key: str, digest: bytes) -> Verdict:
        if key in self._seen:
            return Verdict.DUPLICATE
        self._seen.add(key)
        before = self._state.pop(key, _ABSENT)
        return Verdict.UNCHANGED if before == digest else Verdict.UPSERT

    def keep(self, key: str) -> None:
        """A row that was rejected: its supplier stays as the topic has it, neither sent nor deleted."""
        self._seen.add(key)
        self._state.pop(key, None)

    def deletes(self, max_share: float, allowed: bool = False) -> list[str]:
        """The ids to tombstone once the source has been read to its end; ``TooManyDeletes`` when
        they are more than ``max_share`` of the topic's suppliers and not ``allowed``."""
        gone = list(self._state)
        if gone and not allowed and len(gone) > max_share * self.live:
            raise TooManyDeletes(
                f"the source lacks {len(gone):,} of the {self.live:,} suppliers on the topic "
                f"({len(gone) / self.live:.1%}), more than one sync may delete ({max_share:.0%}, "
                "PAYEEFLOW_SUPPLIER_SYNC_MAX_DELETE_SHARE): no tombstone sent. Check the source; "
                "if they are meant to go, run again with --allow-deletes"
            )
        return gone
