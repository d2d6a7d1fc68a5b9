"""The fund-flow diagram of a project: a Sankey layout computed here, drawn as SVG by a template.

Columns, left to right: donor types -> the project -> implementers (and money not yet
allocated) -> spending categories (and money an implementer holds, not yet paid out) ->
payees (the largest, the rest together). Every link is an integer amount in minor units from
the projections; widths are proportional to it. The same links are listed as a table under
the diagram, so nothing is only in the picture.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ledger.domain.rows import AllocationBalanceRow
from ledger.domain.schemas import CATEGORIES
from ledger.store.reads.figures import DonorTypeTotal, SpendingFlow

WIDTH = 1040
NODE_W = 12
GAP = 12
LINE_H = 14  # one line of a node's label
LABEL_UNITS = 24  # a label line's width: a Latin letter counts 1, a CJK character 2
LABEL_LINES = 3
PLOT_H = 360
TOP = 16
COLUMNS_X = (170, 340, 510, 680, 850)
UNIT_PX = 7.0  # the width of one label unit (a Latin letter) at the diagram's 12 px, bold
MAX_PAYEES = 8


@dataclass
class Node:
    id: str
    column: int
    value: int
    label: str
    kind: str  # donor / project / implementer / unallocated / category / held / payee
    x: float = 0.0
    y: float = 0.0
    h: float = 0.0
    out_used: float = 0.0
    in_used: float = 0.0
    lines: list[str] = field(default_factory=list)

    @property
    def label_left(self) -> bool:
        return self.column == 0

    @property
    def room(self) -> float:
        """The height its label needs: the wrapped lines and the amount under them."""
        return LINE_H * (len(self.lines) + 1) + 4


def _label_units(column: int) -> int:
    """How many units a label line of ``column`` has room for: left of the first column, else
    up to the next column (or the right edge)."""
    if column == 0:
        room = COLUMNS_X[0] - 8
    else:
        right = COLUMNS_X[column + 1] if column + 1 < len(COLUMNS_X) else WIDTH
        room = right - COLUMNS_X[column] - NODE_W - 14
    return int(room / UNIT_PX)


def _units(ch: str) -> int:
    return 2 if ord(ch) >= 0x1100 else 1


def wrap_label(text: str, units: int = LABEL_UNITS, max_lines: int = LABEL_LINES) -> list[str]:
    """``text`` in lines of at most ``units`` (CJK characters count two), broken at spaces
    where there are any, else anywhere; an ellipsis ends the last line only when even
    ``max_lines`` lines are too few (the full text is in the node's title)."""
    lines: list[str] = []
    line, width = "", 0
    for word in text.replace("\n", " ").split(" "):
        piece = (" " if line else "") + word
        piece_w = sum(_units(c) for c in piece)
        if line and width + piece_w <= units:
            line, width = line + piece, width + piece_w
            continue
        if line:
            lines.append(line)
            line, width = "", 0
        for ch in word:  # a word too long for a line (or CJK text without spaces): break anywhere
            if width + _units(ch) > units:
                lines.append(line)
                line, width = "", 0
            line, width = line + ch, width + _units(ch)
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and sum(_units(c) for c in last) + 1 > units:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines or [""]


@dataclass
class Link:
    source: Node
    target: Node
    value: int
    path: str = ""


@dataclass
class Flow:
    nodes: list[Node] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    width: int = WIDTH
    height: int = 0

    @property
    def empty(self) -> bool:
        return not self.links

    @property
    def amounts(self) -> list[tuple[int, int]]:
        """Every amount the diagram writes (each node's value, each link's)."""
        return [(n.value, 0) for n in self.nodes] + [(k.value, 0) for k in self.links]

    @property
    def columns(self) -> dict[int, list[Node]]:
        """The nodes of each column, in order (the phone's stages)."""
        by_column: dict[int, list[Node]] = {}
        for n in self.nodes:
            by_column.setdefault(n.column, []).append(n)
        return by_column


def _layout(flow: Flow) -> None:
    columns: dict[int, list[Node]] = {}
    for n in flow.nodes:
        columns.setdefault(n.column, []).append(n)
    biggest = max((sum(n.value for n in col) for col in columns.values()), default=0)
    gaps = max((len(col) - 1) * GAP + len(col) * 4 for col in columns.values()) if columns else 0
    scale = (PLOT_H - gaps) / biggest if biggest else 0.0
    height = 0.0
    for column, col in columns.items():
        y = TOP
        for n in col:
            n.x = COLUMNS_X[column]
            n.y = y
            n.h = max(2.0, n.value * scale)
            y += max(n.h, n.room) + GAP
        height = max(height, y)
    flow.height = int(height + TOP)
    for link in flow.links:
        s, t = link.source, link.target
        w = link.value * scale
        sy0 = s.y + s.out_used
        ty0 = t.y + t.in_used
        s.out_used += w
        t.in_used += w
        w = max(w, 0.75)
        x0, x1 = s.x + NODE_W, t.x
        xm = (x0 + x1) / 2
        link.path = (
            f"M{x0:.1f},{sy0:.1f} C{xm:.1f},{sy0:.1f} {xm:.1f},{ty0:.1f} {x1:.1f},{ty0:.1f} "
            f"L{x1:.1f},{ty0 + w:.1f} C{xm:.1f},{ty0 + w:.1f} {xm:.1f},{sy0 + w:.1f} {x0:.1f},{sy0 + w:.1f} Z"
        )


def build_flow(
    *,
    project_label: str,
    donor_types: Sequence[DonorTypeTotal],
    balances: Sequence[AllocationBalanceRow],
    spending: Sequence[SpendingFlow],
    raised: int,
    label: Callable[[str, str], str],
) -> Flow:
    """Lay out the flow. ``label(kind, value)`` names donor types, organisations, categories."""
    flow = Flow()

    def node(id_: str, column: int, value: int, text: str, kind: str) -> Node:
        n = Node(id_, column, value, text, kind, lines=wrap_label(text, _label_units(column)))
        flow.nodes.append(n)
        return n

    def link(a: Node, b: Node, value: int) -> None:
        if value > 0:
            flow.links.append(Link(a, b, value))

    donors = [d for d in donor_types if d.amount > 0]
    if not donors:
        return flow
    project = node("project", 1, raised, project_label, "project")
    for d in donors:
        link(
            node(f"donor:{d.donor_type}", 0, d.amount, label("donor_type", d.donor_type), "donor"),
            project,
            d.amount,
        )

    allocated_total = 0
    implementers: dict[str, Node] = {}
    for b in balances:
        if b.allocated_minor > 0:
            implementers[b.implementer] = n = node(
                f"org:{b.implementer}", 2, b.allocated_minor, label("org", b.implementer), "implementer"
            )
            link(project, n, b.allocated_minor)
            allocated_total += b.allocated_minor
    if raised - allocated_total > 0:
        link(
            project,
            node("unallocated", 2, raised - allocated_total, label("state", "unallocated"), "unallocated"),
            raised - allocated_total,
        )

    by_category: dict[str, int] = {}
    by_impl_cat: dict[tuple[str, str], int] = {}
    by_payee: dict[str, int] = {}
    by_cat_payee: dict[tuple[str, str], int] = {}
    for s in spending:
        by_category[s.category] = by_category.get(s.category, 0) + s.amount
        key = (s.implementer, s.category)
        by_impl_cat[key] = by_impl_cat.get(key, 0) + s.amount
        by_payee[s.payee] = by_payee.get(s.payee, 0) + s.amount
    categories = {
        c: node(f"cat:{c}", 3, by_category[c], label("category", c), "category")
        for c in CATEGORIES
        if by_category.get(c)
    }
    held_total = sum(b.balance_minor for b in balances if b.implementer in implementers and b.balance_minor > 0)
    held = node("held", 3, held_total, label("state", "held"), "held") if held_total > 0 else None
    for impl, n in implementers.items():
        for c in CATEGORIES:
            if (impl, c) in by_impl_cat and c in categories:
                link(n, categories[c], by_impl_cat[(impl, c)])
        bal = next((b.balance_minor for b in balances if b.implementer == impl), 0)
        if held is not None and bal > 0:
            link(n, held, bal)

    top = sorted(by_payee, key=lambda p: (-by_payee[p], p))[:MAX_PAYEES]
    rest = [p for p in by_payee if p not in top]
    payee_nodes = {p: node(f"payee:{p}", 4, by_payee[p], p, "payee") for p in top}
    others = None
    if rest:
        others = node("payee:*", 4, sum(by_payee[p] for p in rest), label("others", str(len(rest))), "payee")
    for s in spending:
        p = s.payee if s.payee in payee_nodes else None
        key = (s.category, p or "*")
        by_cat_payee[key] = by_cat_payee.get(key, 0) + s.amount
    for c in CATEGORIES:
        if c not in categories:
            continue
        for p in top:
            link(categories[c], payee_nodes[p], by_cat_payee.get((c, p), 0))
        if others is not None:
            link(categories[c], others, by_cat_payee.get((c, "*"), 0))
    _layout(flow)
    return flow
