"""The kind of an activity, by the head of its phrase (SPEC.md, format).

Korean phrases end with their head, so the LAST specific keyword in the event's own
line decides (`... 선정 관련 간담회` -> meeting); a longer keyword ending at the same
place wins (`자문회의` over `회의`). Bracketed asides do not head the phrase
(`홍보(통장 및 자생단체 회의)` is promotion) unless nothing outside them matches.
Generic verbs decide nothing; `fallback` keywords (`운영`, `지원`) decide only when no
specific one is present; `mask` entries are words that contain a keyword without
being one (`경기장`, `시장님`).

The vocabulary is the dbt seeds `formats.csv` and `format_keywords.csv`.
"""
from __future__ import annotations

import re
from functools import lru_cache

from pipeline.vocab import read_seed

OTHER = "other"
_COMPACT = re.compile(r"[\s'\"‘’“”「」『』<>《》]+")
_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_ROLES = frozenset(("decides", "fallback", "mask"))


@lru_cache(maxsize=1)
def format_codes() -> tuple[str, ...]:
    return tuple(row["format_code"] for row in read_seed("formats"))


@lru_cache(maxsize=1)
def _keyword_table() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    """One regex finding, at every position, the longest keyword starting there
    (a lookahead, so matches may overlap), and keyword -> (format_code, role)."""
    codes = set(format_codes())
    table: dict[str, tuple[str, str]] = {}
    for row in read_seed("format_keywords"):
        if row["format_code"] not in codes:
            raise ValueError(f"format_keywords.csv: unknown format_code {row['format_code']!r}")
        if row["role"] not in _ROLES:
            raise ValueError(f"format_keywords.csv: unknown role {row['role']!r}")
        table[_COMPACT.sub("", row["keyword"]).upper()] = (row["format_code"], row["role"])
    alternatives = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return re.compile(f"(?=({alternatives}))"), table


def _best(compact: str) -> str | None:
    pattern, table = _keyword_table()
    masked_until = -1
    decides: tuple[int, int, str] | None = None  # (end, length, code)
    fallback: tuple[int, int, str] | None = None
    for m in pattern.finditer(compact):
        keyword = m.group(1)
        start, end = m.start(), m.start() + len(keyword)
        code, role = table[keyword]
        if role == "mask":
            masked_until = max(masked_until, end)
            continue
        if end <= masked_until:
            continue  # inside a word like 경기장 that only looks like a keyword
        key = (end, end - start, code)
        if role == "decides":
            if decides is None or key[:2] > decides[:2]:
                decides = key
        elif fallback is None or key[:2] > fallback[:2]:
            fallback = key
    if decides:
        return decides[2]
    return fallback[2] if fallback else None


def format_for_title(title: str) -> str:
    """format_code of an activity from its own line."""
    head = _COMPACT.sub("", _BRACKETS.sub(" ", title)).upper()
    code = _best(head)
    if code is None:
        code = _best(_COMPACT.sub("", title).upper())
    return code or OTHER
