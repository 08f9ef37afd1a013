-- The local stack's schema registry (payeeflow.registry): the part of the Confluent Schema Registry
-- REST API that clients use, kept here. Ids are global and stay below 2^31 (Java reads them signed).
CREATE TABLE registry_schemas (
    id serial PRIMARY KEY,
    schema_type text NOT NULL DEFAULT 'AVRO',
    normalized text NOT NULL UNIQUE,  -- the schema's JSON with sorted keys: one id per schema
    schema text NOT NULL              -- as first registered
);
CREATE TABLE registry_versions (
    subject text NOT NULL,
    version integer NOT NULL,
    schema_id integer NOT NULL REFERENCES registry_schemas (id),
    registered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, version),
    UNIQUE (subject, schema_id)
);
-- Compatibility levels: subject '' is the global default.
CREATE TABLE registry_config (
    subject text PRIMARY KEY,
    compatibility text NOT NULL
);
INSERT INTO registry_config (subject, compatibility) VALUES ('', 'BACKWARD');
