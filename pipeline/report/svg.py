"""Small inline-SVG chart builders for the static report.

Plain strings, no charting library: the page must open offline, and every label
is real `<text>` (selectable, searchable, rendered by the viewer's own Korean
font). Text widths are estimated (Hangul and other wide glyphs ~1 em, the rest
~0.58 em), which is enough to lay out labels and truncate long names.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from html import escape

FONT_STACK = (
    "'NanumGothic', 'Nanum Gothic', 'Noto Sans CJK KR', 'Noto Sans KR', 'Malgun Gothic', "
    "'Apple SD Gothic Neo', sans-serif"
)
PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
REST_COLOR = "#d4d4d4"
INK, MUTED, GRID = "#222222", "#666666", "#e6e6e6"
WIDTH = 880


def text_width(text: str, size: float) -> float:
    """Estimated rendered width of text in px."""
    return sum(size * (1.0 if unicodedata.east_asian_width(c) in "WF" else 0.58) for c in text)


def truncate(text: str, size: float, max_width: float) -> str:
    if text_width(text, size) <= max_width:
        return text
    while text and text_width(text + "…", size) > max_width:
        text = text[:-1]
    return text.rstrip() + "…"


def nice_ticks(max_value: float, n: int = 5) -> list[float]:
    """Round tick values from 0 to at least max_value."""
    if max_value <= 0:
        return [0, 1]
    raw = max_value / n
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(int(math.ceil(max_value / step)) + 1)]


def fmt_int(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 12,
    anchor: str = "start",
    fill: str = INK,
    weight: str | None = None,
    cls: str | None = None,
) -> str:
    attrs = f'x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    if cls:
        attrs += f' class="{cls}"'
    return f"<text {attrs}>{escape(text)}</text>"


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str | None = None) -> str:
    title = f"<title>{escape(tip)}</title>" if tip else ""
    return f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" fill="{fill}">{title}</rect>'


def _link(href: str | None, inner: str) -> str:
    """`inner` as a link to `href` (a #fragment of the page: the activity table, filtered), or as is."""
    return f'<a href="{escape(href)}">{inner}</a>' if href else inner


def _svg(chart_id: str, height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg id="{chart_id}" class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(label)}" viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'font-family="{escape(FONT_STACK)}"><title>{escape(label)}</title>' + "".join(body) + "</svg>"
    )


def empty_chart(chart_id: str, label: str, message: str = "데이터 없음 — no data yet") -> str:
    return _svg(chart_id, 60, label, [_text(WIDTH / 2, 35, message, size=14, anchor="middle", fill=MUTED)])


def legend(items: Sequence[tuple[str, str]], y: float, x0: float = 0, size: float = 12) -> tuple[list[str], float]:
    """Swatches with labels, wrapped over lines; returns the elements and the height used."""
    parts, x, line = [], x0, 0
    for name, color in items:
        w = 16 + text_width(name, size) + 18
        if x + w > WIDTH and x > x0:
            x, line = x0, line + 1
        yy = y + line * (size + 8)
        parts.append(_rect(x, yy - size + 2, 11, 11, color))
        parts.append(_text(x + 16, yy, name, size=size))
        x += w
    return parts, (line + 1) * (size + 8)


AXIS_TITLE_SIZE = 12


def axis_title(x: float, y: float, text: str, axis: str, *, anchor: str = "middle", rotate: bool = False) -> str:
    """An axis title (class `axis-title`, `data-axis` x or y): every chart names what each axis measures."""
    transform = f' transform="rotate(-90 {x:.1f} {y:.1f})"' if rotate else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{AXIS_TITLE_SIZE}" text-anchor="{anchor}" fill="{MUTED}" '
        f'font-weight="bold" class="axis-title" data-axis="{axis}"{transform}>{escape(text)}</text>'
    )


def _value_axis(
    x0: float, x1: float, top: float, bottom: float, ticks: list[float], fmt: Callable[[float], str], title: str
) -> list[str]:
    """Vertical grid lines with tick labels under them, and the axis title under the labels."""
    parts = []
    scale = (x1 - x0) / ticks[-1]
    for t in ticks:
        x = x0 + t * scale
        parts.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="{GRID}"/>')
        parts.append(_text(x, bottom + 14, fmt(t), size=11, anchor="middle", fill=MUTED))
    parts.append(axis_title((x0 + x1) / 2, bottom + 32, title, "x"))
    return parts


# room under the plot for tick labels and the value-axis title
_X_AXIS_SPACE = 42
# room above the plot for the category-axis title, set over the labels
_Y_TITLE_SPACE = 20


