"""Rule sets as data, with effective dates, and the loader that picks the version in force.

A rule set (``cn-charity``, ``sz-donation``) is a JSON file per version, shipped as package
data next to this module and named ``<name>.v<version>.json``. When a regulation is revised,
a new file with a higher version and a later ``effective_from`` is added: nothing else
changes, and every report names the version it applied (``RuleSet.ref``, ``"cn-charity/1"``).

Effective dates are whole days in China Standard Time. ``effective_to`` is the *last* day a
version applies (inclusive); a file may leave it ``null``, and the loader then ends it the day
before the next version's ``effective_from``. Two versions never overlap, and a date no version
covers has no rule set in force (``ruleset_not_in_force``).

Parameters are deep-frozen (read-only mappings and tuples). The two families that code
evaluates, ``spending_ratios`` and ``deadlines``, are parsed into typed objects when the file is
loaded (:mod:`.params`), so a broken file fails at load time, not in the middle of a report.
The file format is documented in ``docs/reports.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ledger.compliance.codes import (
    RULESET_INVALID,
    RULESET_NOT_IN_FORCE,
    RULESET_PARAM_MISSING,
    RULESET_UNKNOWN,
    RULESET_VERSION_UNKNOWN,
)
from ledger.compliance.rulesets.params import (
    DeadlineRule,
    ParamError,
    RatioRule,
    RatioTier,
    SpendingMinimum,
    SpendingRatioRules,
    parse_deadlines,
    parse_spending_ratios,
)
from ledger.errors import LedgerError
from ledger.protocol.canonical import no_duplicates

__all__ = [
    "DeadlineRule",
    "RatioRule",
    "RatioTier",
    "RuleSet",
    "RuleSetRegistry",
    "Source",
    "SpendingMinimum",
    "SpendingRatioRules",
    "default_registry",
    "load_file",
    "ruleset",
    "ruleset_ref",
]

FORMAT = 1
# matched in full (fullmatch), ASCII only (ledger.protocol.grammar)
FILE_RE = re.compile(r"(?P<name>[a-z][a-z0-9-]{0,40})\.v(?P<version>[1-9][0-9]{0,3})\.json", re.ASCII)
REF_RE = re.compile(r"(?P<name>[a-z][a-z0-9-]{0,40})/(?P<version>[1-9][0-9]{0,3})", re.ASCII)


@dataclass(frozen=True, slots=True)
class Source:
    """A legal text a rule comes from."""

    id: str  # short key the rules refer to ("charity-law")
    title_zh: str
    title_en: str
    citation: str  # issuer, order number, dates: enough to find the official text
    in_force: date | None  # when the cited text took effect, when known
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "citation": self.citation,
            "in_force": self.in_force.isoformat() if self.in_force else None,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One version of a rule set, as in force from ``effective_from`` to ``effective_to``."""

    name: str
    version: int
    effective_from: date
    effective_to: date | None  # last day in force (inclusive); None: open-ended
    parameters: Mapping[str, Any]  # deep-frozen copy of the file's "parameters"
    sources: Mapping[str, Source]
    notes: tuple[str, ...]
    title_zh: str = ""
    title_en: str = ""
    # typed views of parameters["spending_ratios"] and parameters["deadlines"]
    spending_ratios: SpendingRatioRules | None = field(default=None, compare=False, repr=False)
    deadlines: Mapping[str, DeadlineRule] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )
    origin: str = field(default="", compare=False, repr=False)  # the file it was read from

    def __hash__(self) -> int:
        return hash((self.name, self.version))

    @property
    def ref(self) -> str:
        """``"cn-charity/1"``: how reports and the genesis entry name this version."""
        return f"{self.name}/{self.version}"

    def in_force_on(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def deadline(self, key: str) -> DeadlineRule:
        rule = self.deadlines.get(key)
        if rule is None:
            raise LedgerError(RULESET_PARAM_MISSING, ruleset=self.ref, param=f"deadlines.{key}")
        return rule

    def ratio_rules(self) -> SpendingRatioRules:
        if self.spending_ratios is None:
            raise LedgerError(RULESET_PARAM_MISSING, ruleset=self.ref, param="spending_ratios")
        return self.spending_ratios

    def param(self, *path: str) -> Any:
        """A (frozen) parameter by path: ``rs.param("receipt", "fields")``."""
        value: Any = self.parameters
        for part in path:
            if not isinstance(value, Mapping) or part not in value:
                raise LedgerError(RULESET_PARAM_MISSING, ruleset=self.ref, param=".".join(path))
            value = value[part]
        return value

    def to_json(self) -> dict[str, Any]:
        """Everything a report embeds to say which rules it applied."""
        return {
            "name": self.name,
            "version": self.version,
            "ref": self.ref,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "sources": [s.to_json() for s in self.sources.values()],
            "notes": list(self.notes),
            "parameters": thaw(self.parameters),
        }


# --- reading files --------------------------------------------------------------------------


def load_file(path: Path | Traversable) -> RuleSet:
    """Read and check one rule-set file (its name must be ``<name>.v<version>.json``)."""
    where = str(path)
    match = FILE_RE.fullmatch(path.name)
    if match is None:
        raise LedgerError(RULESET_INVALID, path=where, detail="the file name must be <name>.v<version>.json")
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"), parse_float=_refuse_float, object_pairs_hook=no_duplicates)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LedgerError(RULESET_INVALID, path=where, detail=str(exc)) from exc
    try:
        return _build(raw, match["name"], int(match["version"]), where)
    except ParamError as exc:
        raise LedgerError(RULESET_INVALID, path=where, detail=str(exc)) from exc


def _build(raw: Any, name: str, version: int, where: str) -> RuleSet:
    if not isinstance(raw, dict):
        raise ParamError("$", "the file must hold one JSON object")
    allowed = {
        "format",
        "name",
        "version",
        "title_zh",
        "title_en",
        "effective_from",
        "effective_to",
        "sources",
        "notes",
        "parameters",
    }
    extra = sorted(set(raw) - allowed)
    if extra:
        raise ParamError("$", f"unknown field(s) {', '.join(extra)}")
    if raw.get("format") != FORMAT:
        raise ParamError("format", f"must be {FORMAT}")
    if raw.get("name") != name or raw.get("version") != version:
        raise ParamError(
            "name/version",
            f"the file says {raw.get('name')!r} version {raw.get('version')!r}, its name says {name!r} version {version}",
        )
    effective_from = _date(raw.get("effective_from"), "effective_from")
    effective_to = None if raw.get("effective_to") is None else _date(raw.get("effective_to"), "effective_to")
    if effective_to is not None and effective_to < effective_from:
        raise ParamError("effective_to", "must not be before effective_from")
    sources = _sources(raw.get("sources"))
    notes = raw.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, str) for n in notes):
        raise ParamError("notes", "a list of strings is required")
    params = raw.get("parameters")
    if not isinstance(params, dict):
        raise ParamError("parameters", "an object is required")
    ids = frozenset(sources)
    ratios = parse_spending_ratios(params["spending_ratios"], ids) if "spending_ratios" in params else None
    deadlines = parse_deadlines(params["deadlines"], ids) if "deadlines" in params else {}
    for key in ("title_zh", "title_en"):
        if not isinstance(raw.get(key, ""), str):
            raise ParamError(key, "a string is required")
    return RuleSet(
        name=name,
        version=version,
        effective_from=effective_from,
        effective_to=effective_to,
        parameters=freeze(params),
        sources=MappingProxyType(sources),
        notes=tuple(notes),
        title_zh=raw.get("title_zh", ""),
        title_en=raw.get("title_en", ""),
        spending_ratios=ratios,
        deadlines=MappingProxyType(deadlines),
        origin=where,
    )


