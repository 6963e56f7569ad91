"""Charts as inline SVG, drawn on the server: bars, a trend line and a funnel.

What a caller may rely on:

* Each function returns one ``<svg role="img" aria-labelledby="ID-title ID-desc">``
  with a ``<title>`` and a ``<desc>``; the page puts the same numbers beside it as a
  table, so nothing is only in the picture.
* Every drawn value carries ``data-label`` and ``data-value`` (the number as given, not
  the scaled length), and its number is also written as text on the chart.
* No ``style`` attribute and no script (the CSP forbids inline ones): colours are SVG
  presentation attributes, each at least 4.5:1 against the app's white and #f6f8fb
  backgrounds (WCAG AA for text, so also for the 3:1 that graphics need).
* A ``viewBox`` and ``class="chart"`` (width 100% in app.css): the chart scales to its
  column and never makes a page scroll sideways.
* Labels and titles are escaped; a chart with nothing to draw says so in its text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

INK = "#1d2433"  # 14.6:1 on #f6f8fb
MUTED = "#5b6475"  # 5.6:1
BAR = "#1d4ed8"  # 6.3:1
BAD = "#b42318"  # 5.9:1: a value below zero
GRID = "#5b6475"

FONT = 'font-family="system-ui, sans-serif"'


@dataclass(frozen=True)
class Datum:
    """One value to draw: its label, the number, and the number as the page shows it."""

    label: str
    value: float
    shown: str = ""

    @property
    def text(self) -> str:
        return self.shown or _plain(self.value)


def _plain(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _number(value: float) -> str:
    """A value for ``data-value``: an int as an int, else the float."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _open(ident: str, title: str, desc: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(ident)}" '
        f'role="img" aria-labelledby="{escape(ident)}-title {escape(ident)}-desc" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{escape(ident)}-title">{escape(title)}</title>'
        f'<desc id="{escape(ident)}-desc">{escape(desc)}</desc>'
    )


def _empty(ident: str, title: str, desc: str) -> Markup:
    width, height = 400, 60
    return Markup(
        _open(ident, title, desc, width, height)
        + f'<text x="8" y="34" font-size="14" fill="{MUTED}" {FONT}>Nothing to show yet.</text>'
        + "</svg>"
    )


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _text_width(text: str) -> int:
    """About how wide ``text`` is at font-size 13 (a proportional font's average)."""
    return int(len(text) * 7.2) + 4


