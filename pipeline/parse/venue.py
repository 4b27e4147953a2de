"""Where an activity took place (SPEC.md, venue).

A venue is given only when the text names one: a `장소 :` label; a place followed by
`내` or `에서`; the facility a ceremony opens (`전주혁신창업허브 개관식`); a place in
brackets after the activity (`주민공청회(서학예술마을)`); a facility visited
(`부안장애인복지관 벤치마킹`); a village, park or square opening the line (`전주자만마을 벽화 트리엔날레`) unless it is what is being built
(`반려동물놀이터 조성사업 ...`). Online activities set `is_online`.
Generic places (`관내`, `5개소`) are not venues.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# words that end a place name
_FACILITY = (
    r"(?:놀이터|광장|공원|동물원|센터|공장|허브|마을|복지관|도서관|회관|강당|회의실|진수당|체육관|전시관|"
    r"미술관|박물관|기념관|문화관|공방|극장|시청|구청|경기장|운동장|대학교|캠퍼스|단지|골목길|책방|아트홀)"
)
_AREA = r"(?:마을|공원|광장|공장|놀이터|동물원|골목길)"  # places that locate what happens in them
_WORD = r"[가-힣A-Za-z0-9·]"

_LABEL = re.compile(r"장\s*소\s*[:：]\s*(?P<v>.+?)\s*(?=/|\s-\s|\s주요\s*내용|\s내\s*용\s*:|$)")
_GENERIC = re.compile(r"^(?:\d+\s*개\s*소|관내|각\s|전\s*지역|시\s*전역|전주\s*전역|읍면동)")
_INSIDE = re.compile(rf"(?P<v>(?:{_WORD}+\s)?{_WORD}*{_FACILITY})\s?내(?=\s)")
_AT = re.compile(rf"(?P<v>(?:{_WORD}+\s)?{_WORD}*{_FACILITY})\s?에서")
_OPENING = re.compile(rf"(?P<v>(?:{_WORD}+\s)?{_WORD}*{_FACILITY})(?:\s+{_WORD}+)?\s*(?:개관식|개소식|개장)")
_BRACKETED = re.compile(rf"(?:회|식|제|대회|축제|설명회|공청회|운영|행사)\s*\((?P<v>[^()]*?{_FACILITY})\)")
_OPENING_AREA = re.compile(rf"^(?P<v>{_WORD}*{_AREA})\s+(?P<next>\S+)")
_VISITED = re.compile(rf"(?P<v>(?:{_WORD}+\s)?{_WORD}*{_FACILITY})\s*(?:벤치마킹|현장\s*방문|방문|견학|현장\s*답사)")
# `팔복문화예술공장, 70개 공동체 150명 참여`: a detail opening with the place, then its figures
_DETAIL_PLACE = re.compile(rf"^(?P<v>{_WORD}*{_FACILITY})\s*,\s*\d")
# the next word says the place is the object, not the venue
_OBJECT_WORDS = re.compile(
    r"^(?:조성|건립|사업|재생|정비|복원|개선|운영|추진|설립|유치|활성화|도시재생|인증|지정|및|관련|대상|특화|"
    r"조성사업|건립사업|주민주도|현안|공모|명칭)"
)
_NOT_A_NAME_END = re.compile(r"(?:한|는|은|을|를|의|에|른|된|인|과|와|및|등|\d)$")

_ONLINE_WORDS = r"(?:온라인|비대면|랜선|유튜브|SNS\s*실시간\s*방송|실시간\s*방송|화상\s*회의)"
_ONLINE_IN_TITLE = re.compile(_ONLINE_WORDS)
# in a detail, only a statement of how it was held: `온라인으로 진행`, not `온라인회의 개최방안 논의`
_ONLINE_IN_DETAIL = re.compile(_ONLINE_WORDS + r"\s*(?:으로|로)?\s*(?:진행|개최|실시|운영|방송|중계)")
_TRAILING = re.compile(r"[\s,.:;/(]+$")
_HAS_FACILITY = re.compile(_FACILITY)
# The title patterns, each with words its every match contains: a title without them is not
# searched (their `{_WORD}*` runs make a search cost the square of the title's words).
_TITLE_PATTERNS = (
    (_INSIDE, ("내",)),
    (_AT, ("에서",)),
    (_OPENING, ("개관식", "개소식", "개장")),
    (_VISITED, ("벤치마킹", "방문", "견학", "답사")),
    (_BRACKETED, ("(",)),
)


@dataclass(slots=True)
class Venue:
    name: str | None
    is_online: bool
    is_generic: bool = False  # a place was stated but it is city-wide or a count (`5개소`)


def _clean(name: str) -> str:
    name = _TRAILING.sub("", name.strip())
    words = name.split()
    if len(words) > 1 and _NOT_A_NAME_END.search(words[0]):
        words = words[1:]  # `위한 청년센터` -> `청년센터`
    return " ".join(words)


def find_venue(title: str, detail_texts: list[str]) -> Venue:
    online = bool(_ONLINE_IN_TITLE.search(title)) or any(_ONLINE_IN_DETAIL.search(t) for t in detail_texts)
    generic = False
    for text in [title, *detail_texts]:
        m = _LABEL.search(text)
        if m:
            value = m.group("v")
            if _GENERIC.match(value):
                generic = True
                continue
            return Venue(_clean(value), online)
    if _HAS_FACILITY.search(title):  # every title pattern ends its place with a facility word
        for pattern, needles in _TITLE_PATTERNS:
            if any(needle in title for needle in needles):
                m = pattern.search(title)
                if m:
                    return Venue(_clean(m.group("v")), online)
    m = _OPENING_AREA.match(title)
    if m and not _OBJECT_WORDS.match(m.group("next")):
        return Venue(_clean(m.group("v")), online)
    for text in detail_texts:
        m = "," in text and _DETAIL_PLACE.match(text)  # (the comma: a quick no for most details)
        if m:
            return Venue(_clean(m.group("v")), online)
    return Venue(None, online, generic)
