"""``payeeflow suppliers sync``: the supplier master (a PostgreSQL table or query, or BigQuery)
made the compacted ``suppliers`` topic's content, by sending only what differs.

A run reads the topic's current state (each key's latest value, by content: ``records``), streams
the source row by row against it (``diff``), sends an upsert for each new or changed supplier and,
once the source is read to its end, a tombstone for each supplier the source no longer has, unless
that would delete more than the allowed share of the network. Everything it sends is checked.

Errors (``errors``), under the project's tree::

    PayeeflowError
    ├── InputError
    │   └── TooManyDeletes   the guard: a source that lost a large share of the network
    ├── SourceError          the source could not be read (connection, query, HTTP)
    └── TopicError           the suppliers topic could not be read (the broker failed or went silent)

A send the broker does not take (refused, or not delivered within librdkafka's
``message.timeout.ms`` while the broker is away) fails the run with the project's
``DeliveryError``.
"""
