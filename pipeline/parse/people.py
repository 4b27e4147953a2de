"""People figures of an activity (`30여명`, `총 17명(공무원 6, ...)`, `매회 40명, 누적 200명`).

Only `명` counts people; cases, households, teams, booths (`건`, `가구`, `팀`, `개소`)
are ignored by construction. How figures combine (SPEC.md, attendees):
a cumulative figure beats per-session ones; a stated total (`총`, or a figure equal
to the sum of the others) beats its breakdown; separate groups without a total add up.
`X 외 N명` ("X and N others") is N+1 people, alone or as one of the groups.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.parse.models import AttendeeFigure

_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"
_FIGURE = re.compile(
    # (every match starts with 외, a prefix word or a digit: the lookahead lets the engine
    # pass over other characters quickly)
    r"(?=[외약총누매회월각\d])"
    # `복지환경국장 외 2명`: 외 as a word of its own after a named person (not 관외, 외국인)
    r"(?:(?P<others>(?<=[가-힣A-Za-z·)]\s)외)\s*)?"
    r"(?P<pre>(?:약|총|누적|매회|회차별|회당|월별|월|각)\s*)?"
    rf"(?P<n>{_NUMBER})\s*(?:~\s*(?P<n2>{_NUMBER})\s*)?(?P<yeo>여)?\s*명(?![칭단예])"
    r"(?P<post>\s*(?:내외|정도|가량|안팎|이상))?"
)
# what every `_FIGURE` match holds (the last digit of its number, then 명): a quick no for
# `주민설명회`; it starts with a character class, so the engine skips to the digits
_FIGURE_HINT = re.compile(r"\d\s*여?\s*명")
_PER_SESSION = frozenset(("매회", "회차별", "회당", "월별", "월", "각"))
# `교수2, 사회적경제조직 전문가 16, 연구원1`: a whole detail listing groups without a unit
_UNITLESS_LIST = re.compile(r"^\s*(?:[가-힣A-Za-z·]+(?:\s[가-힣A-Za-z·]+)*\s?\d+\s*(?:,\s*|$)){2,}$")
_UNITLESS_ITEM = re.compile(r"([가-힣A-Za-z·]+(?:\s[가-힣A-Za-z·]+)*)\s?(\d+)")
_LABEL = re.compile(r"([가-힣A-Za-z·]+)[\s:]*$")
_GENERIC_LABELS = frozenset(("참석인원", "참여인원", "인원", "대상", "참석", "참여", "등", "총", "및", "외"))


@dataclass(slots=True)
class Attendance:
    count: int | None
    is_approx: bool
    figures: list[AttendeeFigure]


def _label(before: str) -> str | None:
    m = _LABEL.search(before[-20:])
    if not m:
        return None
    word = m.group(1)
    return None if word in _GENERIC_LABELS else word


def find_figures(text: str) -> list[AttendeeFigure]:
    figures: list[AttendeeFigure] = []
    if "명" not in text:  # every `_FIGURE` holds 명
        # (a list of two groups or more has a comma after the first)
        if "," in text and _UNITLESS_LIST.match(text):
            for label, n in _UNITLESS_ITEM.findall(text):
                figures.append(AttendeeFigure(group_label=label.strip(), people_count=int(n), is_approx=False,
                                              is_cumulative=False, is_total=False, raw=f"{label.strip()} {n}"))
        return figures
    if not _FIGURE_HINT.search(text):
        return figures
    for m in _FIGURE.finditer(text):
        pre = (m.group("pre") or "").strip()
        n = int(m.group("n").replace(",", ""))
        before = text[: m.start()]
        if m.group("others"):
            n += 1  # the person named before 외 and N others
            before = before.rstrip()
        ranged = m.group("n2") is not None
        figures.append(
            AttendeeFigure(
                group_label=_label(before) if not pre else None,
                people_count=n,
                is_approx=bool(m.group("yeo") or m.group("post") or pre == "약" or ranged),
                is_cumulative=pre == "누적",
                is_per_session=pre in _PER_SESSION,
                is_total=pre == "총",
                raw=m.group(0).strip(),
            )
        )
    return figures


def attendance(texts: list[str]) -> Attendance:
    """The activity's people count from its own line and all its details."""
    figures = [f for t in texts for f in find_figures(t)]
    if not figures:
        return Attendance(None, False, [])
    counted = [f for f in figures if not f.is_per_session]
    if not counted:
        # per-session figures only (`회차별 10명내외`): no total to give
        return Attendance(None, any(f.is_approx for f in figures), figures)

    chosen: list[AttendeeFigure]
    cumulative = [f for f in counted if f.is_cumulative]
    stated_totals = [f for f in counted if f.is_total]
    biggest = max(counted, key=lambda f: f.people_count)
    others = sum(f.people_count for f in counted) - biggest.people_count
    if cumulative:
        chosen = [max(cumulative, key=lambda f: f.people_count)]
    elif stated_totals:
        chosen = [max(stated_totals, key=lambda f: f.people_count)]
    elif len(counted) >= 3 and biggest.people_count == others:
        chosen = [biggest]  # `530명 - 단기 436명, 장기 94명`
    elif len(counted) == 2 and counted[0].people_count == counted[1].people_count:
        chosen = [counted[0]]  # the same figure said twice
    else:
        chosen = counted
    if len(chosen) == 1:
        chosen[0].is_total = True
    count = sum(f.people_count for f in chosen)
    return Attendance(count, any(f.is_approx for f in chosen), figures)
