-- Stored offsets only mean something for the Kafka cluster that issued them: a new cluster (or a
-- local stack rebuilt) starts its topics at 0 again. Rows stored before this migration have no
-- cluster and are ignored from now on.
ALTER TABLE sink_offsets ADD COLUMN cluster_id text NOT NULL DEFAULT '';
ALTER TABLE sink_offsets DROP CONSTRAINT sink_offsets_pkey;
ALTER TABLE sink_offsets ADD PRIMARY KEY (consumer_group, cluster_id, topic, partition);
