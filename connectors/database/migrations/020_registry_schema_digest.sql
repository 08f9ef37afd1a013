-- One id per schema, found by a digest of its normalized text: a B-tree entry holds at most
-- 2,704 bytes, and payees.enriched's normalized schema has outgrown that (its match candidates'
-- probability and evidence). convert_to is only STABLE (it reads the database's encoding, which
-- never changes for a database), so the digest is wrapped as IMMUTABLE to be a stored column.
CREATE FUNCTION registry_digest(normalized text) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN sha256(convert_to(normalized, 'UTF8'));
ALTER TABLE registry_schemas
    ADD COLUMN digest bytea GENERATED ALWAYS AS (registry_digest(normalized)) STORED;
ALTER TABLE registry_schemas ADD CONSTRAINT registry_schemas_digest_key UNIQUE (digest);
ALTER TABLE registry_schemas DROP CONSTRAINT registry_schemas_normalized_key;
