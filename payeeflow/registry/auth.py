"""Who may write to the registry stand-in: whoever holds its admin key.

Schema registrations and compatibility changes decide what every producer may write, so they need
the key, sent as Confluent-compatible clients send credentials: HTTP basic authentication (any user
name, the key as the password: confluent-kafka's ``basic.auth.user.info``, ``admin:KEY`` from
``config.registry_conf``) or ``Authorization: Bearer KEY``. Reads (schemas by id, subjects,
versions, lookups, compatibility checks, levels) need nothing: consumers of other teams read them.
The answer to a write without the key is Confluent's: 401 with ``error_code`` 40101.
"""

from __future__ import annotations

import hmac
import os
import secrets
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBasic, HTTPBasicCredentials, HTTPBearer

from payeeflow.config import Settings
from payeeflow.registry.store import RegistryError

BASIC = HTTPBasic(auto_error=False, description="Any user name, the admin key as the password.")
BEARER = HTTPBearer(auto_error=False, description="The admin key.")


def admin_key(settings: Settings) -> str:
    """The key writes need: ``registry_admin_key``, else the local stack's, made (readable by its
    owner alone) on the stand-in's first start, where its local clients read it."""
    if settings.registry_admin_key is not None:
        return settings.registry_admin_key.get_secret_value()
    path = settings.registry_key_file
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as out:
        out.write(key)
    return key


def _credentials(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
    basic: Annotated[HTTPBasicCredentials | None, Security(BASIC)],
) -> str | None:
    """What the request presents as the key: a bearer token, or basic authentication's password."""
    if bearer is not None:
        return bearer.credentials
    return basic.password if basic is not None else None


def require_admin(request: Request, presented: Annotated[str | None, Depends(_credentials)]) -> None:
    """Admit a write only with the admin key."""
    key: bytes = request.app.state.admin_key
    if presented is None or not hmac.compare_digest(presented.encode(), key):
        raise RegistryError(401, 40101, "Unauthorized: registry writes need the admin key")


AdminOnly = Depends(require_admin)
