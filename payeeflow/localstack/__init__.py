"""The local stack: a single-node Kafka (KRaft) and a PostgreSQL server, installed and started here.

``payeeflow stack up`` installs what is missing (once), starts what is not running, creates the
topics and migrates the database. Each service is skipped when its environment variable
(``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL``) points at an existing one.
"""
