"""Charts drawn as server-side SVG (no chart library, nothing to download, works without JS).

Each chart is an `<svg role="img">` with a title and a description; an empty series gives a
plain "No data yet" text instead of a chart (D33: nothing crashes on empty parts). All text is
escaped; numbers are formatted here, never in templates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 190
PLOT_WIDTH = 360
VALUE_WIDTH = 70
COLUMN_MIN_WIDTH = 520


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value, how the value reads, and an optional css class."""

    label: str
    value: float
    text: str = ""
    kind: str = ""


def _empty(title: str) -> Markup:
    return Markup('<p class="empty" data-chart="{}">No data yet</p>').format(title)


def bar_chart(title: str, bars: Sequence[Bar], maximum: float | None = None) -> Markup:
    """Horizontal bars, one row per item (`maximum` fixes the scale, e.g. 100 for rates)."""
    if not bars:
        return _empty(title)
    top = maximum or max((b.value for b in bars), default=0) or 1
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    rows = []
    for index, bar in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        length = max(0.0, min(1.0, bar.value / top)) * PLOT_WIDTH
        label = bar.label if len(bar.label) <= 24 else bar.label[:23] + "…"
        rows.append(
            Markup(
                '<g class="row"><title>{full}: {text}</title>'
                '<text x="{lx}" y="{ty}" text-anchor="end">{label}</text>'
                '<rect class="bar {kind}" x="{bx}" y="{y}" width="{w:.1f}" height="{h}" rx="3"/>'
                '<text x="{vx:.1f}" y="{ty}">{text}</text></g>'
            ).format(
                full=bar.label,
                text=bar.text or f"{bar.value:g}",
                lx=LABEL_WIDTH - 8,
                ty=y + BAR_HEIGHT - 6,
                label=label,
                kind=bar.kind,
                bx=LABEL_WIDTH,
                y=y,
                w=length,
                h=BAR_HEIGHT,
                vx=LABEL_WIDTH + length + 6,
            )
        )
    return Markup(
        '<svg class="chart" role="img" aria-label="{title}" data-chart="{title}" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}"><title>{title}</title>{rows}</svg>'
    ).format(title=title, w=width, h=height, rows=Markup("").join(rows))


def column_chart(
    title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]]
) -> Markup:
    """Grouped vertical columns per label (e.g. sessions and messages per day)."""
    if not labels or not series or not any(any(v for v in values) for _, values in series):
        return _empty(title)
    plot_h, base = 160, 190
    # A fixed minimum width: one day of data drew a 112 px chart whose legend was cut off.
    width = max(COLUMN_MIN_WIDTH, 40 + 72 * len(labels))
    slot = (width - 40) / len(labels)
    group_w = min(slot - 16, 112)
    top = max(max(values) for _, values in series) or 1
    col_w = group_w / len(series)
    parts = [
        Markup('<line class="axis" x1="30" y1="{b}" x2="{x2}" y2="{b}"/>').format(b=base, x2=width)
    ]
    for i, label in enumerate(labels):
        x0 = 36 + i * slot + (slot - 16 - group_w) / 2
        for j, (name, values) in enumerate(series):
            value = values[i]
            h = value / top * plot_h
            parts.append(
                Markup(
                    '<rect class="bar s{j}" x="{x:.1f}" y="{y:.1f}" '
                    'width="{w:.1f}" height="{h:.1f}">'
                    "<title>{label}: {value:g} {name}</title></rect>"
                ).format(
                    j=j,
                    x=x0 + j * col_w,
                    y=base - h,
                    w=col_w - 2,
                    h=h,
                    label=label,
                    value=value,
                    name=name,
                )
            )
        parts.append(
            Markup('<text x="{x:.1f}" y="{y}" text-anchor="middle">{label}</text>').format(
                x=x0 + group_w / 2,
                y=base + 16,
                label=label[5:] if len(label) == 10 else label,
            )
        )
    parts.extend(_legend([name for name, _ in series]))
    return Markup(
        '<svg class="chart" role="img" aria-label="{title}" data-chart="{title}" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}"><title>{title}</title>{parts}</svg>'
    ).format(title=title, w=width, h=base + 28, parts=Markup("").join(parts))


def _legend(names: Sequence[str]) -> list[Markup]:
    """A swatch and a name per series along the top (shapes, not "■" text: every font draws
    them), each entry placed after the previous one's estimated width."""
    out, x = [], 30.0
    for j, name in enumerate(names):
        out.append(
            Markup(
                '<g class="legend-item"><rect class="legend s{j}" x="{x:.1f}" y="4" '
                'width="10" height="10"/><text x="{tx:.1f}" y="13">{name}</text></g>'
            ).format(j=j, x=x, tx=x + 14, name=name)
        )
        x += 14 + 7.5 * len(name) + 16
    return out


__all__ = ["Bar", "bar_chart", "column_chart"]
