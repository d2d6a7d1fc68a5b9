"""Projects as the site lists them (the explorer's search and sorting, the home page's
featured projects, an organisation's projects by role, the explorer's facets) and the names
a page shows beside codes and ids (organisation names, project titles).

Lists are bounded (``LIMIT``) and read ``p_project`` joined to ``p_fund``, one row per
project. Figures are integer minor units of the project's ``currency``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, and_, desc, func, literal, or_, select
from sqlalchemy.sql import ColumnElement

from ledger.store.reads.orgs import like_pattern
from ledger.store.reads.projects import names_org
from ledger.store.tables import FUND, ORG, PROJECT

SORTS = {
    "newest": (desc(PROJECT.c.registered_seq),),
    "oldest": (PROJECT.c.registered_seq,),
    "raised": (desc(func.coalesce(FUND.c.raised_minor, 0)), desc(PROJECT.c.registered_seq)),
    "progress": (
        desc(func.coalesce(FUND.c.raised_minor, 0) * 10_000 / func.nullif(PROJECT.c.target_minor, 0)),
        desc(PROJECT.c.registered_seq),
    ),
    "ending": (PROJECT.c.end_date, PROJECT.c.project),
    "title": (PROJECT.c.title_zh, PROJECT.c.project),
}


@dataclass(frozen=True, slots=True)
class OrgName:
    org: str
    name_zh: str
    name_en: str | None


@dataclass(frozen=True, slots=True)
class ProjectTitle:
    project: str
    title_zh: str
    title_en: str | None


def org_names(conn: Connection, codes: Iterable[str | None]) -> dict[str, OrgName]:
    wanted = sorted({c for c in codes if c})
    if not wanted:
        return {}
    rows = conn.execute(select(ORG.c.org, ORG.c.name_zh, ORG.c.name_en).where(ORG.c.org.in_(wanted))).mappings()
    return {r["org"]: OrgName(**r) for r in rows}


def project_titles(conn: Connection, ids: Iterable[str | None]) -> dict[str, ProjectTitle]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = conn.execute(
        select(PROJECT.c.project, PROJECT.c.title_zh, PROJECT.c.title_en).where(PROJECT.c.project.in_(wanted))
    ).mappings()
    return {r["project"]: ProjectTitle(**r) for r in rows}


@dataclass(frozen=True, slots=True)
class ProjectSearch:
    """The explorer's search: every condition set must hold (None: no condition), one page of
    ``per_page`` in ``sort`` order (a key of :data:`SORTS`)."""

    q: str | None = None
    field: str | None = None
    region: str | None = None
    org: str | None = None
    status: str | None = None
    directed: bool | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = 20

    def conditions(self) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if self.q:
            pattern = like_pattern(self.q)
            conds.append(
                or_(
                    PROJECT.c.title_zh.like(pattern, escape="\\"),
                    PROJECT.c.title_en.like(pattern, escape="\\"),
                    PROJECT.c.project.like(pattern, escape="\\"),
                    PROJECT.c.description.like(pattern, escape="\\"),
                )
            )
        if self.field:
            conds.append(PROJECT.c.field == self.field)
        if self.region:
            conds.append(PROJECT.c.region == self.region)
        if self.org:
            conds.append(names_org(self.org))
        if self.status:
            conds.append(PROJECT.c.status == self.status)
        if self.directed is not None:
            conds.append(PROJECT.c.directed == self.directed)
        return conds


_LIST_COLUMNS = (
    PROJECT.c.project,
    PROJECT.c.title_zh,
    PROJECT.c.title_en,
    PROJECT.c.field,
    PROJECT.c.region,
    PROJECT.c.start_date,
    PROJECT.c.end_date,
    PROJECT.c.currency,
    PROJECT.c.target_minor,
    PROJECT.c.fundraiser_org,
    PROJECT.c.implementers_json,
    PROJECT.c.directed,
    PROJECT.c.emergency,
    PROJECT.c.status,
    PROJECT.c.registered_seq,
    func.coalesce(FUND.c.raised_minor, 0).label("raised_minor"),
    func.coalesce(FUND.c.allocated_minor, 0).label("allocated_minor"),
    func.coalesce(FUND.c.disbursed_minor, 0).label("disbursed_minor"),
    func.coalesce(FUND.c.donations_count, 0).label("donations_count"),
)


@dataclass(frozen=True, slots=True)
class ListedProject:
    """A project as a list shows it: its row's main columns and its fund's figures (zero
    before any money moved)."""

    project: str
    title_zh: str
    title_en: str | None
    field: str
    region: str
    start_date: str
    end_date: str
    currency: str
    target_minor: int
    fundraiser_org: str
    implementers_json: str
    directed: bool
    emergency: bool
    status: str
    registered_seq: int
    raised_minor: int
    allocated_minor: int
    disbursed_minor: int
    donations_count: int
    overseers_json: str | None = None  # read for an organisation's projects only


def search_projects(conn: Connection, f: ProjectSearch) -> tuple[list[ListedProject], int]:
    """One page of projects matching ``f`` and the number of matches."""
    joined = PROJECT.join(FUND, FUND.c.project == PROJECT.c.project, isouter=True)
    where = and_(literal(True), *f.conditions())
    total = int(conn.execute(select(func.count()).select_from(joined).where(where)).scalar_one())
    order = SORTS.get(f.sort, SORTS["newest"])
    rows = conn.execute(
        select(*_LIST_COLUMNS)
        .select_from(joined)
        .where(where)
        .order_by(*order)
        .limit(f.per_page)
        .offset((f.page - 1) * f.per_page)
    ).mappings()
    return [ListedProject(**r) for r in rows], total


def featured_projects(conn: Connection, limit: int = 6) -> list[ListedProject]:
    """Open projects that raised the most."""
    items, _ = search_projects(conn, ProjectSearch(status="open", sort="raised", per_page=limit))
    return items


@dataclass(frozen=True, slots=True)
class OrgProjects:
    """An organisation's projects by its role in them, newest first."""

    fundraiser: tuple[ListedProject, ...]
    implementer: tuple[ListedProject, ...]
    overseer: tuple[ListedProject, ...]

    def all(self) -> tuple[ListedProject, ...]:
        return (*self.fundraiser, *self.implementer, *self.overseer)