def hbar_chart(
    chart_id: str,
    label: str,
    rows: Sequence[tuple[str, float | None, str]],
    *,
    x_title: str,
    y_title: str,
    colors: Sequence[str] | str = PALETTE[0],
    value_fmt: Callable[[float], str] = fmt_int,
    label_width: float = 300,
    bar_height: float = 20,
    gap: float = 8,
    links: Sequence[str | None] | None = None,
) -> str:
    """Horizontal bars: rows of (label, value, note shown after the value); links[i], if given, is where
    the row's label and bar lead."""
    if not rows:
        return empty_chart(chart_id, label)
    tails = [(value_fmt(v) if v is not None else "–") + (f"  {note}" if note else "") for _, v, note in rows]
    ticks = nice_ticks(max((v or 0) for _, v, _ in rows))
    x0 = label_width + 10
    # leave room after the longest bar for its value and note
    longest = max(range(len(rows)), key=lambda i: rows[i][1] or 0)
    x1 = max(x0 + 200, min(WIDTH - 20, WIDTH - 12 - text_width(tails[longest], 11)))
    top = _Y_TITLE_SPACE + 4
    bottom = top + len(rows) * (bar_height + gap)
    scale = (x1 - x0) / ticks[-1]
    body = [axis_title(x0 - 8, top - 8, y_title, "y", anchor="end")]
    body += _value_axis(x0, x1, top, bottom, ticks, value_fmt, x_title)
    for i, (name, value, _) in enumerate(rows):
        y = top + i * (bar_height + gap)
        color = colors if isinstance(colors, str) else colors[i % len(colors)]
        body.append(
            _link(
                links[i] if links else None,
                _text(x0 - 8, y + bar_height * 0.72, truncate(name, 12, label_width - 8), anchor="end")
                + _rect(x0, y, (value or 0) * scale, bar_height, color, f"{name}: {value_fmt(value or 0)}"),
            )
        )
        body.append(_text(x0 + (value or 0) * scale + 6, y + bar_height * 0.72, tails[i], size=11, fill=MUTED))
    return _svg(chart_id, bottom + _X_AXIS_SPACE, label, body)


def grouped_hbar_chart(
    chart_id: str,
    label: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    x_title: str,
    y_title: str,
    colors: Sequence[str] = PALETTE,
    value_fmt: Callable[[float], str] = fmt_int,
    label_width: float = 200,
    bar_height: float = 16,
    links: Callable[[int, int], str | None] | None = None,
) -> str:
    """One group of bars per category, one bar per series (e.g. fields x periods); links(c, s), if given,
    is where the bar of category c, series s leads."""
    if not categories or not series:
        return empty_chart(chart_id, label)
    legend_parts, legend_h = legend([(name, colors[i % len(colors)]) for i, (name, _) in enumerate(series)], 16)
    x0, x1 = label_width + 10, WIDTH - 70
    top = legend_h + _Y_TITLE_SPACE + 8
    group_h = len(series) * bar_height + 12
    bottom = top + len(categories) * group_h
    ticks = nice_ticks(max((v or 0) for _, values in series for v in values))
    scale = (x1 - x0) / ticks[-1]
    body = legend_parts + [axis_title(x0 - 8, top - 8, y_title, "y", anchor="end")]
    body += _value_axis(x0, x1, top, bottom, ticks, value_fmt, x_title)
    for c, category in enumerate(categories):
        gy = top + c * group_h
        body.append(
            _text(
                x0 - 8,
                gy + len(series) * bar_height / 2 + 4,
                truncate(category, 13, label_width - 8),
                size=13,
                anchor="end",
            )
        )
        for s, (name, values) in enumerate(series):
            value = values[c] or 0
            y = gy + s * bar_height
            body.append(
                _link(
                    links(c, s) if links else None,
                    _rect(
                        x0,
                        y,
                        value * scale,
                        bar_height - 2,
                        colors[s % len(colors)],
                        f"{category} · {name}: {value_fmt(value)}",
                    ),
                )
            )
            body.append(_text(x0 + value * scale + 5, y + bar_height * 0.7, value_fmt(value), size=10, fill=MUTED))
    return _svg(chart_id, bottom + _X_AXIS_SPACE, label, body)


