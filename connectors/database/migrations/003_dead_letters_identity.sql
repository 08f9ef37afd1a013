-- A failed message's (topic, partition, offset) repeats when a topic or cluster is rebuilt and the
-- same file ingested again; a replay of one dead letter also repeats its failed_at, a new failure
-- does not. So a dead letter is the same one only when all four agree.
ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_topic_partition_offset_key;
ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_identity UNIQUE (topic, partition, "offset", failed_at);
