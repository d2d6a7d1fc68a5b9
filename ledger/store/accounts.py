"""Workbench accounts: invitations, passwords (Argon2id), lock-out, sessions, browser keys,
passkeys and the audit log. The tables are in :mod:`ledger.store.account_tables`.

Accounts are never created directly: an invitation (from the registrar, an organisation's admin
for its own organisation, or the CLI) names the login, the organisation and the roles, and the
person accepting it chooses the password. Tokens (invitations, sessions) are 32 random bytes
shown once; only their SHA-256 is stored. Every sign-in (failed ones too), every account created
and every change of roles or keys is written to ``wb_audit`` with who did it and from where.

After :data:`MAX_FAILED` failed sign-ins in a row an account is locked for :data:`LOCK_FOR`;
the next success resets the count. A person's signing key is made in their browser; here it is
only a public key attached to the account, granted (or not) by the log.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, Engine, RowMapping, delete, func, insert, select, update

from ledger.domain import codes as C
from ledger.errors import LedgerError
from ledger.protocol.canonical import format_time, now
from ledger.protocol.grammar import matches
from ledger.protocol.keys import b64, check_public_key, key_id, unb64
from ledger.store.account_tables import (
    WorkbenchAccount,
    WorkbenchAudit,
    WorkbenchChallenge,
    WorkbenchInvitation,
    WorkbenchKey,
    WorkbenchPasskey,
    WorkbenchSession,
)
from ledger.store.db import table_of

ACCOUNTS = table_of(WorkbenchAccount)
INVITATIONS = table_of(WorkbenchInvitation)
SESSIONS = table_of(WorkbenchSession)
PASSKEYS = table_of(WorkbenchPasskey)
KEYS = table_of(WorkbenchKey)
AUDIT = table_of(WorkbenchAudit)
CHALLENGES = table_of(WorkbenchChallenge)
CHALLENGE_FOR = timedelta(minutes=5)

ROLES = frozenset({"registrar", "org_admin", "fundraiser", "implementer", "overseer", "regulator", "staff"})
# the roles an organisation's admin may give inside the organisation; the rest only the registrar
ORG_ROLES = frozenset({"org_admin", "fundraiser", "implementer", "staff"})
MAX_FAILED = 5
LOCK_FOR = timedelta(minutes=15)
SESSION_FOR = timedelta(hours=12)
INVITATION_FOR = timedelta(days=7)
MIN_PASSWORD = 12
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._@+-]{2,99}", re.ASCII)  # matched in full

# Argon2id with the library's defaults (RFC 9106's second recommended option: 64 MiB, t=3, p=4).
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password, checked when the login is unknown so both cases take as long;
    made on first use (64 MiB of Argon2 at import slowed every command of the CLI)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True, slots=True)
class AccountRecord:
    id: int
    login: str
    display_name: str
    organisation: str | None
    roles: frozenset[str]
    has_password: bool
    locked_until: str | None
    disabled_at: str | None

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True, slots=True)
class SessionInfo:
    account: AccountRecord
    csrf: str
    factors: frozenset[str]
    expires_at: str
    key_ids: tuple[str, ...] = ()  # the browser keys registered on the account


@dataclass(frozen=True, slots=True)
class BrowserKey:
    key_id: str
    account_id: int
    public_key: str
    label: str
    created_at: str


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: str
    account_id: int | None
    actor_id: int | None
    action: str
    detail: str
    client: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _stamp(at: datetime | None) -> str:
    return format_time(at or now())


def _record(row: object) -> AccountRecord:
    r = dict(row)  # type: ignore[call-overload]
    return AccountRecord(
        r["id"],
        r["login"],
        r["display_name"],
        r["organisation"],
        frozenset(r["roles"].split()),
        r["password_hash"] is not None,
        r["locked_until"],
        r["disabled_at"],
    )


def audit(
    conn: Connection,
    action: str,
    detail: str,
    *,
    account_id: int | None,
    actor_id: int | None,
    client: str,
    at: str,
) -> None:
    conn.execute(
        insert(AUDIT).values(
            at=at,
            account_id=account_id,
            actor_id=actor_id,
            action=action,
            detail=detail[:500],
            client=(client or "unknown")[:64],
        )
    )


def _invalid(en: str, zh: str) -> LedgerError:
    return LedgerError(C.ACCOUNT_INVALID, detail=en, detail_zh=zh)


def check_login(login: object) -> str:
    if not isinstance(login, str) or not _LOGIN.fullmatch(login.strip().lower()):
        raise _invalid(
            "the account name is 3 to 100 lowercase ASCII letters, digits or ._@+-",
            "账户名须为 3 至 100 个小写 ASCII 字母、数字或 ._@+-",
        )
    return login.strip().lower()


def check_roles(roles: Iterable[str]) -> frozenset[str]:
    out = frozenset(roles)
    if not out or out - ROLES:
        raise _invalid(f"roles must be some of {sorted(ROLES)}", f"角色须为 {sorted(ROLES)} 之一或多项")
    return out


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
        raise _invalid("the name is 1 to 100 characters", "姓名须为 1 至 100 个字符")
    text = name.strip()
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise _invalid("the name holds control characters", "姓名含控制字符")
    return text


def check_password(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password) > 1000:
        raise _invalid(
            f"a password is {MIN_PASSWORD} to 1000 characters", f"密码长度须为 {MIN_PASSWORD} 至 1000 个字符"
        )
    return password


def _may_give(actor: AccountRecord | None, organisation: str | None, roles: frozenset[str]) -> None:
    """The registrar (and the CLI, ``actor`` None) may give any role; an organisation's admin
    only the organisation's roles, inside its own organisation."""
    if actor is None or actor.has("registrar"):
        return
    if actor.has("org_admin") and organisation is not None and organisation == actor.organisation:
        if roles <= ORG_ROLES:
            return
        raise LedgerError(
            C.ACCOUNT_FORBIDDEN,
            detail=f"an organisation's admin gives only the roles {sorted(ORG_ROLES)}",
            detail_zh=f"机构管理员只能授予 {sorted(ORG_ROLES)} 角色",
        )
    raise LedgerError(
        C.ACCOUNT_FORBIDDEN,
        detail="only the registrar, or an admin of the same organisation, invites and changes roles",
        detail_zh="只有登记管理机关或同一机构的管理员可以邀请人员或更改角色",
    )


