"""Who is signed in: the one interface every workbench page uses.

The sign-in layer (sessions, passwords, passkeys) puts the signed-in :class:`Account` into the
ASGI scope under :data:`SCOPE_KEY` before any handler runs; pages read it with
:func:`current_account` and protect themselves with :func:`require_roles`. Nothing else in the
workbench knows how a person signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

SCOPE_KEY = "workbench_account"

# What a person may do in the workbench. The signing roles are the log's (DESIGN section 4);
# ``staff`` may prepare drafts that a holder of a signing role signs; ``regulator`` reads
# everything in its jurisdiction and downloads reports.
ROLES = frozenset({"registrar", "org_admin", "fundraiser", "implementer", "overseer", "regulator", "staff"})


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    display_name: str
    organisation: str | None  # unified social credit code; None for the registrar and regulators
    roles: frozenset[str]
    # ids (hex SHA-256 of the raw public key) of the signing keys this person made in a browser
    # and registered; whether the log grants them is the log's business (``p_key``)
    key_ids: tuple[str, ...] = ()

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def current_account(connection: ASGIConnection) -> Account | None:  # type: ignore[type-arg]
    account = connection.scope.get(SCOPE_KEY)  # type: ignore[misc]
    return account if isinstance(account, Account) else None


def require_roles(*roles: str) -> Callable[[ASGIConnection, BaseRouteHandler], None]:  # type: ignore[type-arg]
    """A Litestar guard: the request needs a signed-in account holding one of ``roles`` (any role if none)."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown workbench roles: {sorted(unknown)}")

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:  # type: ignore[type-arg]
        account = current_account(connection)
        if account is None:
            raise NotAuthorizedException("Sign in to the workbench first. 请先登录工作台。")
        if roles and not account.has(*roles):
            raise PermissionDeniedException("Your account may not do this. 您的账户无权执行此操作。")

    return guard