def bar_chart(*, ident: str, title: str, desc: str, data: Sequence[Datum]) -> Markup:
    """Horizontal bars, one row per datum, in the order given; the scale starts at 0
    and a negative value is drawn leftwards of it in red."""
    if not data:
        return _empty(ident, title, desc)
    labels = [_short(d.label, 20) for d in data]
    width, row = 400, 30
    label_w = min(_text_width(max(labels, key=len)) + 10, 150)
    value_w = _text_width(max((d.text for d in data), key=len)) + 10
    width = max(width, label_w + value_w + 160)  # room for the bars whatever the text
    height = row * len(data) + 10
    low = min(0.0, *(d.value for d in data))
    high = max(0.0, *(d.value for d in data))
    span = (high - low) or 1.0
    plot = width - label_w - value_w
    zero = label_w + plot * (-low / span)
    parts = [_open(ident, title, desc, width, height)]
    parts.append(
        f'<line x1="{zero:.1f}" y1="2" x2="{zero:.1f}" y2="{height - 4}" '
        f'stroke="{GRID}" stroke-width="1"/>'
    )
    for i, d in enumerate(data):
        y = 5 + i * row
        length = plot * abs(d.value) / span
        x = zero - length if d.value < 0 else zero
        colour = BAD if d.value < 0 else BAR
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end" font-size="13" '
            f'fill="{INK}" {FONT}>{escape(labels[i])}</text>'
            f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{max(length, 1):.1f}" '
            f'height="{row - 10}" fill="{colour}" data-label="{escape(d.label)}" '
            f'data-value="{_number(d.value)}"><title>{escape(d.label)}: '
            f"{escape(d.text)}</title></rect>"
            f'<text x="{max(zero, x + length) + 6:.1f}" y="{y + 17}" font-size="13" '
            f'fill="{INK}" {FONT}>{escape(d.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(*, ident: str, title: str, desc: str, data: Sequence[Datum]) -> Markup:
    """A line through the data in the order given (oldest first), a dot and its number
    at each point, the first and last labels underneath; the scale starts at 0."""
    if not data:
        return _empty(ident, title, desc)
    width, height, left, right, top, bottom = 200, 96, 6, 6, 18, 22
    high = max(max(d.value for d in data), 1.0)
    step = (width - left - right) / max(len(data) - 1, 1)
    plot_h = height - top - bottom

    def point(i: int, d: Datum) -> tuple[float, float]:
        return left + i * step, top + plot_h * (1 - max(d.value, 0) / high)

    points = [point(i, d) for i, d in enumerate(data)]
    parts = [_open(ident, title, desc, width, height)]
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        f'stroke="{GRID}" stroke-width="1"/>'
    )
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    for (x, y), d in zip(points, data, strict=True):
        parts.append(
            f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{BAR}" '
            f'data-label="{escape(d.label)}" data-value="{_number(d.value)}">'
            f"<title>{escape(d.label)}: {escape(d.text)}</title></circle>"
        )
    last_x, last_y = points[-1]
    parts.append(
        f'<text x="{last_x:.1f}" y="{max(last_y - 6, 12):.1f}" text-anchor="end" '
        f'font-size="13" fill="{INK}" {FONT}>{escape(data[-1].text)}</text>'
        f'<text x="{left}" y="{height - 5}" font-size="12" fill="{MUTED}" {FONT}>'
        f"{escape(data[0].label)}</text>"
        f'<text x="{width - right}" y="{height - 5}" text-anchor="end" font-size="12" '
        f'fill="{MUTED}" {FONT}>{escape(data[-1].label)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def funnel_chart(*, ident: str, title: str, desc: str, data: Sequence[Datum]) -> Markup:
    """Centred bars narrowing step by step, each as wide as its count against the
    largest step, with the step's name and count written on its row."""
    if not data:
        return _empty(ident, title, desc)
    width, row = 400, 34
    height = row * len(data) + 6
    high = max(max(d.value for d in data), 1.0)
    label_w = min(max(_text_width(_short(d.label, 22)) for d in data) + 8, 170)
    widest = width - label_w - 4
    centre = label_w + widest / 2
    parts = [_open(ident, title, desc, width, height)]
    for i, d in enumerate(data):
        y = 3 + i * row
        length = max(widest * max(d.value, 0) / high, 2)
        parts.append(
            f'<text x="8" y="{y + 21}" font-size="13" fill="{INK}" {FONT}>'
            f"{escape(_short(d.label, 22))}</text>"
            f'<rect class="step" x="{centre - length / 2:.1f}" y="{y + 3}" '
            f'width="{length:.1f}" height="{row - 8}" fill="{BAR}" '
            f'data-label="{escape(d.label)}" data-value="{_number(d.value)}">'
            f"<title>{escape(d.label)}: {escape(d.text)}</title></rect>"
            + _step_count(d.text, centre, length, y + 21)
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _step_count(text: str, centre: float, length: float, baseline: int) -> str:
    """A funnel step's count: white inside a bar wide enough for it (6.7:1 on the bar),
    else in ink just right of the bar."""
    if length >= _text_width(text) + 8:
        return (
            f'<text x="{centre:.1f}" y="{baseline}" text-anchor="middle" font-size="13" '
            f'font-weight="700" fill="#ffffff" {FONT}>{escape(text)}</text>'
        )
    return (
        f'<text x="{centre + length / 2 + 6:.1f}" y="{baseline}" font-size="13" '
        f'font-weight="700" fill="{INK}" {FONT}>{escape(text)}</text>'
    )
