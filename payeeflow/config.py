"""One typed, frozen settings object; every environment variable is named here.

``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` keep their conventional names; everything else
is ``PAYEEFLOW_<FIELD>``. Helm values and the compose file map one-to-one onto these fields.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from croniter import croniter
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_KAFKA = "127.0.0.1:9092"
LOCAL_DATABASE_URL = "postgresql://payeeflow:payeeflow@127.0.0.1:5433/payeeflow"
LOCAL_REGISTRY = "http://127.0.0.1:8081"
_CRON_NAMES = re.compile(r"JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT", re.I)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYEEFLOW_", frozen=True, extra="ignore")

    kafka_bootstrap_servers: str = Field(
        LOCAL_KAFKA,
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "PAYEEFLOW_KAFKA_BOOTSTRAP_SERVERS"),
        description="Kafka bootstrap servers; unset means the local stack's broker.",
    )
    database_url: SecretStr = Field(
        SecretStr(LOCAL_DATABASE_URL),
        validation_alias=AliasChoices("DATABASE_URL", "PAYEEFLOW_DATABASE_URL"),
        description="PostgreSQL DSN; unset means the local stack's server.",
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        description="How clients talk to the brokers (Kafka's security.protocol), for every client: "
        "workers, sink, ingest, supplier load and feed, replay, API readiness (`payeeflow/brokers.py`).",
    )
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "PLAIN", description="SASL mechanism, with a SASL protocol."
    )
    kafka_sasl_username: str | None = Field(None, description="SASL user name.")
    kafka_sasl_password: SecretStr | None = Field(None, description="SASL password.")
    kafka_ssl_ca_file: Path | None = Field(None, description="CA bundle the brokers' TLS is checked with.")
    kafka_ssl_cert_file: Path | None = Field(None, description="Client certificate, for mutual TLS.")
    kafka_ssl_key_file: Path | None = Field(None, description="Client certificate's key, for mutual TLS.")
    schema_registry_url: str = Field(
        LOCAL_REGISTRY,
        description="Confluent-compatible schema registry (Confluent, Apicurio's ccompat API, Karapace, "
        "Redpanda); unset means the local stack's stand-in, `payeeflow registry`.",
    )
    schema_registry_basic_auth: SecretStr | None = Field(
        None, description="USER:PASSWORD for the registry's HTTP basic authentication."
    )
    schema_registry_ca_file: Path | None = Field(
        None, description="CA bundle the registry's TLS is checked with."
    )
    registry_host: str = Field(
        "127.0.0.1",
        description="Address the registry stand-in (`payeeflow registry`) listens on; its port is the "
        "registry URL's.",
    )
    registry_admin_key: SecretStr | None = Field(
        None,
        description="What the registry stand-in's writes (schema registrations, compatibility changes) "
        "need, as a bearer token or as the password of basic authentication; reads need nothing. Clients "
        "send it (user `admin`) when schema_registry_basic_auth is unset. Unset, the local stack's own: "
        "STACK_DIR/registry.key, made by the stand-in on its first start and sent by clients of the "
        "local registry.",
    )
    topic_prefix: str = Field("", description="Prefix of every topic name (isolates tests, tenants).")
    topic_partitions: int = Field(6, ge=1, description="Partitions of each topic created.")
    topic_replication_factor: int = Field(
        1, ge=1, description="Replicas of each topic created (and of Faust's own topics): 3 on a cluster."
    )
    topic_min_insync_replicas: int = Field(
        1, ge=1, description="Replicas that must have a write before it counts (acks=all): 2 on a cluster."
    )
    kafka_max_message_bytes: int = Field(
        1_048_588,
        ge=65_536,
        description="The brokers' message.max.bytes (Kafka's default): a stage record above it is "
        "dead-lettered, a dead letter above it is sent cut, with the size and SHA-256 of its payload.",
    )
    group_prefix: str = Field("payeeflow", description="Prefix of consumer group ids.")
    stack_dir: Path = Field(Path(".stack"), description="Where the local stack keeps binaries and data.")
    worker_web_port: int = Field(6066, description="Port of a worker's /metrics, /health and /ready.")
    metrics_host: str = Field(
        "127.0.0.1",
        description="Address the workers' web servers (/metrics and probes) and the sink's /metrics listen "
        "on: 0.0.0.0 in a pod or container, for the probes and Prometheus.",
    )
    api_host: str = Field("127.0.0.1", description="Address the API listens on.")
    api_port: int = Field(8000, description="Port of the API.")
    api_workers: int = Field(1, ge=1, description="API processes (uvicorn workers) sharing its port.")
    api_access_log: bool = Field(True, description="A log line per request (off for load tests).")
    api_rate_limit: str = Field(
        "100/second",
        description="Requests a new API key may make, in the notation of the `limits` library "
        "(`100/second`, `5000/minute`); each key keeps the limit it was created with.",
    )
    api_upload_max_bytes: int = Field(
        1 << 30,
        gt=0,
        description="The largest file POST /batches takes, written to disk as it arrives (413 above: "
        "by Content-Length before a byte is read, else when the body passes it).",
    )
    api_uploads_at_once: int = Field(
        4,
        ge=1,
        description="Uploads an API process holds at once, from the first byte received to the end of "
        "their ingest; one more is a 503 with Retry-After.",
    )
    api_upload_disk_bytes: int = Field(
        2 << 30,
        gt=0,
        description="Disk the files of an API process's uploads take together until ingested; an upload "
        "that would pass it is a 503 with Retry-After (at least api_upload_max_bytes, or large files "
        "never fit).",
    )
    file_max_inflated_bytes: int = Field(
        256 << 20,
        gt=0,
        description="The most a workbook (a zip) may inflate to, all its parts together: checked in its "
        "directory before anything is inflated, and counted while it is read.",
    )
    file_max_compression_ratio: float = Field(
        100.0,
        gt=1,
        description="The most a part of a workbook (a zip) may inflate per byte stored, parts under "
        "100 KiB aside (Apache POI's rule and default; Excel's own parts stay under 30).",
    )
    file_max_field_bytes: int = Field(
        256 << 10,
        gt=0,
        description="The longest field of a payee file (a workbook's cell, or a CSV or JSON Lines row "
        "and so any field in it); a file holding a longer one is refused, never read into memory.",
    )
    api_key_cache_seconds: float = Field(
        30.0, gt=0, description="How long the API trusts a key it checked: a revocation takes this long."
    )
    api_unknown_key_seconds: float = Field(
        10.0,
        gt=0,
        description="How long the API remembers a key id the database does not know (or only revoked), "
        "so a made-up key costs one lookup, not one a request.",
    )
    api_unauthenticated_rate_limit: str = Field(
        "60/minute",
        description="Requests without a valid API key (none, unknown, revoked, a wrong secret) one client "
        "address may make to an API process, counted before any key lookup (`limits` notation); over it, "
        "429 with Retry-After. A request whose key proves good is not counted.",
    )
    api_database_connections: int = Field(
        2,
        ge=1,
        description="PostgreSQL connections of an API process for its requests, in each of its two pools "
        "(asyncpg for /payees, psycopg for the rest; exports have 4 of their own). About the database's "
        "cores over the API processes: more only queue in PostgreSQL and lengthen the slowest requests.",
    )
    api_name_search_seconds: float = Field(
        5.0,
        ge=0,
        description="How long an API process keeps a name search's matching ids for its next pages "
        "and repeats: a payee stored since may be missing from that search for this long (0: never kept).",
    )
    api_name_index_seconds: float = Field(
        0.5,
        ge=0,
        description="How often an API process reads the payee names stored or changed, to search names "
        "in its memory (~135 MB a million payees): a payee stored since may be missing from a search "
        "for this long (0: names are searched in the database).",
    )
    log_level: str = Field("INFO", description="Log level.")
    log_json: bool = Field(True, description="Structured JSON logs (false: plain text).")
    stage_batch_size: int = Field(1000, ge=1, description="Records a stage agent takes at once.")
    stage_batch_within: float = Field(0.1, gt=0, description="Seconds a stage waits to fill a batch.")
    sink_batch_size: int = Field(2000, ge=1, description="Records the sink writes per transaction.")
    lag_interval: float = Field(
        15.0,
        gt=0,
        description="Seconds between two readings of every consumer group's lag (by the sink, exported "
        "on its /metrics as payeeflow_consumer_lag and payeeflow_consumer_lag_seconds).",
    )
    gauges_interval: float = Field(
        30.0,
        gt=0,
        description="Seconds between two readings of the database's gauges by the sink (the review "
        "backlog, open batches and their progress, the scheduled jobs' last runs: payeeflow_review_*, "
        "payeeflow_batch*, payeeflow_job_* on its /metrics).",
    )
    supplier_sync_schedule: str = Field(
        "0 2 * * *",
        description="When `payeeflow suppliers sync` runs (cron, UTC): the chart's CronJob and `payeeflow "
        "run`'s scheduler both read it; empty: never. Runs only where a supplier source is configured.",
    )
    retention_schedule: str = Field(
        "30 3 * * *", description="When `payeeflow retention` runs (cron, UTC); empty: never."
    )
    retention_dead_letters_days: int = Field(
        30, ge=1, description="Days an unreplayed dead letter is kept (longer while its batch keeps results)."
    )
    retention_replayed_dead_letters_days: int = Field(
        7, ge=0, description="Days a replayed dead letter is kept after its replay."
    )
    retention_batch_results_days: int = Field(
        30,
        ge=8,
        description="Days a finished batch keeps its per-payee results after its ingest ended (its counts "
        "stay); at least 8, as the sink's open-batch gauges read a week of them.",
    )
    retention_batches_days: int = Field(
        365, ge=8, description="Days a batch's manifest and counts are kept after its ingest ended."
    )
    retention_name_changes_days: int = Field(
        1, ge=1, description="Days the name-change log is kept when the sink did not forget it (in 5 min)."
    )
    retention_job_runs_days: int = Field(
        90, ge=1, description="Days a job run is kept; each job's last run of each outcome stays."
    )
    retention_audit_days: int = Field(365, ge=1, description="Days an audit log entry is kept.")
    retention_uploads_days: int = Field(
        30, ge=1, description="Days an HTTP upload's record is kept after its ingest ended or was abandoned."
    )
    retention_chunk_rows: int = Field(5000, ge=1, description="Rows a retention transaction deletes at most.")
    retention_pause: float = Field(
        0.25,
        ge=0,
        description="Seconds retention waits between two transactions: the pipeline's share of CPU.",
    )
    retention_lock_timeout: float = Field(
        1.0, gt=0, description="Seconds a retention statement waits for a lock (then tried again)."
    )
    retention_statement_timeout: float = Field(
        30.0, gt=0, description="Seconds a retention statement may run (timed out: again, half as big)."
    )
    report_schedule: str = Field(
        "15 0 * * *",
        description="When `payeeflow report --store` runs (cron, UTC), for the UTC day just ended; "
        "empty: never.",
    )
    session_timeout: float = Field(
        10.0,
        ge=6,
        le=300,
        description="Seconds a consumer may miss heartbeats before its partitions move (a crashed "
        "worker's partitions wait this long).",
    )
    group_instance_id: str | None = Field(
        None,
        description="Static group membership (Kafka group.instance.id), unique per process of a "
        "consumer group, e.g. a pod's name: a restart within the session timeout takes its "
        "partitions straight back, without a rebalance.",
    )
    max_name_length: int = Field(300, ge=10, description="Longer payee names are rejected as absurd.")
    shared_data_dir: Path | None = Field(
        None,
        description="The shared data folder (census names, company lists…) that `model train` and "
        "`suppliers generate` read when no --data is given; nothing else reads it.",
    )
    exclusion_keywords_file: Path | None = Field(
        None, description="Keyword CSV (keyword,category) instead of the packaged list; reloaded on change."
    )
    exclusion_allowlist_file: Path | None = Field(
        None, description="Allow-list CSV (payee_id and/or name) that overrides exclusion hits."
    )
    llm_enabled: bool = Field(False, description="Ask an OpenAI-compatible LLM about low-confidence payees.")
    llm_base_url: str = Field(
        "http://127.0.0.1:11434/v1", description="OpenAI-compatible API (Ollama, vLLM…)."
    )
    llm_model: str = Field("llama3.1", description="Model name sent to the LLM API.")
    llm_api_key: SecretStr = Field(SecretStr("not-needed"), description="API key of the LLM API.")
    llm_below: float = Field(
        0.8, ge=0, le=1, description="Ask the LLM when offline confidence is below this."
    )
    llm_timeout: float = Field(5.0, gt=0, description="Seconds per LLM request.")
    llm_retries: int = Field(2, ge=0, description="Retries (with backoff) on 429, 5xx and timeouts.")
    llm_budget: float = Field(8.0, gt=0, description="Seconds after which the offline answer stands.")
    llm_concurrency: int = Field(4, ge=1, description="LLM requests in flight at most.")
    llm_cache_size: int = Field(10_000, ge=0, description="Answers kept (by name).")
    llm_cache_ttl: float = Field(86_400, gt=0, description="Seconds an answer is kept.")
    llm_breaker_failures: int = Field(5, ge=1, description="Consecutive failures that open the circuit.")
    llm_breaker_reset: float = Field(30.0, gt=0, description="Seconds the circuit stays open.")
    llm_rate: float = Field(5.0, gt=0, description="LLM requests a second at most.")
    llm_daily_budget: int = Field(
        5_000,
        ge=0,
        description="Payees asked of the LLM a day (UTC) at most; past it, the offline answer stands.",
    )
    network_file: Path | None = Field(
        None, description="Supplier CSV the match stage loads instead of the suppliers topic."
    )
    supplier_source: Literal["postgres", "bigquery"] = Field(
        "postgres",
        description="Where `payeeflow suppliers sync` reads the supplier master (its --source): a "
        "PostgreSQL table or query, or BigQuery (with bigquery_enabled).",
    )
    supplier_source_url: SecretStr | None = Field(
        None,
        description="PostgreSQL DSN of the supplier master `suppliers sync` reads (a read-only user is "
        "enough); unset, the sync has no PostgreSQL source and is not scheduled.",
    )
    supplier_source_query: str = Field(
        "SELECT supplier_id, name, address, city, state, zip, tax_id, sic_code, accepts_card FROM suppliers",
        description="The query whose rows are the supplier network, by column name (supplier_id and name "
        "required, the others optional, any other ignored); in BigQuery, unqualified tables are looked "
        "up in bigquery_dataset.",
    )
    supplier_sync_max_delete_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="The share of the suppliers on the topic one sync may delete; above it the sync "
        "sends no tombstone and fails (a source emptied by mistake must not empty the network), unless "
        "run with --allow-deletes.",
    )
    bigquery_enabled: bool = Field(
        False, description="Allow `suppliers sync --source bigquery` (Google BigQuery's REST API)."
    )
    bigquery_project: str | None = Field(None, description="Google Cloud project the query job runs in.")
    bigquery_dataset: str | None = Field(
        None, description="Dataset (of bigquery_project) unqualified table names in the query refer to."
    )
    bigquery_location: str | None = Field(
        None, description="Location of the job (US, EU, a region) when not the dataset's default."
    )
    bigquery_credentials_file: Path | None = Field(
        None,
        description="Service-account (or workload identity federation) JSON key; unset, Google's "
        "Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, GKE workload identity).",
    )
    bigquery_api_url: str = Field(
        "https://bigquery.googleapis.com/bigquery/v2", description="BigQuery's REST API base URL."
    )
    bigquery_page_rows: int = Field(10_000, ge=1, description="Rows asked of BigQuery per page.")
    bigquery_timeout: float = Field(60.0, gt=0, description="Seconds per BigQuery HTTP request.")
    bigquery_retries: int = Field(3, ge=0, description="Retries (with backoff) on 429, 5xx and timeouts.")
    providers_process: bool = Field(
        False,
        description="Advance the slow providers' jobs in their own process "
        "(`payeeflow worker --stage providers`, /metrics on `providers_web_port`), not in the "
        "enrichment worker: its requests and answers then cost the stages nothing.",
    )
    providers_web_port: int = Field(6068, description="Port of the providers process's /metrics and probes.")
    card_network_enabled: bool = Field(
        False,
        description="Search the card network (Mastercard's bulk supplier search) for businesses the "
        "supplier network does not know to take cards; their answer comes as a new version.",
    )
    card_network_url: str = Field(
        "https://api.mastercard.com/track/search", description="The bulk-search API's base URL."
    )
    card_network_consumer_key: SecretStr = Field(SecretStr(""), description="OAuth 1.0a consumer key.")
    card_network_signing_key_file: Path | None = Field(
        None, description="PEM file of the RSA key requests are signed with (OAuth 1.0a, RSA-SHA256)."
    )
    card_network_batch_size: int = Field(100, ge=1, le=100, description="Payees a bulk search holds.")
    card_network_batch_wait: float = Field(
        2.0, gt=0, description="Seconds a partly filled bulk search waits for more payees."
    )
    card_network_poll_seconds: float = Field(
        5.0, gt=0, description="Seconds between a job's first polls (doubled after each PENDING)."
    )
    card_network_poll_max_seconds: float = Field(
        60.0, gt=0, description="Seconds between polls of a job that stays PENDING, at most."
    )
    card_network_job_timeout: float = Field(
        1500.0, gt=0, description="Seconds after which a pending job is given up (the old system's 25 min)."
    )
    card_network_timeout: float = Field(10.0, gt=0, description="Seconds per HTTP request.")
    card_network_retries: int = Field(3, ge=0, description="Retries (with backoff) on 429, 5xx and timeouts.")
    card_network_concurrency: int = Field(
        4, ge=1, description="Jobs advanced at a time (each one request: a submit, a poll or its results)."
    )
    card_network_daily_budget: int = Field(
        10_000, ge=0, description="Payees searched a day (UTC) at most; past it, the offline answer stands."
    )
    card_network_cache_size: int = Field(50_000, ge=0, description="Answers kept, by normalised name.")
    card_network_cache_ttl: float = Field(7 * 86_400, gt=0, description="Seconds an answer is kept.")
    card_network_breaker_failures: int = Field(
        5, ge=1, description="Consecutive failures that open the card network's circuit."
    )
    card_network_breaker_reset: float = Field(60.0, gt=0, description="Seconds its circuit stays open.")
    card_network_rate: float = Field(20.0, gt=0, description="Card-network requests a second at most.")
    address_validation_enabled: bool = Field(
        False,
        description="Validate addresses with Google's Address Validation API (USPS CASS); the answer "
        "comes as a new version of the payee.",
    )
    address_validation_url: str = Field(
        "https://addressvalidation.googleapis.com", description="The Address Validation API's base URL."
    )
    address_validation_api_key: SecretStr = Field(SecretStr(""), description="Google API key.")
    address_validation_timeout: float = Field(5.0, gt=0, description="Seconds per HTTP request.")
    address_validation_retries: int = Field(
        2, ge=0, description="Retries (with backoff) on 429, 5xx and timeouts."
    )
    address_validation_concurrency: int = Field(8, ge=1, description="Addresses in flight at most.")
    address_validation_rate: float = Field(
        20.0, gt=0, description="Requests a second at most (Google's default quota is per minute)."
    )
    address_validation_daily_budget: int = Field(
        20_000,
        ge=0,
        description="Addresses validated a day (UTC) at most; past it, the offline verdict stands.",
    )
    address_validation_cache_size: int = Field(50_000, ge=0, description="Answers kept, by address.")
    address_validation_cache_ttl: float = Field(30 * 86_400, gt=0, description="Seconds an answer is kept.")
    address_validation_breaker_failures: int = Field(
        5, ge=1, description="Consecutive failures that open the address provider's circuit."
    )
    address_validation_breaker_reset: float = Field(60.0, gt=0, description="Seconds its circuit stays open.")

    @field_validator("supplier_sync_schedule", "retention_schedule", "report_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        """Five fields or a macro (``@daily``), as a Kubernetes CronJob takes it, so the chart and
        the local scheduler read one expression alike: croniter's seconds field, ``L``, ``W`` and
        ``#`` are refused (month and weekday names stay)."""
        value = value.strip()
        plain = len(value.split()) == 5 and not re.search(r"[A-Za-z#]", _CRON_NAMES.sub("", value))
        if value and not (croniter.is_valid(value) and (value.startswith("@") or plain)):
            raise ValueError(f"not a five-field cron expression: {value!r}")
        return value

    @property
    def kafka_is_local(self) -> bool:
        """True when no broker was configured, so the local stack provides one."""
        return "kafka_bootstrap_servers" not in self.model_fields_set

    @property
    def database_is_local(self) -> bool:
        """True when no database was configured, so the local stack provides one."""
        return "database_url" not in self.model_fields_set

    @property
    def registry_is_local(self) -> bool:
        """True when no registry was configured, so the local stack serves its stand-in."""
        return "schema_registry_url" not in self.model_fields_set

    @property
    def registry_address(self) -> tuple[str, int]:
        """(host, port) of the registry URL: what is checked (the stand-in listens on its port)."""
        url = urlsplit(self.schema_registry_url)
        return url.hostname or "127.0.0.1", url.port or 8081

    @property
    def registry_key_file(self) -> Path:
        """Where the local stack keeps the registry stand-in's admin key when none is set."""
        return self.stack_dir / "registry.key"

    @property
    def dsn(self) -> str:
        return self.database_url.get_secret_value()

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def group(self, name: str) -> str:
        return f"{self.group_prefix}.{self.topic_prefix}{name}"


