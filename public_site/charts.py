"""The monthly money in / money out chart of a project or an organisation: bars laid out here,
drawn as SVG by ``templates/chart.html`` (server-rendered, no script), with the same figures
in a table beside it and an ``aria-label`` that says what the chart shows."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_MONTHS = 36
WIDTH = 720
HEIGHT = 200
LEFT = 8
BOTTOM = 22  # room for the month labels
TOP = 8


@dataclass(frozen=True, slots=True)
class Month:
    month: str  # YYYY-MM
    money_in: int
    money_out: int
    x: float
    bar_w: float
    in_h: float
    out_h: float
    labelled: bool = False  # the month's name is written under it (every few months when there are many)
    label_odd: bool = False  # a name of the second row (staggered when there are more than 6 months)
    # the coordinates as the SVG writes them (one decimal), computed here once rather than by
    # a format filter per bar in the template: x of the in bar, of the out bar (and the
    # month's name), the bars' width, the tops of the two bars
    x_text: str = ""
    out_x_text: str = ""
    bar_w_text: str = ""
    in_y_text: str = ""
    out_y_text: str = ""


@dataclass
class MonthlyChart:
    currency: str
    months: list[Month] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    base: int = HEIGHT - BOTTOM
    dropped: int = 0  # earlier months left out of the picture (still in the table of exports)

    @property
    def empty(self) -> bool:
        return not self.months

    @property
    def total_in(self) -> int:
        return sum(m.money_in for m in self.months)

    @property
    def total_out(self) -> int:
        return sum(m.money_out for m in self.months)

    @property
    def amounts(self) -> list[tuple[int, int]]:
        """Each month's money in and out."""
        return [(m.money_in, m.money_out) for m in self.months]


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    end = (int(last[:4]), int(last[5:7]))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def build_monthly(
    money_in: dict[tuple[str, str], int], money_out: dict[tuple[str, str], int], currency: str
) -> MonthlyChart:
    """Bars for every month from the first to the last with money in or out (gaps shown as
    empty months), the latest :data:`MAX_MONTHS` of them, in ``currency``."""
    chart = MonthlyChart(currency)
    ins = {m: v for (m, c), v in money_in.items() if c == currency and m}
    outs = {m: v for (m, c), v in money_out.items() if c == currency and m}
    seen = sorted({*ins, *outs})
    if not seen:
        return chart
    months = _months_between(seen[0], seen[-1])
    chart.dropped = max(0, len(months) - MAX_MONTHS)
    months = months[-MAX_MONTHS:]
    top = max([*(ins.get(m, 0) for m in months), *(outs.get(m, 0) for m in months), 1])
    plot_h = chart.base - TOP
    slot = (WIDTH - LEFT) / len(months)
    bar_w = max(2.0, min(18.0, slot / 2 - 2))
    every = (len(months) + 11) // 12 or 1  # a month's name every this many months
    for i, m in enumerate(months):
        a, b = ins.get(m, 0), outs.get(m, 0)
        x = LEFT + i * slot + slot / 2 - bar_w
        in_h = round(a * plot_h / top, 1) if a else 0.0
        out_h = round(b * plot_h / top, 1) if b else 0.0
        chart.months.append(
            Month(
                m,
                a,
                b,
                x,
                bar_w,
                in_h,
                out_h,
                labelled=i % every == 0,
                label_odd=len(months) > 6 and bool((i // every) % 2),
                x_text=f"{x:.1f}",
                out_x_text=f"{x + bar_w:.1f}",
                bar_w_text=f"{bar_w:.1f}",
                in_y_text=f"{chart.base - in_h:.1f}",
                out_y_text=f"{chart.base - out_h:.1f}",
            )
        )
    return chart