def _check_organisation(organisation: str | None, roles: frozenset[str]) -> str | None:
    if organisation is not None and organisation != "":
        if not matches("uscc", organisation):
            raise _invalid("the organisation is a unified social credit code", "机构须为统一社会信用代码")
        return organisation
    if roles & (ORG_ROLES | {"registrar"}):
        raise _invalid("staff of an organisation need its code", "机构人员须填写机构的统一社会信用代码")
    return None


# --- invitations -----------------------------------------------------------------------------


def invite(
    engine: Engine,
    *,
    login: str,
    display_name: str,
    organisation: str | None,
    roles: Iterable[str],
    actor: AccountRecord | None,
    client: str = "cli",
    at: datetime | None = None,
    valid_for: timedelta = INVITATION_FOR,
) -> str:
    """Invite a person; returns the invitation token (shown once: it goes into the link)."""
    login = check_login(login)
    name = _check_name(display_name)
    given = check_roles(roles)
    org = _check_organisation(organisation, given)
    _may_give(actor, org, given)
    moment = at or now()
    stamp = format_time(moment)
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        taken = conn.execute(select(ACCOUNTS.c.id).where(ACCOUNTS.c.login == login)).first()
        open_invite = conn.execute(
            select(INVITATIONS.c.token_hash).where(
                INVITATIONS.c.login == login, INVITATIONS.c.accepted_at.is_(None), INVITATIONS.c.expires_at > stamp
            )
        ).first()
        if taken is not None or open_invite is not None:
            raise LedgerError(C.ACCOUNT_EXISTS, login=login)
        conn.execute(
            insert(INVITATIONS).values(
                token_hash=_hash(token),
                login=login,
                display_name=name,
                organisation=org,
                roles=" ".join(sorted(given)),
                invited_by=actor.id if actor else None,
                created_at=stamp,
                expires_at=format_time(moment + valid_for),
                accepted_at=None,
            )
        )
        audit(
            conn,
            "invited",
            f"{login} as {' '.join(sorted(given))} of {org or '-'}",
            account_id=None,
            actor_id=actor.id if actor else None,
            client=client,
            at=stamp,
        )
    return token


