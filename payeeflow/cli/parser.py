"""The ``payeeflow`` command line: every command group registers its subcommands here."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from payeeflow.cli import admin, data, files, reports, services, upkeep

Add = Callable[[str, Callable[..., int], str], argparse.ArgumentParser]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="payeeflow",
        description="Screen, classify, match and enrich payees as event streams on Kafka.",
        epilog="Settings come from environment variables: see docs/settings.md (KAFKA_BOOTSTRAP_SERVERS, "
        "DATABASE_URL, PAYEEFLOW_*).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, handler: Callable[..., int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    for group in (services, files, data, upkeep, reports, admin):
        group.register(add)
    return parser
