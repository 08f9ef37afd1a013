"""Faust agent of the network-match stage: payees.classified -> payees.matched.

The supplier index is built from the ``suppliers`` topic (or ``PAYEEFLOW_NETWORK_FILE``) and kept
current while the agent runs; the agent waits for it before matching its first batch.
"""

from __future__ import annotations

from agents.matching.index import SupplierIndex
from agents.matching.logic import Matcher, read_network
from connectors.supplier_feed import SupplierFeed
from payeeflow.config import Settings
from payeeflow.metrics import SUPPLIERS
from streams.app import Stage
from streams.topics import CLASSIFIED, MATCHED


def build(settings: Settings) -> Stage:
    if settings.network_file is not None:
        index = SupplierIndex.build(read_network(settings.network_file))
        SUPPLIERS.set(len(index))
        return Stage("matching", CLASSIFIED, MATCHED, Matcher(index).apply)
    index = SupplierIndex()
    stage = Stage("matching", CLASSIFIED, MATCHED, Matcher(index).apply)
    feed = SupplierFeed(settings, index, stage.ready)
    stage.tasks.append(feed.run)
    stage.ready.clear()
    return stage