def _sources(sources_raw: Any) -> dict[str, Source]:
    """The rule set's sources by id: every rule names one, so at least one is required."""
    sources: dict[str, Source] = {}
    if not isinstance(sources_raw, list) or not sources_raw:
        raise ParamError("sources", "a non-empty list is required: every rule names its source")
    for i, s in enumerate(sources_raw):
        if not isinstance(s, dict) or set(s) - {"id", "title_zh", "title_en", "citation", "in_force", "note"}:
            raise ParamError(f"sources[{i}]", "an object with id, title_zh, title_en, citation, in_force, note")
        for key in ("id", "title_zh", "title_en", "citation"):
            if not isinstance(s.get(key), str) or not s[key].strip():
                raise ParamError(f"sources[{i}].{key}", "a non-empty string is required")
        if s["id"] in sources:
            raise ParamError(f"sources[{i}].id", f"duplicate source id {s['id']!r}")
        sources[s["id"]] = Source(
            id=s["id"],
            title_zh=s["title_zh"],
            title_en=s["title_en"],
            citation=s["citation"],
            in_force=None if s.get("in_force") is None else _date(s["in_force"], f"sources[{i}].in_force"),
            note=s.get("note"),
        )
    return sources


def _date(value: Any, path: str) -> date:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII):
        raise ParamError(path, "a date YYYY-MM-DD is required")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ParamError(path, str(exc)) from exc


def _refuse_float(text: str) -> Any:
    raise ValueError(f"the number {text} has a fraction: write money in fen and ratios in basis points")


