"""Prometheus metrics shared by the workers, the sink and the API (one registry per process)."""

from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

RECORDS = Counter("payeeflow_records_total", "Records handled, by stage and outcome", ["stage", "outcome"])
BATCH_SECONDS = Histogram(
    "payeeflow_batch_seconds",
    "Time to process one batch, by stage",
    ["stage"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
DEAD_LETTERS = Counter(
    "payeeflow_dead_letters_total",
    "Dead letters sent, by the stage that failed and the reason's tag (a bounded set)",
    ["stage", "reason"],
)
SUPPLIERS = Gauge("payeeflow_supplier_index_size", "Suppliers held in this worker's index")
INDEX_ROWS = Gauge(
    "payeeflow_supplier_index_rows",
    "Rows in this worker's supplier index, retired ones (changed or deleted suppliers) included; "
    "a restart rebuilds the index from the compacted topic without them",
)
SINK_LAG_SECONDS = Histogram(
    "payeeflow_sink_latency_seconds",
    "Source timestamp to database commit, per record",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
STORED = Counter(
    "payeeflow_stored_payees_total",
    "Payee versions the sink committed, by payee type and match type (the mix a dashboard shows)",
    ["payee_type", "match_type"],
)
DB_RETRIES = Counter(
    "payeeflow_database_retries_total", "Flushes retried because the database was unavailable or failing"
)
CORRECTIONS = Gauge("payeeflow_corrections", "Reviewers' corrections this worker's stage applies")

# Every paid provider (llm, card_network, address_validation), labelled by provider.
PROVIDER_CALLS = Counter(
    "payeeflow_provider_calls_total",
    "Paid provider requests, by provider, call and outcome (ok, an HTTP status, network_error, malformed)",
    ["provider", "call", "outcome"],
)
PROVIDER_SECONDS = Histogram(
    "payeeflow_provider_seconds",
    "Paid provider request latency, by provider and call",
    ["provider", "call"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
PROVIDER_SPENT = Counter(
    "payeeflow_provider_spend_total",
    "Units of paid provider budget spent (payees asked), by provider",
    ["provider"],
)
PROVIDER_REFUSED = Counter(
    "payeeflow_provider_skipped_total",
    "Payees left with the offline answer without asking, by provider and why (circuit_open, over_budget)",
    ["provider", "reason"],
)
PROVIDER_BREAKER = Gauge(
    "payeeflow_provider_breaker_open", "1 while a provider's circuit is open", ["provider"]
)

# Read from Kafka by the sink's lag reader (streams/lag.py) for every payeeflow consumer group.
CONSUMER_LAG = Gauge(
    "payeeflow_consumer_lag",
    "Messages a consumer group has yet to process: log-end offset minus its committed offset, "
    "by group, topic and partition",
    ["group", "topic", "partition"],
)
CONSUMER_LAG_SECONDS = Gauge(
    "payeeflow_consumer_lag_seconds",
    "Age of the oldest message a consumer group has yet to process on a topic (the one at its committed "
    "offset on the partition most behind), by group and topic; 0 when caught up",
    ["group", "topic"],
)

# Read from PostgreSQL by the sink's database gauges (connectors/database/gauges.py).
REVIEW_BACKLOG = Gauge("payeeflow_review_backlog", "Stored payees a clerk should review (needs_review)")
REVIEW_BACKLOG_SECONDS = Gauge(
    "payeeflow_review_backlog_oldest_seconds",
    "Age of the oldest payee waiting for review, since its current answer was stored; 0 with none",
)
BATCHES_OPEN = Gauge(
    "payeeflow_batches_open",
    "Batches whose manifest came in the last 7 days with payees neither stored nor dead-lettered yet",
)
BATCH_STALLED_SECONDS = Gauge(
    "payeeflow_batch_stalled_seconds",
    "Seconds since the open batch that progressed least recently made progress (a payee of it stored "
    "or dead-lettered, or its manifest); 0 with no batch open",
)
JOB_LAST_SUCCESS = Gauge(
    "payeeflow_job_last_success_timestamp_seconds",
    "When the scheduled job's last successful run ended (job_runs), by job",
    ["scheduled_job"],
)
JOB_LAST_FAILURE = Gauge(
    "payeeflow_job_last_failure_timestamp_seconds",
    "When the scheduled job's last failed run ended (job_runs), by job",
    ["scheduled_job"],
)
JOB_PERIOD = Gauge(
    "payeeflow_job_period_seconds",
    "Seconds between two runs of the scheduled job by its *_SCHEDULE setting; only for jobs scheduled",
    ["scheduled_job"],
)
JOB_LAST_ITEMS = Gauge(
    "payeeflow_job_last_run_items",
    "What the scheduled job's last successful run counted, by job and item (retention: rows deleted "
    "per table; sync: suppliers read, upserted, deleted; report: the day's batches, payees…)",
    ["scheduled_job", "item"],
)


def export_series(
    gauge: Gauge, values: Mapping[tuple[str, ...], float], series: set[tuple[str, ...]]
) -> None:
    """Sets a labelled gauge's series of this round and removes those of the last round (``series``,
    updated in place) not in it: a group, partition or job gone leaves no stale series behind."""
    for labels in series - values.keys():
        gauge.remove(*labels)
    for labels, value in values.items():
        gauge.labels(*labels).set(value)
    series.clear()
    series.update(values)
