-- Reviewers' corrections in force, one per payee (the compacted topic payees.corrections, written
-- by the sink); a withdrawn one is deleted. The audit log keeps every correction made.
CREATE TABLE corrections (
    payee_id text PRIMARY KEY,
    name text NOT NULL,
    name_key text NOT NULL,
    payee_type text CHECK (payee_type IN ('INDIVIDUAL', 'BUSINESS', 'GOVERNMENT')),
    supplier_id text,
    supplier_name text,
    not_supplier boolean NOT NULL DEFAULT false,
    note text NOT NULL DEFAULT '',
    reviewer text NOT NULL,
    corrected_at timestamptz NOT NULL
);
CREATE INDEX corrections_name_key_idx ON corrections (name_key);
CREATE INDEX corrections_at_idx ON corrections (corrected_at, payee_id);
