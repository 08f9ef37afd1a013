"""Faust agent of the network-match stage: payees.classified -> payees.matched.

The supplier index is built from the ``suppliers`` topic (or ``PAYEEFLOW_NETWORK_FILE``) and kept
current while the agent runs, as are reviewers' corrections from ``payees.corrections``; the agent
waits for both before matching its first batch.
"""

from __future__ import annotations

from payeeflow.agents.corrections import Corrections
from payeeflow.agents.feeds import CorrectionFeed, SupplierFeed
from payeeflow.agents.matching.index import SupplierIndex
from payeeflow.agents.matching.logic import Matcher
from payeeflow.config import Settings
from payeeflow.metrics import INDEX_ROWS, SUPPLIERS
from payeeflow.streams.app import Feed, Stage
from payeeflow.streams.topics import CLASSIFIED, MATCHED


def build(settings: Settings) -> Stage:
    corrections = Corrections()
    feeds: list[Feed] = [CorrectionFeed(settings, corrections)]
    if settings.network_file is not None:
        index = SupplierIndex.from_csv(settings.network_file)
        SUPPLIERS.set(len(index))
        INDEX_ROWS.set(index.row_count)
    else:
        index = SupplierIndex()
        feeds.append(SupplierFeed(settings, index))
    matcher = Matcher(index, corrections=corrections)
    return Stage("matching", CLASSIFIED, MATCHED, matcher.apply, feeds=feeds)
