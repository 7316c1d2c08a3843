"""Charts drawn on the server as SVG: no chart library in the browser, the same file for the page,
the print and an e-mail.

Every chart: sized by its viewBox (it scales to its box), `role="img"` with a `<title>` and a
`<desc>` that say in words what it shows, black text on white, and series told apart by line
dashes, marker shapes and fill patterns as well as by colour, so a black-and-white print still
reads. Every piece of text goes through `_esc`. Data points carry a `<title>` with their value.

    svg = bar_chart("Vụ việc theo phường", "…", [("Phường Phú Mỹ", 120, "120")], "số vụ")
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

FONT = "system-ui, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"
WIDTH = 800
# Four series styles: colour (screen), dash and marker (print). Dark enough to print as grey.
STYLES = (
    ("#1f4e9c", "", "circle"),
    ("#b3261e", "8 4", "square"),
    ("#1b7a3a", "2 3", "triangle"),
    ("#6b3fa0", "10 3 2 3", "diamond"),
    ("#444444", "", "circle"),
)
PATTERNS = ("solid", "hatch", "dots", "cross", "solid")


def _esc(text: object) -> str:
    return escape(str(text))


def _attr(text: object) -> str:
    return quoteattr(str(text))


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def nice_max(value: float, ticks: int = 4) -> float:
    """The top of an axis of `ticks` equal steps of 1, 2 or 5 × 10^k, at or above `value`;
    steps below 1 only for values below 1 (counts get whole-number ticks)."""
    if value <= 0:
        return float(ticks)
    raw = value / ticks
    power = 10.0 ** math.floor(math.log10(raw))
    # 2.5 only where it still makes whole ticks (25, 250 …), not 2.5 incidents.
    steps = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)
    step = next(m * power for m in steps if m * power >= raw)
    return (step if value < 1 else max(step, 1.0)) * ticks


def _svg(title: str, desc: str, height: float, body: list[str]) -> str:
    svg = "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" '
        f'role="img" aria-labelledby="chart-title chart-desc" font-family={_attr(FONT)} '
        f'font-size="13" class="chart">',
        f'<title id="chart-title">{_esc(title)}</title>',
        f'<desc id="chart-desc">{_esc(desc)}</desc>',
        _defs(),
        f'<rect width="{WIDTH}" height="{_n(height)}" fill="#fff"/>',
        f'<text x="16" y="26" font-size="16" font-weight="600">{_esc(title)}</text>',
        *body,
        "</svg>",
    ])
    # Ids of its own, so that several charts inlined in one page (the print) do not collide.
    uid = "c" + hashlib.sha1(svg.encode()).hexdigest()[:8]
    for old, new in (('id="chart-', f'id="{uid}-'), ("chart-title chart-desc", f"{uid}-title {uid}-desc"),
                     ('id="p-', f'id="{uid}-p-'), ("(#p-", f"(#{uid}-p-")):
        svg = svg.replace(old, new)
    return svg


def _defs() -> str:
    return (
        "<defs>"
        '<pattern id="p-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#333" stroke-width="2.5"/></pattern>'
        '<pattern id="p-dots" width="5" height="5" patternUnits="userSpaceOnUse">'
        '<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.4" fill="#333"/>'
        "</pattern>"
        '<pattern id="p-cross" width="6" height="6" patternUnits="userSpaceOnUse">'
        '<rect width="6" height="6" fill="#fff"/><path d="M0 3H6M3 0V6" stroke="#333" '
        'stroke-width="1.2"/></pattern>'
        "</defs>"
    )


def _style(k: int, colours: Sequence[str] | None = None) -> tuple[str, str, str]:
    """Series k's colour, dash and marker; `colours`: the series' own colours (the categories')."""
    colour, dash, shape = STYLES[k % len(STYLES)]
    return (colours[k] if colours and k < len(colours) else colour), dash, shape


def _fill(k: int, colours: Sequence[str] | None = None) -> str:
    pattern = PATTERNS[k % len(PATTERNS)]
    return _style(k, colours)[0] if pattern == "solid" else f"url(#p-{pattern})"


def _marker(shape: str, x: float, y: float, colour: str, label: str) -> str:
    tip = f"<title>{_esc(label)}</title>"
    common = f'class="point" fill="#fff" stroke={_attr(colour)} stroke-width="1.5"'
    if shape == "square":
        return f'<rect {common} x="{_n(x - 3)}" y="{_n(y - 3)}" width="6" height="6">{tip}</rect>'
    if shape == "triangle":
        pts = f"{_n(x)},{_n(y - 4)} {_n(x + 4)},{_n(y + 3)} {_n(x - 4)},{_n(y + 3)}"
        return f'<polygon {common} points="{pts}">{tip}</polygon>'
    if shape == "diamond":
        pts = f"{_n(x)},{_n(y - 4)} {_n(x + 4)},{_n(y)} {_n(x)},{_n(y + 4)} {_n(x - 4)},{_n(y)}"
        return f'<polygon {common} points="{pts}">{tip}</polygon>'
    return f'<circle {common} cx="{_n(x)}" cy="{_n(y)}" r="3">{tip}</circle>'


@dataclass(frozen=True)
class Frame:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def _y_axis(frame: Frame, top_value: float, label: str, fmt=_n) -> list[str]:  # type: ignore[no-untyped-def]
    out = ['<g class="y-axis" font-size="11" text-anchor="end">']
    for k in range(5):
        value = top_value * k / 4
        y = frame.bottom - frame.height * k / 4
        out.append(f'<line x1="{_n(frame.left)}" x2="{_n(frame.right)}" y1="{_n(y)}" y2="{_n(y)}" '
                   f'stroke="#ccc" stroke-width="{1 if k else 1.5}"/>')
        out.append(f'<text x="{_n(frame.left - 6)}" y="{_n(y + 4)}">{_esc(fmt(value))}</text>')
    out.append(f'<text x="{_n(frame.left - 6)}" y="{_n(frame.top - 10)}">{_esc(label)}</text>')
    out.append("</g>")
    return out


def _x_labels(frame: Frame, labels: Sequence[str], xs: Sequence[float]) -> list[str]:
    every = max(1, math.ceil(len(labels) / 10))
    out = ['<g class="x-axis" font-size="11" text-anchor="middle">']
    for k in range(0, len(labels), every):
        out.append(f'<text x="{_n(xs[k])}" y="{_n(frame.bottom + 18)}">{_esc(labels[k])}</text>')
    out.append("</g>")
    return out


def _legend(names: Sequence[str], y: float, area: bool, colours: Sequence[str] | None = None) -> list[str]:
    out = ['<g class="legend" font-size="12">']
    x = 16.0
    for k, name in enumerate(names):
        colour, dash, shape = _style(k, colours)
        if area:
            out.append(f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="18" height="12" '
                       f'fill="{_fill(k, colours)}" stroke="#333"/>')
        else:
            out.append(f'<line x1="{_n(x)}" x2="{_n(x + 24)}" y1="{_n(y - 3)}" y2="{_n(y - 3)}" '
                       f'stroke={_attr(colour)} stroke-width="2" stroke-dasharray={_attr(dash)}/>')
            out.append(_marker(shape, x + 12, y - 3, colour, name).replace('class="point"', ""))
        out.append(f'<text x="{_n(x + 30)}" y="{_n(y + 1)}">{_esc(name)}</text>')
        x += 40 + 7.2 * len(name)
    out.append("</g>")
    return out


def line_chart(
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    y_label: str,
    area: bool = False,
    colours: Sequence[str] | None = None,
) -> str:
    """Lines (or stacked areas) over the same x positions; one marker per point and series.
    With data at one x position only, stacked columns instead: a line from the zero of the day
    before would show a rise that never happened (counts per day are not a continuous quantity)."""
    n = len(x_labels)
    if sum(any(values[i] for _, values in series) for i in range(n)) <= 1:
        return column_chart(title, desc, x_labels, series, y_label, colours)
    frame = Frame(64, 76, WIDTH - 24, 340)
    xs = [frame.left + (frame.width * (k + 0.5) / n if n else 0) for k in range(n)]
    stacked = [0.0] * n
    tops: list[list[float]] = []
    for _, values in series:
        stacked = [a + b for a, b in zip(stacked, values, strict=True)] if area else list(values)
        tops.append(stacked)
    peak = nice_max(max((v for top in tops for v in top), default=0))
    y = lambda v: frame.bottom - frame.height * v / peak  # noqa: E731
    body = _legend([name for name, _ in series], 52, area, colours)
    body += _y_axis(frame, peak, y_label)
    body += _x_labels(frame, x_labels, xs)
    below = [0.0] * n
    for k, (name, values) in enumerate(series):
        colour, dash, shape = _style(k, colours)
        line = " ".join(f"{_n(xs[i])},{_n(y(tops[k][i]))}" for i in range(n))
        body.append(f'<g class="series" data-series={_attr(name)}>')
        if area and n:
            base = " ".join(f"{_n(xs[i])},{_n(y(below[i]))}" for i in reversed(range(n)))
            body.append(f'<polygon class="area" points="{line} {base}" fill="{_fill(k, colours)}" '
                        f'fill-opacity="0.85" stroke="#333" stroke-width="0.8"/>')
        else:
            body.append(f'<polyline class="line" points="{line}" fill="none" stroke={_attr(colour)} '
                        f'stroke-width="2" stroke-dasharray={_attr(dash)}/>')
        if n <= 120:
            body += [_marker(shape, xs[i], y(tops[k][i]), colour, f"{name}, {x_labels[i]}: {_n(values[i])}")
                     for i in range(n)]
        body.append("</g>")
        below = tops[k]
    return _svg(title, desc, 370, body)


def column_chart(
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    y_label: str,
    colours: Sequence[str] | None = None,
) -> str:
    """Stacked columns, one per x position (a day, a week): each bucket stands on its own, no
    line joins it to its neighbours. A series' part of a column is filled with its pattern."""
    frame = Frame(64, 76, WIDTH - 24, 340)
    n = len(x_labels)
    slot = frame.width / n if n else frame.width
    thick = min(slot * 0.7, 48.0)
    xs = [frame.left + slot * (k + 0.5) for k in range(n)]
    totals = [sum(values[i] for _, values in series) for i in range(n)]
    peak = nice_max(max(totals, default=0))
    scale = frame.height / peak
    body = _legend([name for name, _ in series], 52, True, colours)
    body += _y_axis(frame, peak, y_label)
    body += _x_labels(frame, x_labels, xs)
    below = [0.0] * n
    for k, (name, values) in enumerate(series):
        body.append(f'<g class="series" data-series={_attr(name)}>')
        for i in range(n):
            if values[i]:
                top = below[i] + values[i]
                body.append(
                    f'<rect class="bar" x="{_n(xs[i] - thick / 2)}" y="{_n(frame.bottom - top * scale)}" '
                    f'width="{_n(thick)}" height="{_n(values[i] * scale)}" fill="{_fill(k, colours)}" '
                    f'stroke="#333" stroke-width="0.8"><title>{_esc(name)}, {_esc(x_labels[i])}: '
                    f"{_n(values[i])}</title></rect>"
                )
                below[i] = top
        body.append("</g>")
    return _svg(title, desc, 370, body)


def bar_chart(
    title: str, desc: str, rows: Sequence[tuple[str, float, str]], x_label: str, top_value: float | None = None
) -> str:
    """Horizontal bars: a label on the left (cut at 30 characters, whole in the bar's title),
    the value written at the end of each bar."""
    bar_h, gap, top = 18, 6, 64
    label_w = 230
    frame = Frame(label_w + 16, top, WIDTH - 70, top + len(rows) * (bar_h + gap))
    peak = top_value or nice_max(max((v for _, v, _ in rows), default=0))
    body = ['<g class="x-axis" font-size="11" text-anchor="middle">']
    for k in range(5):
        x = frame.left + frame.width * k / 4
        body.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(frame.top - 4)}" y2="{_n(frame.bottom)}" '
                    f'stroke="#ccc"/>')
        body.append(f'<text x="{_n(x)}" y="{_n(frame.top - 10)}">{_esc(_n(peak * k / 4))}</text>')
    body.append(f'<text x="{_n(frame.right)}" y="{_n(frame.top - 26)}" text-anchor="end">'
                f'{_esc(x_label)}</text></g>')
    for k, (label, value, text) in enumerate(rows):
        y0 = frame.top + k * (bar_h + gap) + gap / 2
        short = label if len(label) <= 30 else label[:29] + "…"
        width = frame.width * min(value / peak, 1) if peak else 0
        body.append(f'<g class="row"><title>{_esc(label)}: {_esc(text)}</title>')
        body.append(f'<text x="{_n(frame.left - 8)}" y="{_n(y0 + 13)}" text-anchor="end">{_esc(short)}</text>')
        body.append(f'<rect class="bar" x="{_n(frame.left)}" y="{_n(y0)}" width="{_n(width)}" '
                    f'height="{bar_h}" fill="#1f4e9c" stroke="#0d2a57"/>')
        body.append(f'<text x="{_n(frame.left + width + 6)}" y="{_n(y0 + 13)}" font-weight="600">'
                    f'{_esc(text)}</text></g>')
    if not rows:
        body.append(f'<text x="{WIDTH / 2}" y="{top + 30}" text-anchor="middle">—</text>')
    return _svg(title, desc, max(frame.bottom, top + 40) + 24, body)


