"""The PostgreSQL sink: final records, dead letters, batch manifests and corrections into their tables.

Contract (as in quix-streams): ``add_*()`` per record, ``flush()`` per checkpoint in one
transaction. The flush also stores the next Kafka offset of every partition it consumed, with the
cluster's id, in the same transaction, and the runner seeks to this cluster's stored offsets when
partitions are assigned ("storing offsets outside Kafka"): each message is written exactly once.
Kafka offsets are committed only after the database commit, for lag monitoring.

Two kinds of database failure, told apart by SQLSTATE class, never by message text:

- **data** (22 data exception, 23 integrity, 54 limit exceeded): one row the database refuses
  must not stop its partition. The failed part of the flush is halved inside savepoints until each
  refused row stands alone; those rows become dead letters (stage ``sink``, reason
  ``db_<SQLSTATE>``, the original message bytes), the rest is written, and the flush commits.
  A dead letter the table itself refuses (an index row too large for its multi-byte topic…) is
  stored escaped: its text as ASCII escapes, cut to bounds no index can refuse. Refused even so,
  the flush fails as an outage does: nothing commits and it is retried, never skipped.
- **anything else** (connection lost, server restarting…): the same flush is retried, with
  exponential backoff and jitter and a fresh connection, until the database is back. The process
  never exits for an outage.

Upserts are keyed by ``payee_id`` and guarded by ``version`` (an older record never overwrites a
newer one, a re-sent one changes nothing; of one version, the one with fewer providers pending
wins: a slow provider's answer); dead letters are unique by the message that failed
(cluster, topic, partition, offset, batch); each batch keeps one outcome per payee it carried
(``batch_payees``). So neither a crash, a replay nor a re-sent record duplicates anything.
"""
