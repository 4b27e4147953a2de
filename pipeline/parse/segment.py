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
_WALKED = _LIST_TAGS | _CONTAINERS  # walked at the same depth


# One item of a cell: (text, depth, box). A plain tuple, not a named one: building a
# tuple subclass costs more than the rest of the walk per item (the walk is benchmarked).
# text: the item's own text, whitespace collapsed, nested lists left out;
# depth: 0 for a top-level item, 1 inside a nested list; box: a `<p>` inside a `<div>` box.
CellItem = tuple[str, int, bool]
TEXT, DEPTH, BOX = 0, 1, 2


@dataclass(slots=True)
class Classified:
    role: str  # "event" | "detail" | "empty"
    marker: str  # the glyph or detail marker removed from the text
    text: str
    glyphless: bool = False  # an event item without a glyph in a list that uses glyphs


def _collapse(text: str) -> str:
    text = text.strip()
    if "  " in text or "\n" in text or "\t" in text or "\xa0" in text:
        text = " ".join(text.split())
    return text


def _own_text(el) -> str:
    n = len(el)
    if n == 0:
        return _collapse(el.text or "")
    if n == 1:
        child = el[0]
        if child.tag in _LIST_TAGS:  # `<li>text <ul>...</ul> tail</li>`: the common nested item
            return _collapse((el.text or "") + (child.tail or ""))
    parts = [el.text or ""]
    for child in el:
        if child.tag not in _LIST_TAGS:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return _collapse("".join(parts))


def cell_items(html: str) -> list[CellItem]:
    """Every `<li>` and boxed `<p>` of one cell, in document order.

    Plain lxml.etree with its HTML parser, then one pass over lxml's own document-order
    walk (`iter()`), which reaches what a recursive walk over the list elements from the
    root reaches: an element whose parent is reached and is the root, a list (`ul`/`ol`/
    `li`), a `div` box or a container. Text formatting tags are read, not walked. This
    stage is benchmarked against lxml's bare parse of the same bytes.
    """
    if not html or html.isspace():
        return []
    root = etree.HTML(html)
    if root is None:
        return []
    out: list[CellItem] = []
    append = out.append
    reached = {root: 0}  # walked element -> depth of the items among its children
    get = reached.get
    walked = _WALKED
    list_tags = _LIST_TAGS
    for el in root.iter():
        depth = get(el.getparent())
        if depth is None:
            continue  # the root itself, or inside an element that is not walked
        tag = el.tag
        if tag == "li":
            n = len(el)
            if n == 0:
                text = el.text
                if text:
                    text = text.strip()
                    if "  " in text or "\n" in text or "\t" in text or "\xa0" in text:
                        text = " ".join(text.split())
                else:
                    text = ""
            else:
                reached[el] = depth + 1
                child = el[0]
                if n == 1 and child.tag in list_tags:  # `<li>text <ul>...</ul> tail</li>`
                    text = (el.text or "") + (child.tail or "")
                    text = text.strip()
                    if "  " in text or "\n" in text or "\t" in text or "\xa0" in text:
                        text = " ".join(text.split())
                else:
                    text = _own_text(el)
            append((text, depth, False))
        elif tag in walked:
            reached[el] = depth
        elif tag == "div":  # a box: its paragraphs first, then what it holds
            for p in el.iterchildren("p"):
                append((_own_text(p), depth, True))
            reached[el] = depth
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
    return any(_leading_bullet(item[TEXT]) for item in items)


def classify(item: CellItem, glyph_list: bool) -> Classified:
    text, depth, box = item
    if not text:
        return Classified("empty", "", "")
    if box:
        return Classified("event", "", text)
    bullet = _leading_bullet(text)
    if bullet:
        return Classified("event", bullet, text[1:].strip())
    marker = DETAIL_MARKERS.get(text[0])
    if marker:
        return Classified("detail", marker, text[1:].strip())
    if depth > 0:
        return Classified("detail", NO_MARKER, text)
    return Classified("event", "", text, glyphless=glyph_list)


def split_inline(text: str) -> tuple[str, list[str]]:
    """`title - detail - detail` -> (title, [details]); text after ` - ` is inline detail."""
    parts = _INLINE_SPLIT.split(text)
    return parts[0].strip(), [p.strip() for p in parts[1:] if p.strip()]
