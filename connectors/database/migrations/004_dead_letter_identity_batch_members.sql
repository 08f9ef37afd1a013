-- A dead letter is one per failed message, however often it is replayed: the message's Kafka
-- cluster, topic, partition and offset, and its batch (ingest rejects are "topic" = file name,
-- "offset" = line, so the same file ingested twice gives two batches' rejects).
ALTER TABLE dead_letters ADD COLUMN cluster_id text NOT NULL DEFAULT '';
ALTER TABLE dead_letters ADD COLUMN replayed_at timestamptz;
DELETE FROM dead_letters d USING dead_letters e
 WHERE d.cluster_id = e.cluster_id AND d.topic = e.topic AND d.partition = e.partition
   AND d."offset" = e."offset" AND coalesce(d.batch_id, '') = coalesce(e.batch_id, '') AND d.id > e.id;
ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_identity;
CREATE UNIQUE INDEX dead_letters_message
    ON dead_letters (cluster_id, topic, partition, "offset", (coalesce(batch_id, '')));
CREATE INDEX dead_letters_reason_idx ON dead_letters (reason, failed_at);

-- Every batch that carried a payee keeps it, with the payee's one outcome in that batch; batch
-- progress is counted from here, so a later batch carrying the same payee changes nothing of it.
CREATE TABLE batch_payees (
    batch_id    text NOT NULL,
    payee_id    text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('stored', 'dead_letter')),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (batch_id, payee_id)
);
CREATE INDEX batch_payees_payee_idx ON batch_payees (payee_id);
INSERT INTO batch_payees (batch_id, payee_id, outcome)
     SELECT batch_id, payee_id, 'stored' FROM payees;
INSERT INTO batch_payees (batch_id, payee_id, outcome)
     SELECT DISTINCT batch_id, payee_id, 'dead_letter' FROM dead_letters
      WHERE batch_id IS NOT NULL AND payee_id IS NOT NULL AND length(payee_id) <= 200
         ON CONFLICT DO NOTHING;
DROP TABLE batch_progress;
