"""The bounds a payee record's fields keep on every topic: what the schema, the sink's table and
its indexes can all hold. Validation (``agents/validation.py``) refuses a record past them where it
enters; dead letters (``streams/deadletters.py``) cut their ids to them."""

# An id is a primary-key and index entry: short, printable, no separators that break CSV exports.
MAX_ID_LENGTH = 200
MAX_FIELD_LENGTH = 1000
MAX_EXTRA_CHARS = 64 * 1024
# Versions are epoch milliseconds or an ERP's sequence; above 2^53 JSON readers lose precision and
# a record at 2^63-1 could never be superseded.
MAX_VERSION = 2**53
