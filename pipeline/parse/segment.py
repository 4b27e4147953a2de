"""One HTML cell -> its list items, each classified as an event, a detail or neither.

What one event is (SPEC.md): an `<li>` starting with a bullet glyph; in a list that
uses no glyph at all, an `<li>` that does not start with a detail marker; a `<p>`
in a `<div>` box. Items starting with a detail marker are details of the nearest
preceding event, nested or flat. Text after ` - ` in an event's own `<li>` is
inline detail. Attaching details to events (also across page breaks) is done by
the caller, which sees the whole pledge.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

BULLETS = frozenset("•◦○●▪■□◆◇▶►∙")
HANGUL_BULLET = "ㅇ"  # a bullet only when a space follows: `ㅇ 주민설명회`
DETAIL_MARKERS = {"-": "-", "–": "-", "—": "-", "※": "※", "*": "*", "↳": "↳"}
INLINE_MARKER = "inline"
NO_MARKER = ""  # a nested item continuing the previous line (`: '19. 9.23. ~ '10.7.`)

_INLINE_SPLIT = re.compile(r"\s+(?:-|–|※|\*|↳)\s+")
_LIST_TAGS = frozenset(("ul", "ol"))
_CONTAINERS = frozenset(("html", "body", "section", "article", "td", "tr", "tbody", "table", "span", "font"))


@dataclass(slots=True)
class CellItem:
    text: str  # the item's own text, whitespace collapsed, nested lists left out
    depth: int  # 0 for a top-level item, 1 inside a nested list
    box: bool = False  # a `<p>` inside a `<div>` box


@dataclass(slots=True)
class Classified:
    role: str  # "event" | "detail" | "empty"
    marker: str  # the glyph or detail marker removed from the text
    text: str
    glyphless: bool = False  # an event item without a glyph in a list that uses glyphs


def _own_text(el) -> str:
    if len(el) == 0:
        text = el.text or ""
    else:
        parts = [el.text or ""]
        for child in el:
            if child.tag not in _LIST_TAGS:
                parts.append("".join(child.itertext()))
            parts.append(child.tail or "")
        text = "".join(parts)
    text = text.strip()
    if "  " in text or "\n" in text or "\t" in text or "\xa0" in text:
        text = " ".join(text.split())
    return text


def _collect(el, depth: int, out: list[CellItem]) -> None:
    for child in el:
        tag = child.tag
        if tag == "li":
            out.append(CellItem(_own_text(child), depth))
            if len(child):
                _collect(child, depth + 1, out)
        elif tag in _LIST_TAGS:
            _collect(child, depth, out)
        elif tag == "div":
            for p in child.iterchildren("p"):
                out.append(CellItem(_own_text(p), depth, True))
            _collect(child, depth, out)
        elif tag in _CONTAINERS:
            _collect(child, depth, out)


def cell_items(html: str) -> list[CellItem]:
    """Every `<li>` and boxed `<p>` of one cell, in document order.

    Plain lxml.etree with its HTML parser and one recursive pass over the list
    elements only (text formatting tags are read, not walked): this stage is
    benchmarked against lxml's bare parse of the same bytes.
    """
    if not html.strip():
        return []
    root = etree.HTML(html)
    if root is None:
        return []
    out: list[CellItem] = []
    _collect(root, 0, out)
    return out


def _leading_bullet(text: str) -> str | None:
    if not text:
        return None
    first = text[0]
    if first in BULLETS:
        return first
    if first == HANGUL_BULLET and len(text) > 1 and text[1].isspace():
        return first
    return None


def uses_glyphs(items: list[CellItem]) -> bool:
    return any(_leading_bullet(item.text) for item in items)


def classify(item: CellItem, glyph_list: bool) -> Classified:
    text = item.text
    if not text:
        return Classified("empty", "", "")
    if item.box:
        return Classified("event", "", text)
    bullet = _leading_bullet(text)
    if bullet:
        return Classified("event", bullet, text[1:].strip())
    marker = DETAIL_MARKERS.get(text[0])
    if marker:
        return Classified("detail", marker, text[1:].strip())
    if item.depth > 0:
        return Classified("detail", NO_MARKER, text)
    return Classified("event", "", text, glyphless=glyph_list)


def split_inline(text: str) -> tuple[str, list[str]]:
    """`title - detail - detail` -> (title, [details]); text after ` - ` is inline detail."""
    parts = _INLINE_SPLIT.split(text)
    return parts[0].strip(), [p.strip() for p in parts[1:] if p.strip()]
