-- Every payee name stored or changed, for the API processes that search names in memory
-- (api/names.py): each loads the names once, then reads what was written since. A change is
-- read once its transaction is below every snapshot's xmin, so one committed late is never
-- skipped; the sink deletes what all of them have read (connectors/namechanges.py).
CREATE TABLE payee_name_changes (
    seq bigint GENERATED ALWAYS AS IDENTITY,  -- a payee's later change comes later (no index: read by xid)
    xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    payee_id text NOT NULL,
    name text NOT NULL
);
CREATE INDEX payee_name_changes_xid_idx ON payee_name_changes (xid);

-- New payees come in statements of thousands (the sink's upsert): one insert a statement.
CREATE FUNCTION payee_names_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payee_name_changes (payee_id, name) SELECT payee_id, name FROM stored;
    RETURN NULL;
END
$$;
CREATE TRIGGER payee_names_stored AFTER INSERT ON payees REFERENCING NEW TABLE AS stored
    FOR EACH STATEMENT EXECUTE FUNCTION payee_names_stored();

-- A rename is rare, and the condition is checked without calling the function for the rest.
CREATE FUNCTION payee_name_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO payee_name_changes (payee_id, name) VALUES (NEW.payee_id, NEW.name);
    RETURN NULL;
END
$$;
CREATE TRIGGER payee_name_changed AFTER UPDATE OF name ON payees
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION payee_name_changed();
