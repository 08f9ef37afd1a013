"""Faust agent of the network-match stage: payees.classified -> payees.matched.

The supplier index is built from the ``suppliers`` topic (or ``PAYEEFLOW_NETWORK_FILE``) and kept
current while the agent runs; the agent waits for it before matching its first batch.
"""

from __future__ import annotations

import asyncio

from payeeflow.agents.matching.index import SupplierIndex
from payeeflow.agents.matching.logic import Matcher, read_network
from payeeflow.config import Settings
from payeeflow.connectors.supplier_feed import SupplierFeed
from payeeflow.metrics import INDEX_ROWS, SUPPLIERS
from payeeflow.streams.app import Stage
from payeeflow.streams.topics import CLASSIFIED, MATCHED


def build(settings: Settings) -> Stage:
    if settings.network_file is not None:
        index = SupplierIndex.build(read_network(settings.network_file))
        SUPPLIERS.set(len(index))
        INDEX_ROWS.set(index.row_count)
        return Stage("matching", CLASSIFIED, MATCHED, Matcher(index).apply)
    index, ready = SupplierIndex(), asyncio.Event()
    feed = SupplierFeed(settings, index, ready)
    return Stage("matching", CLASSIFIED, MATCHED, Matcher(index).apply, ready=ready, tasks=[feed.run])