def invitation(engine: Engine, token: str, *, at: datetime | None = None) -> dict[str, str | None] | None:
    """What an open invitation offers (login, name, organisation, roles), or None."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(INVITATIONS).where(INVITATIONS.c.token_hash == _hash(token))).mappings().first()
    if row is None or row["accepted_at"] is not None or row["expires_at"] <= _stamp(at):
        return None
    return {k: row[k] for k in ("login", "display_name", "organisation", "roles", "expires_at")}


def accept_invitation(
    engine: Engine, token: str, password: str, *, client: str = "unknown", at: datetime | None = None
) -> AccountRecord:
    """Create the invited account with ``password``; the invitation is used up."""
    check_password(password)
    stamp = _stamp(at)
    hashed = _HASHER.hash(password)
    with engine.begin() as conn:
        row = conn.execute(select(INVITATIONS).where(INVITATIONS.c.token_hash == _hash(token or ""))).mappings().first()
        if row is None or row["accepted_at"] is not None or row["expires_at"] <= stamp:
            raise LedgerError(C.INVITATION_INVALID)
        if conn.execute(select(ACCOUNTS.c.id).where(ACCOUNTS.c.login == row["login"])).first() is not None:
            raise LedgerError(C.ACCOUNT_EXISTS, login=row["login"])
        used = conn.execute(
            update(INVITATIONS)
            .where(INVITATIONS.c.token_hash == row["token_hash"], INVITATIONS.c.accepted_at.is_(None))
            .values(accepted_at=stamp)
        )
        if used.rowcount != 1:
            raise LedgerError(C.INVITATION_INVALID)
        inserted = conn.execute(
            insert(ACCOUNTS).values(
                login=row["login"],
                display_name=row["display_name"],
                organisation=row["organisation"],
                roles=row["roles"],
                password_hash=hashed,
                created_at=stamp,
                disabled_at=None,
                failed_sign_ins=0,
                locked_until=None,
            )
        ).inserted_primary_key
        if inserted is None:
            raise LedgerError(C.INVITATION_INVALID)
        account_id = int(inserted[0])
        audit(
            conn,
            "account_created",
            f"{row['login']} as {row['roles']} of {row['organisation'] or '-'}",
            account_id=account_id,
            actor_id=row["invited_by"],
            client=client,
            at=stamp,
        )
    found = get_account(engine, int(account_id))
    if found is None:
        raise LedgerError(C.ACCOUNT_UNKNOWN, account=account_id)
    return found


# --- accounts --------------------------------------------------------------------------------


def get_account(engine: Engine, account_id: int) -> AccountRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.id == account_id)).mappings().first()
    return _record(row) if row is not None else None


def account_by_login(engine: Engine, login: str) -> AccountRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.login == login.strip().lower())).mappings().first()
    return _record(row) if row is not None else None


def list_accounts(engine: Engine, organisation: str | None = None) -> list[AccountRecord]:
    query = select(ACCOUNTS).order_by(ACCOUNTS.c.login)
    if organisation is not None:
        query = query.where(ACCOUNTS.c.organisation == organisation)
    with engine.connect() as conn:
        return [_record(r) for r in conn.execute(query).mappings().all()]


def set_roles(
    engine: Engine,
    account_id: int,
    roles: Iterable[str],
    *,
    actor: AccountRecord | None,
    client: str = "cli",
    at: datetime | None = None,
) -> AccountRecord:
    """Change an account's roles (audited: old and new)."""
    given = check_roles(roles)
    target = get_account(engine, account_id)
    if target is None:
        raise LedgerError(C.ACCOUNT_UNKNOWN, account=account_id)
    _may_give(actor, target.organisation, given | (target.roles if actor and not actor.has("registrar") else given))
    stamp = _stamp(at)
    with engine.begin() as conn:
        conn.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == account_id).values(roles=" ".join(sorted(given))))
        audit(
            conn,
            "roles_changed",
            f"{target.login}: {' '.join(sorted(target.roles))} -> {' '.join(sorted(given))}",
            account_id=account_id,
            actor_id=actor.id if actor else None,
            client=client,
            at=stamp,
        )
        if not given & target.roles:  # nothing kept: the sessions end
            conn.execute(delete(SESSIONS).where(SESSIONS.c.account_id == account_id))
    found = get_account(engine, account_id)
    if found is None:
        raise LedgerError(C.ACCOUNT_UNKNOWN, account=account_id)
    return found


