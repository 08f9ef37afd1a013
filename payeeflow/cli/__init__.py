"""The ``payeeflow`` command: one entry point for the stack, the services and the file jobs, a
module a command group (``services``, ``files``, ``data``, ``upkeep``, ``reports``, ``admin``;
``parser`` puts them together)."""

from __future__ import annotations

import os
import sys

from pydantic import ValidationError

from payeeflow.config import get_settings
from payeeflow.errors import PayeeflowError
from payeeflow.logs import setup_logging


def main(argv: list[str] | None = None) -> int:
    from payeeflow.cli.parser import build_parser

    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as exc:  # a setting from the environment: say which, without a traceback
        for error in exc.errors():
            name = "PAYEEFLOW_" + "_".join(str(part) for part in error["loc"]).upper()
            print(f"payeeflow: error: {name}: {error['msg']}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.log_json)
    try:
        return int(args.handler(args, settings))
    except PayeeflowError as exc:
        print(f"payeeflow: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader (head, less) closed early: nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
