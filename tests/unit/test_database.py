"""The database settings as each driver reads them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from payeeflow.connectors.database.postgres import asyncpg_dsn


@pytest.mark.parametrize(
    "dsn",
    [
        "postgresql://pay%40er:p%26ss%3Dword@db.example:5433/payees?sslmode=verify-full&sslrootcert=/ca.pem",
        "host=db.example port=5433 user=pay@er password='p&ss=word' dbname=payees sslmode=verify-full"
        " sslrootcert=/ca.pem",
    ],
)
def test_asyncpg_gets_every_parameter_of_either_form(dsn: str) -> None:
    url = urlsplit(asyncpg_dsn(dsn))
    assert (url.scheme, url.netloc, url.path) == ("postgresql", "", "")
    assert {key: value for key, [value] in parse_qs(url.query).items()} == {
        "host": "db.example",
        "port": "5433",
        "user": "pay@er",
        "password": "p&ss=word",
        "dbname": "payees",
        "sslmode": "verify-full",
        "sslrootcert": "/ca.pem",
    }