def projects_of(conn: Connection, org: str) -> OrgProjects:
    """The organisation's projects by its role in them (a scan of p_project, one row per project)."""
    joined = PROJECT.join(FUND, FUND.c.project == PROJECT.c.project, isouter=True)
    rows = [
        ListedProject(**r)
        for r in conn.execute(
            select(*_LIST_COLUMNS, PROJECT.c.overseers_json)
            .select_from(joined)
            .where(names_org(org))
            .order_by(desc(PROJECT.c.registered_seq))
        ).mappings()
    ]
    return OrgProjects(
        fundraiser=tuple(p for p in rows if p.fundraiser_org == org),
        implementer=tuple(p for p in rows if org in json.loads(p.implementers_json)),
        overseer=tuple(p for p in rows if org in json.loads(p.overseers_json or "[]")),
    )


@dataclass(frozen=True, slots=True)
class Facets:
    """What the explorer's filters offer: every field, region and organisation a project names."""

    fields: tuple[str, ...]
    regions: tuple[str, ...]
    orgs: tuple[OrgName, ...]


def facets(conn: Connection) -> Facets:
    fields = [r[0] for r in conn.execute(select(PROJECT.c.field).distinct().order_by(PROJECT.c.field))]
    regions = [r[0] for r in conn.execute(select(PROJECT.c.region).distinct().order_by(PROJECT.c.region))]
    codes = [r[0] for r in conn.execute(select(PROJECT.c.fundraiser_org).distinct())]
    implementers: set[str] = set()
    for (text,) in conn.execute(select(PROJECT.c.implementers_json).distinct()):
        implementers.update(json.loads(text))
    names = org_names(conn, [*codes, *implementers])
    return Facets(tuple(fields), tuple(regions), tuple(sorted(names.values(), key=lambda o: o.org)))


@dataclass(frozen=True, slots=True)
class SitemapIds:
    projects: tuple[str, ...]
    orgs: tuple[str, ...]


def sitemap_ids(conn: Connection) -> SitemapIds:
    """Every project id and organisation code, for the sitemap."""
    projects = conn.execute(select(PROJECT.c.project).order_by(PROJECT.c.project)).scalars().all()
    orgs = conn.execute(select(ORG.c.org).order_by(ORG.c.org)).scalars().all()
    return SitemapIds(tuple(projects), tuple(orgs))