# --- sign-in and sessions --------------------------------------------------------------------


def check_password_sign_in(
    engine: Engine, login: str, password: str, *, client: str = "unknown", at: datetime | None = None
) -> AccountRecord:
    """The account whose password this is, or a refusal: ``sign_in_failed`` (same for an
    unknown login and a wrong password) or ``account_locked``. Every attempt is audited."""
    moment = at or now()
    stamp = format_time(moment)
    name = login.strip().lower() if isinstance(login, str) else ""
    with engine.connect() as conn:
        row = conn.execute(select(ACCOUNTS).where(ACCOUNTS.c.login == name[:100])).mappings().first()
    if row is None or row["password_hash"] is None or row["disabled_at"] is not None:
        _verify(_dummy_hash(), password)  # as slow as a real check: the answer does not say which logins exist
        with engine.begin() as conn:
            audit(
                conn,
                "sign_in_failed",
                f"unknown account {name[:60]!r}",
                account_id=row["id"] if row else None,
                actor_id=None,
                client=client,
                at=stamp,
            )
        raise LedgerError(C.SIGN_IN_FAILED)
    if row["locked_until"] is not None and row["locked_until"] > stamp:
        with engine.begin() as conn:
            audit(conn, "sign_in_locked", row["login"], account_id=row["id"], actor_id=None, client=client, at=stamp)
        raise LedgerError(C.ACCOUNT_LOCKED, until=row["locked_until"])
    ok = _verify(row["password_hash"], password)
    with engine.begin() as conn:
        if not ok:
            _count_failure(conn, row, client=client, moment=moment)
        else:
            values: dict[str, object] = {"failed_sign_ins": 0, "locked_until": None}
            if _HASHER.check_needs_rehash(row["password_hash"]):
                values["password_hash"] = _HASHER.hash(password)
            conn.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == row["id"]).values(**values))
    if not ok:
        raise LedgerError(C.SIGN_IN_FAILED)
    return _record(row)


def _count_failure(conn: Connection, row: RowMapping, *, client: str, moment: datetime) -> None:
    """A wrong password: count it, audit it, and lock the account after too many in a row."""
    stamp = format_time(moment)
    failed = int(
        conn.execute(
            update(ACCOUNTS)
            .where(ACCOUNTS.c.id == row["id"])
            .values(failed_sign_ins=ACCOUNTS.c.failed_sign_ins + 1)
            .returning(ACCOUNTS.c.failed_sign_ins)
        ).scalar_one()
    )
    audit(
        conn,
        "sign_in_failed",
        f"{row['login']}: wrong password ({failed} in a row)",
        account_id=row["id"],
        actor_id=None,
        client=client,
        at=stamp,
    )
    if failed >= MAX_FAILED:
        until = format_time(moment + LOCK_FOR)
        conn.execute(update(ACCOUNTS).where(ACCOUNTS.c.id == row["id"]).values(locked_until=until, failed_sign_ins=0))
        audit(
            conn,
            "locked",
            f"{row['login']} until {until}",
            account_id=row["id"],
            actor_id=None,
            client=client,
            at=stamp,
        )


def _verify(hashed: str, password: object) -> bool:
    if not isinstance(password, str) or len(password) > 1000:
        return False
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def start_session(
    engine: Engine,
    account: AccountRecord,
    factors: Iterable[str],
    *,
    client: str = "unknown",
    at: datetime | None = None,
) -> tuple[str, str]:
    """A new session for ``account`` signed in with ``factors``; returns (cookie token, CSRF
    token). The sign-in is audited."""
    moment = at or now()
    stamp = format_time(moment)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    used = " ".join(sorted(set(factors)))
    with engine.begin() as conn:
        conn.execute(
            insert(SESSIONS).values(
                token_hash=_hash(token),
                account_id=account.id,
                csrf=csrf,
                created_at=stamp,
                expires_at=format_time(moment + SESSION_FOR),
                factors=used,
            )
        )
        audit(
            conn,
            "sign_in",
            f"{account.login} with {used}",
            account_id=account.id,
            actor_id=account.id,
            client=client,
            at=stamp,
        )
    return token, csrf