def stacked_share_chart(
    chart_id: str,
    label: str,
    categories: Sequence[str],
    segments: Sequence[tuple[str, str]],
    values: Sequence[Sequence[float]],
    *,
    x_title: str,
    y_title: str,
    label_width: float = 200,
    bar_height: float = 26,
    gap: float = 10,
    totals_note: Sequence[str] | None = None,
    links: Callable[[int, int], str | None] | None = None,
) -> str:
    """100% stacked horizontal bars: values[c][s] is the amount of segment s in category c; links(c, s),
    if given, is where that segment leads."""
    if not categories or not segments:
        return empty_chart(chart_id, label)
    legend_parts, legend_h = legend(list(segments), 16)
    x0, x1 = label_width + 10, WIDTH - 90
    top = legend_h + _Y_TITLE_SPACE + 6
    bottom = top + len(categories) * (bar_height + gap) - gap / 2
    body = list(legend_parts) + [axis_title(x0 - 8, top - 8, y_title, "y", anchor="end")]
    body += _value_axis(x0, x1, top - 2, bottom, [0, 0.25, 0.5, 0.75, 1], fmt_pct, x_title)
    for c, category in enumerate(categories):
        y = top + c * (bar_height + gap)
        total = sum(values[c]) or 1
        body.append(
            _text(x0 - 8, y + bar_height * 0.65, truncate(category, 13, label_width - 8), size=13, anchor="end")
        )
        x = x0
        for s, (name, color) in enumerate(segments):
            share = values[c][s] / total
            w = share * (x1 - x0)
            if w <= 0:
                continue
            mark = _rect(x, y, w, bar_height, color, f"{category} · {name}: {values[c][s]:,.0f} ({share:.0%})")
            if w >= 34:
                mark += _text(
                    x + w / 2, y + bar_height * 0.65, f"{share:.0%}", size=11, anchor="middle", fill="#ffffff"
                )
            body.append(_link(links(c, s) if links else None, mark))
            x += w
        if totals_note:
            body.append(_text(x1 + 8, y + bar_height * 0.65, totals_note[c], size=11, fill=MUTED))
    return _svg(chart_id, bottom + _X_AXIS_SPACE, label, body)


def column_chart(
    chart_id: str,
    label: str,
    points: Sequence[tuple[str, float | Sequence[float]]],
    *,
    x_title: str,
    y_title: str,
    segments: Sequence[tuple[str, str]] | None = None,
    color: str = PALETTE[0],
    tick_every: Callable[[int, str], str | None] | None = None,
    value_fmt: Callable[[float], str] = fmt_int,
    height: float = 270,
) -> str:
    """Vertical columns over an ordered axis (e.g. months); tick_every(i, key) -> label or None.

    With `segments` [(name, colour)], each point's value is a sequence (one amount per segment), stacked
    bottom-up and named in a legend above the plot.
    """
    if not points:
        return empty_chart(chart_id, label)
    stacks = [list(v) if segments else [v] for _, v in points]
    colors = [c for _, c in segments] if segments else [color]
    body, legend_h = ([], 0)
    if segments:
        body, legend_h = legend(list(segments), 16)
    x0, x1, top = 66, WIDTH - 10, legend_h + 12
    plot_height = height - 12 - _X_AXIS_SPACE
    bottom = top + plot_height
    ticks = nice_ticks(max(sum(s) for s in stacks), 4)
    scale = (bottom - top) / ticks[-1]
    for t in ticks:
        y = bottom - t * scale
        body.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(x0 - 6, y + 4, value_fmt(t), size=11, anchor="end", fill=MUTED))
    body.append(axis_title(16, (top + bottom) / 2, y_title, "y", rotate=True))
    step = (x1 - x0) / len(points)
    bar_w = max(step * 0.8, 1)
    for i, ((key, _), stack) in enumerate(zip(points, stacks)):
        x = x0 + i * step + (step - bar_w) / 2
        base = bottom
        for s, value in enumerate(stack):
            if value:
                name = f" {segments[s][0]}" if segments else ""
                body.append(
                    _rect(x, base - value * scale, bar_w, value * scale, colors[s], f"{key}{name}: {value_fmt(value)}")
                )
                base -= value * scale
        tick = tick_every(i, key) if tick_every else key
        if tick:
            body.append(
                f'<line x1="{x + bar_w / 2:.1f}" y1="{bottom:.1f}" x2="{x + bar_w / 2:.1f}" '
                f'y2="{bottom + 4:.1f}" stroke="{MUTED}"/>'
            )
            body.append(_text(x + bar_w / 2, bottom + 17, tick, size=11, anchor="middle", fill=MUTED))
    body.append(f'<line x1="{x0}" y1="{bottom:.1f}" x2="{x1}" y2="{bottom:.1f}" stroke="{MUTED}"/>')
    body.append(axis_title((x0 + x1) / 2, bottom + 34, x_title, "x"))
    return _svg(chart_id, bottom + _X_AXIS_SPACE, label, body)
