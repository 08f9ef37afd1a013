"""Structured logging: one JSON object per line, carrying payee ids but never a payee's name.

Call sites pass identifiers through ``extra=`` (``payee_id``, ``batch_id``, ``stage``…); names are
never logged, because an individual's name is personal data.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_FIELDS = (
    "payee_id",
    "batch_id",
    "stage",
    "topic",
    "partition",
    "offset",
    "count",
    "reason",
    "job",
    "job_id",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for field in _FIELDS:
            value = record.__dict__.get(field)
            if value is not None:
                out[field] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class WithoutQueryStrings(logging.Filter):
    """Drops the query string from uvicorn's access log: searches carry names (``?name=…``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def setup_logging(level: str = "INFO", json_logs: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, WithoutQueryStrings) for f in access.filters):
        access.addFilter(WithoutQueryStrings())
    for noisy in ("aiokafka", "faust", "mode", "kafka", "httpx", "httpx2", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