def add_factor(engine: Engine, token: str, factor: str, *, client: str = "unknown", at: datetime | None = None) -> None:
    """Record a second factor (a passkey) on the session ``token``: a session pending it (the
    password given, the account holding a passkey) becomes a signed-in one."""
    stamp = _stamp(at)
    with engine.begin() as conn:
        row = conn.execute(select(SESSIONS).where(SESSIONS.c.token_hash == _hash(token))).mappings().first()
        if row is None:
            return
        factors = " ".join(sorted((set(row["factors"].split()) - {"pending"}) | {factor}))  # the second factor is in
        conn.execute(update(SESSIONS).where(SESSIONS.c.token_hash == row["token_hash"]).values(factors=factors))
        audit(
            conn,
            "sign_in_factor",
            f"{factor} added",
            account_id=row["account_id"],
            actor_id=row["account_id"],
            client=client,
            at=stamp,
        )


def session(engine: Engine, token: str | None, *, at: datetime | None = None) -> SessionInfo | None:
    """The live session the cookie ``token`` names, or None (unknown, expired, account disabled)."""
    if not token or len(token) > 100:
        return None
    stamp = _stamp(at)
    with engine.connect() as conn:
        row = (
            conn.execute(
                select(SESSIONS, ACCOUNTS)
                .join(ACCOUNTS, ACCOUNTS.c.id == SESSIONS.c.account_id)
                .where(SESSIONS.c.token_hash == _hash(token))
            )
            .mappings()
            .first()
        )
        if row is None or row["expires_at"] <= stamp or row["disabled_at"] is not None:
            return None
        key_ids = conn.execute(
            select(KEYS.c.key_id).where(KEYS.c.account_id == row["account_id"]).order_by(KEYS.c.created_at)
        ).scalars()
        return SessionInfo(
            _record(row), row["csrf"], frozenset(row["factors"].split()), row["expires_at"], tuple(key_ids)
        )


def end_session(engine: Engine, token: str | None, *, client: str = "unknown", at: datetime | None = None) -> None:
    if not token:
        return
    with engine.begin() as conn:
        row = conn.execute(select(SESSIONS).where(SESSIONS.c.token_hash == _hash(token))).mappings().first()
        if row is None:
            return
        conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == row["token_hash"]))
        audit(
            conn, "sign_out", "", account_id=row["account_id"], actor_id=row["account_id"], client=client, at=_stamp(at)
        )


# --- browser keys ----------------------------------------------------------------------------


def add_browser_key(
    engine: Engine,
    account: AccountRecord,
    public_key: str,
    label: str,
    *,
    client: str = "unknown",
    at: datetime | None = None,
) -> BrowserKey:
    """Attach a public key made in the person's browser to the account (audited). It signs
    nothing until the organisation's admin grants it in the log."""
    raw = check_public_key(unb64(public_key, length=32, what="public key"))
    name = _check_name(label)
    stamp = _stamp(at)
    kid = key_id(raw)
    with engine.begin() as conn:
        if conn.execute(select(KEYS.c.key_id).where(KEYS.c.key_id == kid)).first() is not None:
            raise LedgerError(C.ACCOUNT_EXISTS, login=f"key {kid[:16]}")
        conn.execute(
            insert(KEYS).values(key_id=kid, account_id=account.id, public_key=b64(raw), label=name, created_at=stamp)
        )
        audit(conn, "key_added", f"{kid} ({name})", account_id=account.id, actor_id=account.id, client=client, at=stamp)
    return BrowserKey(kid, account.id, b64(raw), name, stamp)


def browser_keys(engine: Engine, *, account_id: int | None = None, organisation: str | None = None) -> list[BrowserKey]:
    query = select(KEYS).order_by(KEYS.c.created_at, KEYS.c.key_id)
    if account_id is not None:
        query = query.where(KEYS.c.account_id == account_id)
    if organisation is not None:
        query = query.join(ACCOUNTS, ACCOUNTS.c.id == KEYS.c.account_id).where(ACCOUNTS.c.organisation == organisation)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [BrowserKey(r["key_id"], r["account_id"], r["public_key"], r["label"], r["created_at"]) for r in rows]