def histogram_chart(
    title: str,
    desc: str,
    bins: Sequence[tuple[float, float | None, int]],
    markers: Sequence[tuple[str, float]],
    x_label: str,
    y_label: str,
    fmt=_n,  # type: ignore[no-untyped-def]
) -> str:
    """Vertical bars, one per bin (the last may be open: "≥ x"), and labelled vertical markers
    (median, 90th percentile) drawn with different dashes."""
    frame = Frame(64, 70, WIDTH - 24, 330)
    n = len(bins)
    peak = nice_max(max((c for _, _, c in bins), default=0))
    slot = frame.width / n if n else frame.width
    body = _y_axis(frame, peak, y_label)
    body.append('<g class="bars">')
    for k, (lo, hi, count) in enumerate(bins):
        h = frame.height * count / peak
        x = frame.left + k * slot
        span = f"≥ {fmt(lo)}" if hi is None else f"{fmt(lo)}–{fmt(hi)}"
        body.append(f'<rect class="bar" x="{_n(x + 1)}" y="{_n(frame.bottom - h)}" '
                    f'width="{_n(max(slot - 2, 1))}" height="{_n(h)}" '
                    f'fill="{"url(#p-hatch)" if hi is None else "#1f4e9c"}" stroke="#0d2a57">'
                    f"<title>{_esc(span)}: {count}</title></rect>")
    body.append("</g>")
    every = max(1, math.ceil(n / 8))
    body.append('<g class="x-axis" font-size="11" text-anchor="middle">')
    for k in range(0, n, every):
        lo, hi, _ = bins[k]
        text = f"≥ {fmt(lo)}" if hi is None else fmt(lo)
        body.append(f'<text x="{_n(frame.left + k * slot)}" y="{_n(frame.bottom + 18)}">{_esc(text)}</text>')
    body.append(f'<text x="{_n(frame.right)}" y="{_n(frame.bottom + 38)}" text-anchor="end">'
                f"{_esc(x_label)}</text></g>")
    finite = [b for b in bins if b[1] is not None]
    limit = finite[-1][1] if finite else 0
    for k, (label, value) in enumerate(markers):
        if not limit or value is None or not math.isfinite(value):
            continue
        # A value beyond the last closed bin sits in the open one.
        x = frame.left + (min(value / limit, 1) * (n - 1) * slot if limit else 0)
        dash = ("", "6 4", "2 3")[k % 3]
        body.append(f'<g class="marker"><line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(frame.top - 8)}" '
                    f'y2="{_n(frame.bottom)}" stroke="#000" stroke-width="2" '
                    f'stroke-dasharray={_attr(dash)}/>')
        # Near the right edge the label goes to the left of its line, not off the chart.
        side = 'text-anchor="end"' if x > frame.right - 140 else ""
        body.append(f'<text x="{_n(x - 4 if side else x + 4)}" y="{_n(frame.top - 12 + 14 * k)}" '
                    f'font-weight="600" {side}>{_esc(label)}: {_esc(fmt(value))}</text></g>')
    return _svg(title, desc, 380, body)