def registry_conf(settings: Settings) -> dict[str, str]:
    """The schema registry client's settings beyond its URL (confluent-kafka's names): the basic
    authentication set, else the stand-in's admin key (``registry_admin_key``, or the local stack's
    when the registry is the local one)."""
    conf = {}
    if settings.schema_registry_basic_auth is not None:
        conf["basic.auth.user.info"] = settings.schema_registry_basic_auth.get_secret_value()
    elif settings.registry_admin_key is not None:
        conf["basic.auth.user.info"] = f"admin:{settings.registry_admin_key.get_secret_value()}"
    elif settings.registry_is_local and (key := _local_registry_key(settings.registry_key_file)) is not None:
        conf["basic.auth.user.info"] = f"admin:{key}"
    if settings.schema_registry_ca_file is not None:
        conf["ssl.ca.location"] = str(settings.schema_registry_ca_file)
    return conf


_LOCAL_REGISTRY_KEYS: dict[Path, str] = {}


def _local_registry_key(path: Path) -> str | None:
    """The local stack's registry key, read once it exists (codecs ask for it on every record)."""
    if (key := _LOCAL_REGISTRY_KEYS.get(path)) is None:
        if not path.is_file():
            return None
        key = _LOCAL_REGISTRY_KEYS[path] = path.read_text().strip()
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