def freeze(value: Any) -> Any:
    """Read-only deep copy: dicts become mapping proxies, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`, for JSON output."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


# --- the registry ---------------------------------------------------------------------------


class RuleSetRegistry:
    """All known versions of all rule sets, with their effective ranges resolved."""

    def __init__(self, rulesets: Iterable[RuleSet]) -> None:
        by_name: dict[str, list[RuleSet]] = {}
        for rs in rulesets:
            by_name.setdefault(rs.name, []).append(rs)
        self._by_name: dict[str, tuple[RuleSet, ...]] = {}
        for name, versions in by_name.items():
            self._by_name[name] = _resolve(sorted(versions, key=lambda r: r.version))

    @classmethod
    def load(cls, *dirs: Path | Traversable, packaged: bool = True) -> RuleSetRegistry:
        """The packaged rule sets (unless ``packaged=False``) plus the files in ``dirs``."""
        folders: list[Path | Traversable] = []
        if packaged:
            folders.append(resources.files(__name__))
        folders.extend(Path(d) if isinstance(d, str) else d for d in dirs)
        found: list[RuleSet] = []
        for folder in folders:
            for entry in sorted(folder.iterdir(), key=lambda e: e.name):
                if entry.name.endswith(".json") and entry.is_file():
                    found.append(load_file(entry))
        return cls(found)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_name))

    def versions(self, name: str) -> tuple[RuleSet, ...]:
        versions = self._by_name.get(name)
        if versions is None:
            raise LedgerError(RULESET_UNKNOWN, name=name, known=", ".join(self.names()) or "none")
        return versions

    def get(self, name: str, version: int) -> RuleSet:
        versions = self.versions(name)
        for rs in versions:
            if rs.version == version:
                return rs
        raise LedgerError(RULESET_VERSION_UNKNOWN, name=name, version=version, versions=_list(versions))

    def ref(self, ref: str) -> RuleSet:
        """The version a report or the genesis entry names: ``"cn-charity/1"``."""
        match = REF_RE.fullmatch(ref) if isinstance(ref, str) else None
        if match is None:
            raise LedgerError(RULESET_UNKNOWN, name=ref, known=", ".join(self.names()) or "none")
        return self.get(match["name"], int(match["version"]))

    def in_force(self, name: str, on: date) -> RuleSet:
        versions = self.versions(name)
        for rs in versions:
            if rs.in_force_on(on):
                return rs
        raise LedgerError(RULESET_NOT_IN_FORCE, name=name, on=on.isoformat(), versions=_list(versions))


def _resolve(versions: list[RuleSet]) -> tuple[RuleSet, ...]:
    """Check versions are distinct and ordered, and end each open version at its successor."""
    out: list[RuleSet] = []
    for i, rs in enumerate(versions):
        if i and versions[i - 1].version == rs.version:
            raise LedgerError(
                RULESET_INVALID, path=rs.origin, detail=f"{rs.ref} is defined twice (also in {versions[i - 1].origin})"
            )
        nxt = versions[i + 1] if i + 1 < len(versions) else None
        if nxt is not None and nxt.version != rs.version:
            if nxt.effective_from <= rs.effective_from:
                raise LedgerError(
                    RULESET_INVALID,
                    path=nxt.origin,
                    detail=f"{nxt.ref} must take effect after {rs.ref} ({rs.effective_from})",
                )
            last_day = nxt.effective_from - timedelta(days=1)
            if rs.effective_to is None:
                rs = replace(rs, effective_to=last_day)
            elif rs.effective_to > last_day:
                raise LedgerError(
                    RULESET_INVALID,
                    path=rs.origin,
                    detail=f"{rs.ref} (to {rs.effective_to}) overlaps {nxt.ref} (from {nxt.effective_from})",
                )
        out.append(rs)
    return tuple(out)


def _list(versions: Iterable[RuleSet]) -> str:
    return ", ".join(f"{rs.version} ({rs.effective_from}–{rs.effective_to or '…'})" for rs in versions)


@lru_cache(maxsize=1)
def default_registry() -> RuleSetRegistry:
    """The rule sets shipped with this package (read once per process)."""
    return RuleSetRegistry.load()


def ruleset(name: str, on: date, *, registry: RuleSetRegistry | None = None) -> RuleSet:
    """The version of rule set ``name`` in force on ``on``; ``ruleset_not_in_force`` when none is."""
    return (registry or default_registry()).in_force(name, on)


def ruleset_ref(ref: str, *, registry: RuleSetRegistry | None = None) -> RuleSet:
    """The exact version a report names (``"cn-charity/1"``), to recheck it later."""
    return (registry or default_registry()).ref(ref)
