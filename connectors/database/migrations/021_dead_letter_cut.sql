-- A dead letter too large for the broker is sent cut: its payload's first bytes, with the size and
-- SHA-256 of the whole original (the message at topic/partition/offset holds it). Null when whole.
ALTER TABLE dead_letters ADD COLUMN payload_size bigint;
ALTER TABLE dead_letters ADD COLUMN payload_sha256 text;
