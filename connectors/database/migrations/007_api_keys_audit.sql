-- API keys (payeeflow.api.keys): the secret is never stored, only its SHA-256; a revoked key
-- stays for the audit trail.
CREATE TABLE api_keys (
    key_id text PRIMARY KEY,
    name text NOT NULL,
    scopes text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'ingest', 'review', 'admin']),
    secret_sha256 bytea NOT NULL,
    rate_limit text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
-- Every write through the API or the key commands: who, what, when.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,   -- a key id, or 'cli' for the operator's own commands
    action text NOT NULL,  -- e.g. apikey.create, apikey.revoke
    target text,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
