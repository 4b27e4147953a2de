"""How many sessions an activity had: `(6회)`, `2회 개최`, `총5강`, `(1차)/(2차)`.

Not a session count: an edition (`제3회 ...`, `2회 전주창업경진대회` opening the line),
a frequency (`주 3회`, `월 1회`, `매주`), a range (`주 2~3회`).
"""

from __future__ import annotations

import re

_COUNT = re.compile(
    r"(?P<pre>제|주|월|매주|매월|연|년|총)?\s*(?P<n>\d{1,3})\s*(?P<unit>회(?!차|기|의)|강(?:좌)?|차)(?![가-힣]{0,1}\d)"
)
_RANGE_BEFORE = re.compile(r"[~∼]\s*$")
_EDITION_AT_START = re.compile(r"^\s*\d{1,3}\s*회\s")


def session_count(own_text: str, detail_texts: list[str]) -> int | None:
    """From the own line first, else from the details."""
    for texts in ([own_text], detail_texts):
        found = _count_in(texts)
        if found is not None:
            return found
    return None


def _count_in(texts: list[str]) -> int | None:
    counts: list[int] = []
    ordinals: set[int] = set()
    for text in texts:
        if "회" not in text and "강" not in text and "차" not in text:
            continue  # every `_COUNT` ends with one of them
        if _EDITION_AT_START.match(text):
            text = _EDITION_AT_START.sub(" ", text, count=1)
        for m in _COUNT.finditer(text):
            pre, n, unit = m.group("pre"), int(m.group("n")), m.group("unit")
            if pre in ("제", "주", "월", "매주", "매월") or _RANGE_BEFORE.search(text, 0, m.start()):
                continue
            if pre in ("연", "년") and unit != "회":
                continue
            if unit == "차":
                ordinals.add(n)
            elif n > 0:
                counts.append(n)
    if counts:
        return max(counts)
    if len(ordinals) >= 2:
        return max(ordinals)  # `(1차) ... / (2차) ...`
    return None
