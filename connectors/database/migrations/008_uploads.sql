-- Files uploaded over HTTP (POST /batches): known from the moment they are received, so a batch
-- reads "receiving" (or "failed", with why) before its first payee is stored.
CREATE TABLE uploads (
    batch_id text PRIMARY KEY,
    key_id text NOT NULL,
    source text NOT NULL,
    bytes bigint NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    ingested_at timestamptz,
    error text
);
