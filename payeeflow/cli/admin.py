"""Commands that administer the contracts: API keys, the topic schemas, and the generated
documents (AsyncAPI, the settings page)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from payeeflow.config import Settings
from payeeflow.errors import InputError

if TYPE_CHECKING:
    from payeeflow.cli.parser import Add


def cmd_apikey(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.api import keys
    from payeeflow.connectors.database.postgres import migrate, wait_for_database

    wait_for_database(settings.dsn, timeout=10)
    migrate(settings.dsn)
    if args.action == "create":
        try:
            key, text = keys.create(
                settings.dsn, args.name, args.scope, args.rate_limit or settings.api_rate_limit
            )
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        print(f"created key {key.key_id} ({key.name}; {', '.join(key.scopes)}; {key.rate_limit})")
        print("send it as the X-API-Key header; it is shown only now:")
        print(text)
        return 0
    if args.action == "list":
        print(f"{'key id':14} {'scopes':28} {'rate limit':14} {'created':17} {'revoked':17} name")
        for k in keys.list_keys(settings.dsn):
            revoked = f"{k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "-"
            created = f"{k.created_at:%Y-%m-%d %H:%M}" if k.created_at else "-"
            print(
                f"{k.key_id:14} {','.join(k.scopes):28} {k.rate_limit:14} {created:17} {revoked:17} {k.name}"
            )
        return 0
    if not keys.revoke(settings.dsn, args.key_id):
        raise InputError(f"no live key {args.key_id!r} (see payeeflow apikey list)")
    print(f"revoked {args.key_id}; the API refuses it within {settings.api_key_cache_seconds:.0f}s")
    return 0


def _generated(args: argparse.Namespace, text: str, what: str) -> int:
    """Write a generated document to ``-o`` (or stdout); with ``--check``, fail when it is stale."""
    if args.check:
        if not args.output or not args.output.exists() or args.output.read_text() != text:
            print(
                f"{args.output} is not up to date: run `payeeflow {args.command} -o {args.output}`",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} is up to date")
    elif args.output:
        args.output.write_text(text)
        print(f"{what} -> {args.output}")
    else:
        print(text, end="")
    return 0


def cmd_asyncapi(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.asyncapi import render

    return _generated(args, render(settings), "AsyncAPI document")


def cmd_settings(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.settings_doc import render

    return _generated(args, render(), "settings page")


def cmd_schemas(args: argparse.Namespace, settings: Settings) -> int:
    from payeeflow.schemas.history import check, release

    if args.action == "release":
        for path in release():
            print(f"released {path}")
        return 0
    found = check()
    for why in found:
        print(why, file=sys.stderr)
    if found:
        return 1
    print("every topic's schema reads all its released versions (BACKWARD_TRANSITIVE)")
    return 0


def register(add: Add) -> None:
    """apikey, asyncapi, settings, schemas."""
    p = add("apikey", cmd_apikey, "API keys: create one (shown once), list them, revoke one.")
    ksub = p.add_subparsers(dest="action", required=True)
    create = ksub.add_parser("create", help="a new key with its scopes")
    create.add_argument("--name", required=True, help="who or what uses it, e.g. 'ERP nightly upload'")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=("read", "ingest", "review", "admin"),
        help="repeatable: read (lookups, search, batches), ingest (uploads), review (corrections), "
        "admin (everything)",
    )
    create.add_argument("--rate-limit", help="e.g. 100/second, 5000/minute (default: api_rate_limit)")
    ksub.add_parser("list", help="every key, revoked ones too (never the secrets)")
    revoke = ksub.add_parser("revoke", help="stop a key")
    revoke.add_argument("key_id")

    for name, command, text in (
        ("asyncapi", cmd_asyncapi, "The AsyncAPI 3.0 document of every topic (to stdout or -o FILE)."),
        ("settings", cmd_settings, "The settings page, generated from Settings (to stdout or -o FILE)."),
    ):
        p = add(name, command, text)
        p.add_argument("-o", "--output", type=Path)
        p.add_argument("--check", action="store_true", help="fail when OUTPUT differs from what it would be")

    p = add(
        "schemas", cmd_schemas, "Check the topic schemas against their released versions, or release them."
    )
    schemas = p.add_subparsers(dest="action", required=True)
    schemas.add_parser("check", help="fail, naming the field, when a schema cannot read a released version")
    schemas.add_parser("release", help="record each changed schema as its next version in schemas/history")
