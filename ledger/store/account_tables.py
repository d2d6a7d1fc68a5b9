"""The workbench's tables: accounts, invitations, sessions, passkeys, browser keys and the audit log.

The logic that reads and writes them is :mod:`ledger.store.accounts`. Secrets are never stored:
passwords as Argon2id hashes, invitation and session tokens as SHA-256 of the token; a browser
key is stored by its public key only (the private key never leaves the browser).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String
from sqlmodel import Field, SQLModel


class WorkbenchAccount(SQLModel, table=True):
    __tablename__ = "wb_account"
    __table_args__ = (Index("ux_wb_account_login", "login", unique=True),)
    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    login: str = Field(sa_column=Column(String(100), nullable=False))  # lowercase e-mail or name
    display_name: str = Field(sa_column=Column(String(100), nullable=False))
    organisation: str | None = Field(default=None, sa_column=Column(String(18), nullable=True))  # USCC
    roles: str = Field(sa_column=Column(String(200), nullable=False))  # space-separated
    password_hash: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))  # Argon2id
    created_at: str = Field(sa_column=Column(String(24), nullable=False))
    disabled_at: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))
    failed_sign_ins: int = Field(default=0, sa_column=Column(Integer, nullable=False))  # since the last success
    locked_until: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))


class WorkbenchInvitation(SQLModel, table=True):
    __tablename__ = "wb_invitation"
    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))  # hex SHA-256 of the token
    login: str = Field(sa_column=Column(String(100), nullable=False))
    display_name: str = Field(sa_column=Column(String(100), nullable=False))
    organisation: str | None = Field(default=None, sa_column=Column(String(18), nullable=True))
    roles: str = Field(sa_column=Column(String(200), nullable=False))
    invited_by: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))  # None: the CLI
    created_at: str = Field(sa_column=Column(String(24), nullable=False))
    expires_at: str = Field(sa_column=Column(String(24), nullable=False))
    accepted_at: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))


class WorkbenchSession(SQLModel, table=True):
    __tablename__ = "wb_session"
    __table_args__ = (Index("ix_wb_session_account", "account_id"),)
    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))  # hex SHA-256 of the cookie
    account_id: int = Field(sa_column=Column(Integer, nullable=False))
    csrf: str = Field(sa_column=Column(String(64), nullable=False))  # the form token of this session
    created_at: str = Field(sa_column=Column(String(24), nullable=False))
    expires_at: str = Field(sa_column=Column(String(24), nullable=False))
    factors: str = Field(sa_column=Column(String(40), nullable=False))  # "password", "passkey", "password passkey"


class WorkbenchPasskey(SQLModel, table=True):
    __tablename__ = "wb_passkey"
    __table_args__ = (Index("ix_wb_passkey_account", "account_id"),)
    credential_id: str = Field(sa_column=Column(String(400), primary_key=True))  # base64url
    account_id: int = Field(sa_column=Column(Integer, nullable=False))
    public_key: str = Field(sa_column=Column(String(1000), nullable=False))  # base64url COSE key
    sign_count: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    label: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: str = Field(sa_column=Column(String(24), nullable=False))


class WorkbenchKey(SQLModel, table=True):
    """A signing key made in a person's browser, known here by its public key only; whether it
    is granted or revoked is the log's business (the ``p_key`` projection)."""

    __tablename__ = "wb_key"
    __table_args__ = (Index("ix_wb_key_account", "account_id"),)
    key_id: str = Field(sa_column=Column(String(64), primary_key=True))  # hex SHA-256 of the raw key
    account_id: int = Field(sa_column=Column(Integer, nullable=False))
    public_key: str = Field(sa_column=Column(String(44), nullable=False))  # base64 of the raw 32 bytes
    label: str = Field(sa_column=Column(String(100), nullable=False))  # the device, as the person named it
    created_at: str = Field(sa_column=Column(String(24), nullable=False))


class WorkbenchAudit(SQLModel, table=True):
    __tablename__ = "wb_audit"
    __table_args__ = (Index("ix_wb_audit_account", "account_id"),)
    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    at: str = Field(sa_column=Column(String(24), nullable=False))
    account_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))  # whom it concerns
    actor_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))  # who did it; None: CLI
    action: str = Field(sa_column=Column(String(40), nullable=False))  # sign_in, sign_in_failed, role_changed, ...
    detail: str = Field(sa_column=Column(String(500), nullable=False))
    client: str = Field(sa_column=Column(String(64), nullable=False))  # address, or "cli"


class WorkbenchChallenge(SQLModel, table=True):
    """A WebAuthn challenge handed out and not yet answered (used once, five minutes)."""

    __tablename__ = "wb_challenge"
    handle: str = Field(sa_column=Column(String(64), primary_key=True))  # hex SHA-256 of the handle given out
    challenge: str = Field(sa_column=Column(String(100), nullable=False))  # base64url
    account_id: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    expires_at: str = Field(sa_column=Column(String(24), nullable=False))
