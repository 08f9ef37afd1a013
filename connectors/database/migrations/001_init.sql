-- payees: one row per payee, written only by the sink, guarded by record version.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE payees (
    payee_id            text PRIMARY KEY,
    batch_id            text NOT NULL,
    source              text NOT NULL,
    version             bigint NOT NULL,
    source_ts           timestamptz NOT NULL,
    name                text NOT NULL,
    address             text,
    city                text,
    state               text,
    zip                 text,
    extra               jsonb NOT NULL DEFAULT '{}',
    excluded            boolean NOT NULL,
    exclusion_keyword   text,
    exclusion_category  text,
    payee_type          text NOT NULL,
    confidence          double precision NOT NULL,
    reason              text NOT NULL,
    sic_code            text,
    sic_description     text,
    supplier_id         text,
    supplier_name       text,
    match_score         double precision,
    match_type          text NOT NULL,
    address_line        text,
    address_city        text,
    address_state       text,
    address_zip         text,
    address_status      text,
    card_acceptance     text,
    payment_method      text,
    providers_pending   text[] NOT NULL DEFAULT '{}',
    stored_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX payees_batch_idx ON payees (batch_id);
CREATE INDEX payees_type_idx ON payees (payee_type);
CREATE INDEX payees_name_trgm_idx ON payees USING gin (name gin_trgm_ops);

-- dead letters, unique by the message that failed, so a replay adds nothing.
CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL,
    partition   integer NOT NULL,
    "offset"    bigint NOT NULL,
    stage       text NOT NULL,
    reason      text NOT NULL,
    error       text NOT NULL,
    payee_id    text,
    batch_id    text,
    key         bytea,
    payload     bytea,
    failed_at   timestamptz NOT NULL,
    UNIQUE (topic, partition, "offset")
);
CREATE INDEX dead_letters_batch_idx ON dead_letters (batch_id);

CREATE TABLE batches (
    batch_id    text PRIMARY KEY,
    source      text NOT NULL,
    total       bigint NOT NULL,
    rejected    bigint NOT NULL DEFAULT 0,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL
);

-- per-batch progress, counted from the rows each upsert really inserted or updated.
CREATE TABLE batch_progress (
    batch_id    text PRIMARY KEY,
    stored      bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- the sink's Kafka positions, written in the same transaction as the rows: exactly once.
CREATE TABLE sink_offsets (
    consumer_group  text NOT NULL,
    topic           text NOT NULL,
    partition       integer NOT NULL,
    next_offset     bigint NOT NULL,
    PRIMARY KEY (consumer_group, topic, partition)
);
