"""Organisations as the API, the site and the reports read them: the domain's
:class:`~ledger.domain.rows.OrgRow` (it has no money and nothing to convert), read from
``p_org`` by code, as a keyset-paginated list with filters, or by a search of names and codes.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from ledger.domain.rows import OrgRow
from ledger.store.reads.rows import build_rows, row_by_key
from ledger.store.tables import ORG


def organisation(conn: Connection, org: str) -> OrgRow | None:
    return row_by_key(conn, OrgRow, org)


def organisations(
    conn: Connection,
    *,
    limit: int,
    after: str | None = None,
    status: str | None = None,
    legal_form: str | None = None,
    public_fundraising: bool | None = None,
) -> list[OrgRow]:
    """Up to ``limit`` organisations in code order after the code ``after`` (keyset), with
    the given status, legal form and public fundraising (None: no condition)."""
    conds: list[ColumnElement[bool]] = []
    if status is not None:
        conds.append(ORG.c.status == status)
    if legal_form is not None:
        conds.append(ORG.c.legal_form == legal_form)
    if public_fundraising is not None:
        conds.append(ORG.c.public_fundraising == public_fundraising)
    if after is not None:
        conds.append(ORG.c.org > after)
    stmt = select(ORG).where(and_(literal(True), *conds)).order_by(ORG.c.org).limit(limit)
    return build_rows(conn, OrgRow, stmt)


def like_pattern(text: str) -> str:
    """A LIKE pattern (escape ``\\``) matching ``text`` anywhere, its wildcards taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_organisations(conn: Connection, q: str | None = None) -> list[OrgRow]:
    """Every organisation (the registrar first, then by legal form and code), or those whose
    Chinese or English name or code contains ``q``."""
    stmt = select(ORG).order_by(ORG.c.is_registrar.desc(), ORG.c.legal_form, ORG.c.org)
    if q:
        pattern = like_pattern(q)
        stmt = stmt.where(
            or_(
                ORG.c.name_zh.like(pattern, escape="\\"),
                func.lower(ORG.c.name_en).like(pattern.lower(), escape="\\"),
                ORG.c.org.like(pattern.upper(), escape="\\"),
            )
        )
    return build_rows(conn, OrgRow, stmt)
