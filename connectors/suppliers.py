"""``payeeflow suppliers load``: a network CSV into the compacted ``suppliers`` topic.

Every send is checked (``Deliveries``): a supplier the broker refuses fails the load loudly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from tqdm import tqdm

from payeeflow.agents.matching.logic import read_network
from payeeflow.brokers import client_options
from payeeflow.config import Settings
from payeeflow.schemas import codec_for
from payeeflow.streams.delivery import Deliveries
from payeeflow.streams.topics import SUPPLIERS


async def load_suppliers(settings: Settings, path: Path, progress: bool = True) -> int:
    suppliers = read_network(path)
    codec = codec_for(SUPPLIERS, settings)
    producer = AIOKafkaProducer(
        **client_options(settings),
        acks="all",
        linger_ms=20,
        max_batch_size=512 * 1024,
        enable_idempotence=True,
    )
    await producer.start()
    now = datetime.now(UTC)
    deliveries = Deliveries()
    count = 0
    try:
        for supplier in tqdm(suppliers, desc="suppliers", unit=" rows", disable=not progress):
            record = {
                "supplier_id": supplier.supplier_id,
                "name": supplier.name,
                "address": None,
                "city": supplier.city,
                "state": supplier.state,
                "zip": supplier.zip,
                "tax_id": supplier.tax_id,
                "sic_code": supplier.sic_code,
                "accepts_card": supplier.accepts_card,
                "updated_at": now,
            }
            future = await producer.send(
                settings.topic(SUPPLIERS), codec.encode(record), key=supplier.supplier_id.encode()
            )
            await deliveries.add(future, f"supplier {supplier.supplier_id}")
            count += 1
        await producer.flush()
        await deliveries.check()
    finally:
        await producer.stop()
    return count


async def delete_supplier(settings: Settings, supplier_id: str) -> None:
    """A tombstone: the supplier leaves every match worker's index."""
    producer = AIOKafkaProducer(**client_options(settings), acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(settings.topic(SUPPLIERS), None, key=supplier_id.encode())
    finally:
        await producer.stop()
