"""payeeflow: screens, classifies, matches and enriches payees as event streams on Kafka.

This package holds what every component shares: settings, logging, errors and the CLI.
The components themselves live in the top-level packages the design card names:
``streams`` (Faust app), ``agents`` (one package per stage), ``schemas`` (Avro),
``connectors`` (sources and the PostgreSQL sink) and ``api`` (FastAPI reader).
"""

__version__ = "0.1.0"