def record_audit(
    engine: Engine,
    action: str,
    detail: str,
    *,
    account_id: int | None,
    actor_id: int | None,
    client: str,
    at: datetime | None = None,
) -> None:
    with engine.begin() as conn:
        audit(conn, action, detail, account_id=account_id, actor_id=actor_id, client=client, at=_stamp(at))


def audit_log(engine: Engine, *, organisation: str | None = None, limit: int = 200) -> list[AuditRecord]:
    query = select(AUDIT).order_by(AUDIT.c.id.desc()).limit(limit)
    if organisation is not None:
        members = select(ACCOUNTS.c.id).where(ACCOUNTS.c.organisation == organisation)
        query = query.where(AUDIT.c.account_id.in_(members) | AUDIT.c.actor_id.in_(members))
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [
        AuditRecord(r["id"], r["at"], r["account_id"], r["actor_id"], r["action"], r["detail"], r["client"])
        for r in rows
    ]


# --- passkeys --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Passkey:
    credential_id: str
    account_id: int
    public_key: str
    sign_count: int
    label: str


def passkeys(engine: Engine, account_id: int) -> list[Passkey]:
    with engine.connect() as conn:
        rows = conn.execute(select(PASSKEYS).where(PASSKEYS.c.account_id == account_id)).mappings().all()
    return [Passkey(r["credential_id"], r["account_id"], r["public_key"], r["sign_count"], r["label"]) for r in rows]


def passkey_by_credential(engine: Engine, credential_id: str) -> Passkey | None:
    with engine.connect() as conn:
        r = conn.execute(select(PASSKEYS).where(PASSKEYS.c.credential_id == credential_id[:400])).mappings().first()
    return Passkey(r["credential_id"], r["account_id"], r["public_key"], r["sign_count"], r["label"]) if r else None


def add_passkey(
    engine: Engine,
    account: AccountRecord,
    credential_id: str,
    public_key: str,
    sign_count: int,
    label: str,
    *,
    client: str = "unknown",
    at: datetime | None = None,
) -> None:
    stamp = _stamp(at)
    with engine.begin() as conn:
        conn.execute(
            insert(PASSKEYS).values(
                credential_id=credential_id,
                account_id=account.id,
                public_key=public_key,
                sign_count=sign_count,
                label=_check_name(label),
                created_at=stamp,
            )
        )
        audit(conn, "passkey_added", label, account_id=account.id, actor_id=account.id, client=client, at=stamp)


def passkey_used(engine: Engine, credential_id: str, sign_count: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(PASSKEYS).where(PASSKEYS.c.credential_id == credential_id).values(sign_count=sign_count))


def account_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ACCOUNTS)).scalar_one())


def remember_challenge(engine: Engine, challenge: bytes, account_id: int | None, *, at: datetime | None = None) -> str:
    """Keep a WebAuthn challenge for five minutes (every process sees it); returns its handle."""
    moment = at or now()
    handle = secrets.token_urlsafe(16)
    with engine.begin() as conn:
        conn.execute(delete(CHALLENGES).where(CHALLENGES.c.expires_at <= format_time(moment)))
        conn.execute(
            insert(CHALLENGES).values(
                handle=_hash(handle),
                challenge=base64.urlsafe_b64encode(challenge).decode("ascii"),
                account_id=account_id,
                expires_at=format_time(moment + CHALLENGE_FOR),
            )
        )
    return handle


def take_challenge(engine: Engine, handle: object, *, at: datetime | None = None) -> tuple[bytes, int | None] | None:
    """The challenge behind ``handle`` and whom it was for, used up; None if unknown or expired."""
    if not isinstance(handle, str) or not handle or len(handle) > 100:
        return None
    with engine.begin() as conn:
        row = conn.execute(select(CHALLENGES).where(CHALLENGES.c.handle == _hash(handle))).mappings().first()
        if row is None:
            return None
        gone = conn.execute(delete(CHALLENGES).where(CHALLENGES.c.handle == row["handle"]))
    if gone.rowcount != 1 or row["expires_at"] <= _stamp(at):
        return None
    return base64.urlsafe_b64decode(row["challenge"]), row["account_id"]
