"""The table of API bearer tokens (stored hashed); the API's token logic is in ``api/tokens.py``."""

from __future__ import annotations

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    __table_args__ = (Index("ux_api_token_hash", "token_hash", unique=True),)
    id: str = Field(sa_column=Column(String(12), primary_key=True))  # 12 hex digits, shown in the token
    name: str = Field(sa_column=Column(String(100), nullable=False))  # who holds it
    token_hash: str = Field(sa_column=Column(String(64), nullable=False))  # hex SHA-256 of the whole token
    scopes: str = Field(sa_column=Column(String(200), nullable=False))  # space-separated
    created_at: str = Field(sa_column=Column(String(24), nullable=False))  # RFC 3339 UTC ms
    revoked_at: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))
    expires_at: str | None = Field(default=None, sa_column=Column(String(24), nullable=True))  # None: never
