"""People figures of an activity (`30여명`, `총 17명(공무원 6, ...)`, `매회 40명, 누적 200명`).

Only `명` counts people; cases, households, teams, booths (`건`, `가구`, `팀`, `개소`)
are ignored by construction. How figures combine (SPEC.md, attendees):
a cumulative figure beats per-session ones; a stated total (`총`, or a figure equal
to the sum of the others) beats its breakdown; separate groups without a total add up.
`X 외 N명` ("X and N others") is N+1 people, alone or as one of the groups.

What a figure counts (SPEC.md, attendees_kind) is read from the words near it, nearest
first: a keyword right after the figure (`1,200명 응답`, `16명 위촉`), then the nearest
keyword before it in the same group (`설문 응답자 300명`, `교육생 50명`), then the last
keyword of the activity's own line outside its brackets (the head of the phrase: in
`리폼교육(8회/177명 참석)` the head is 교육, not the 참석 of the figure), then the rest of the
figure's line, else `attended`. Presence words after the figure (`30명 참석/참여/참가`) make
`attended`, or `trained` / `surveyed` when the context is a course or a survey. Some words
say who the people are or how they took part but not what the figure counts: `대상자` and
`이용자` (the people a survey or a course is for are its respondents or students), `체험`
(a class experienced is a class, support given as experiences is support); they give way
to a more specific word of the figure's phrase, the activity's head or its details. A member
word alone (`위원 15명`, `단원`) makes `appointed` only when nothing else speaks. The activity's
kind is the kind of the figure(s) its count comes from; groups of different kinds summed make
`mixed`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.parse.models import AttendeeFigure

_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"
_FIGURE = re.compile(
    # `복지환경국장 외 2명`: 외 as a word of its own after a named person (not 관외, 외국인)
    r"(?:(?P<others>(?<=[가-힣A-Za-z·)]\s)외)\s*)?"
    r"(?P<pre>(?:약|총|누적|매회|회차별|회당|월별|월|각)\s*)?"
    rf"(?P<n>{_NUMBER})\s*(?:~\s*(?P<n2>{_NUMBER})\s*)?(?P<yeo>여)?\s*명(?![칭단예])"
    r"(?P<post>\s*(?:내외|정도|가량|안팎|이상))?"
)
_PER_SESSION = frozenset(("매회", "회차별", "회당", "월별", "월", "각"))
# `교수2, 사회적경제조직 전문가 16, 연구원1`: a whole detail listing groups without a unit
_UNITLESS_LIST = re.compile(r"^\s*(?:[가-힣A-Za-z·]+(?:\s[가-힣A-Za-z·]+)*\s?\d+\s*(?:,\s*|$)){2,}$")
_UNITLESS_ITEM = re.compile(r"([가-힣A-Za-z·]+(?:\s[가-힣A-Za-z·]+)*)\s?(\d+)")
_LABEL = re.compile(r"([가-힣A-Za-z·]+)[\s:]*$")
_GENERIC_LABELS = frozenset(("참석인원", "참여인원", "인원", "대상", "참석", "참여", "등", "총", "및", "외"))


# keyword -> kind; longer words first so that `방문상담` is not read as `방문`
_KIND_WORDS: dict[str, str] = {
    # surveyed: answered a survey, poll, vote or idea contest
    "설문": "surveyed",
    "응답": "surveyed",
    "의견조사": "surveyed",
    "인식도조사": "surveyed",
    "만족도조사": "surveyed",
    "만족도 조사": "surveyed",
    "선호도조사": "surveyed",
    "선호도 조사": "surveyed",
    "수요조사": "surveyed",
    "요구도조사": "surveyed",
    "실태조사": "surveyed",
    "여론조사": "surveyed",
    "조사 참여": "surveyed",
    "조사참여": "surveyed",
    "조사": "surveyed",
    "투표": "surveyed",
    "응모": "surveyed",
    "인터뷰": "surveyed",
    # trained: enrolled in or completed a course, class, training or mentoring
    "교육": "trained",
    "수강": "trained",
    "연수": "trained",
    "수료": "trained",
    "강좌": "trained",
    "아카데미": "trained",
    "양성": "trained",
    "강의": "trained",
    "교육생": "trained",
    "멘토링": "trained",
    "특강": "trained",
    "학교": "trained",
    "교실": "trained",
    "강습": "trained",
    "훈련": "trained",
    "실습": "trained",
    # served: received goods, money, services, care, consultation, support or a visit
    "지원": "served",
    "수혜": "served",
    "배부": "served",
    "지급": "served",
    "전달": "served",
    "제공": "served",
    "상담": "served",
    "방문상담": "served",
    "대상자": "served",
    "수급": "served",
    "보급": "served",
    "혜택": "served",
    "이용": "served",
    "이용자": "served",
    "돌봄": "served",
    # care received is a service too (`인지재활 프로그램 66명`, `진료`)
    "재활": "served",
    "치료": "served",
    "진료": "served",
    "검진": "served",
    "케어": "served",
    "간병": "served",
    # appointed: selected, recruited, appointed or registered as members
    "위촉": "appointed",
    "임명": "appointed",
    "선발": "appointed",
    "모집": "appointed",
    "구성": "appointed",
    "선정": "appointed",
    "등록": "appointed",
    "발대": "appointed",
    "가입": "appointed",
    "채용": "appointed",
    # attended: present at an event
    "참석": "attended",
    "참여": "attended",
    "참가": "attended",
    "관람": "attended",
    "방문객": "attended",
    "방청": "attended",
    "관객": "attended",
    "청중": "attended",
    "견학": "attended",
    "체험": "attended",
    "간담회": "attended",
    "회의": "attended",
    "설명회": "attended",
    "공청회": "attended",
    "토론회": "attended",
    "포럼": "attended",
    "세미나": "attended",
    "워크숍": "attended",
    "워크샵": "attended",
    "행사": "attended",
    "축제": "attended",
    "공연": "attended",
    "대회": "attended",
    "기념식": "attended",
    "협약식": "attended",
    "개소식": "attended",
    "방문": "attended",
    "협의회": "attended",
    "위원회": "attended",
    "총회": "attended",
    "좌담": "attended",
    "집담회": "attended",
    "모임": "attended",
}
# words that hold a keyword but mean something else (a place, an institution, a body, recycling);
# `체험 기회 제공`: an opportunity given is not a service received, what it is an opportunity for speaks
_NOT_KIND = (
    "지원센터",
    "지원단",
    "교육청",
    "교육장",
    "교육원",
    "학교장",
    "이용자협의",
    "재활용",
    "기회 제공",
    "기회를 제공",
    "기회제공",
)
# presence words: the people were there; at a course that makes them `trained`, at a survey `surveyed`
_PRESENCE = frozenset(("참석", "참여", "참가"))
# words that say who the people are or how they took part, not what the figure counts: they give
# way to a more specific word (`교육 대상자` are students, `설문조사 - 이용자 300명` respondents,
# `볼링교실 체험` a class)
_WEAK = frozenset(("대상자", "이용자", "이용", "체험"))
# member words: `appointed` only when no other word speaks
_MEMBER_WORDS = re.compile(r"위원(?!회)|단원|서포터즈|봉사단|기자단|모니터단")
_KIND_RE = re.compile("|".join(sorted(map(re.escape, _KIND_WORDS), key=len, reverse=True)))
_NOT_KIND_RE = re.compile("|".join(map(re.escape, _NOT_KIND)))
# a figure's group ends at these (`공무원 6, 교수 2`; `10명 / 문화전문가`)
_GROUP_END = re.compile(r"[,/;·]")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_AFTER_SPAN = 8  # characters after the figure read for `참석`, `응답`, `위촉`...


def _masked(text: str) -> str:
    """`text` with the look-alike words blanked (same length, so positions hold)."""
    if not _NOT_KIND_RE.search(text):
        return text
    return _NOT_KIND_RE.sub(lambda m: "#" * len(m.group(0)), text)


def _kinds(text: str) -> list[tuple[str, str]]:
    """(keyword, kind) of every keyword of `text`, in order."""
    return [(m.group(0), _KIND_WORDS[m.group(0)]) for m in _KIND_RE.finditer(text)]


def _last_kind(text: str) -> str | None:
    kinds = _kinds(text)
    return kinds[-1][1] if kinds else None


def _head_words(title: str | None) -> list[tuple[str, str]]:
    """The keywords of the activity's own line outside its brackets, which hold dates and figures
    (`리폼교육('18년 8회 교육/177명 참석)`: 교육), else all of them; the last is the head."""
    if title is None:
        return []
    masked = _masked(title)
    return _kinds(_BRACKETED.sub(" ", masked)) or _kinds(masked)


def figure_kind(text: str, start: int, end: int, title: str | None = None, details: Sequence[str] = ()) -> str:
    """What the figure at text[start:end] counts, from the words near it (see the module doc);
    `title` is the activity's own line, `details` its details."""
    masked = _masked(text)
    after = masked[end : end + _AFTER_SPAN]
    cut = _GROUP_END.search(after)
    if cut:
        after = after[: cut.start()]
    word = _KIND_RE.search(after)
    if word and word.group(0) not in _PRESENCE and word.group(0) not in _WEAK:
        return _KIND_WORDS[word.group(0)]  # `16명 위촉`, `1,200명 응답`
    context = _context_kind(masked, start, end, title, details)
    if word and word.group(0) in _PRESENCE:  # `100명 참석`: present; at a course or a survey that is what they did
        return context if context in ("trained", "surveyed") else "attended"
    if word and not context:
        return _KIND_WORDS[word.group(0)]  # `30명 체험` and nothing more specific
    if context:
        return context
    if _MEMBER_WORDS.search(text) or (title and _MEMBER_WORDS.search(title)):
        return "appointed"  # `위원 16명` and no other word
    return "attended"


def _context_kind(masked: str, start: int, end: int, title: str | None, details: Sequence[str]) -> str | None:
    """The nearest keyword before the figure in its group, else the head of the activity's own
    line, else the last keyword of the rest of the figure's line. A weak word (`_WEAK`) there gives
    way to a specific keyword before it in the group, else to the head of the own line, else to
    the last keyword of the details (`문화체험 : 15명` / `- ... 적응 지원`)."""
    group = _GROUP_END.split(masked[max(0, start - 25) : start])[-1]
    kinds = _kinds(group)
    if kinds and kinds[-1][0] not in _WEAK:
        return kinds[-1][1]
    head_words = _head_words(title)
    head = head_words[-1] if head_words else None
    rest = _last_kind(masked[:start] + " " + masked[end:])
    if not kinds and (head is None or head[0] not in _WEAK):
        return head[1] if head else rest
    before = [kind for word, kind in kinds if word not in _WEAK]
    if before:
        return before[-1]  # `볼링교실 체험 19명`, `교육 대상자 50명`
    if head and head[0] not in _WEAK:
        return head[1]  # `설문조사 실시 - 이용자 300명 대상`
    weak = kinds[-1][1] if kinds else head[1] if head else None
    return _last_kind(_masked(" ".join(details))) or rest or weak


@dataclass(slots=True)
class Attendance:
    count: int | None
    is_approx: bool
    figures: list[AttendeeFigure]
    kind: str | None = None


def _label(before: str) -> str | None:
    m = _LABEL.search(before[-20:])
    if not m:
        return None
    word = m.group(1)
    return None if word in _GENERIC_LABELS else word


def find_figures(text: str, title: str | None = None, details: Sequence[str] = ()) -> list[AttendeeFigure]:
    """The people figures of one text; `title`, the activity's own line, and `details`, its
    details, settle their kind when the text itself has no word for it."""
    figures: list[AttendeeFigure] = []
    if "명" not in text:  # every `_FIGURE` holds 명
        # (a list of two groups or more has a comma after the first)
        if "," in text and _UNITLESS_LIST.match(text):
            for item in _UNITLESS_ITEM.finditer(text):
                label, n = item.groups()
                figures.append(
                    AttendeeFigure(
                        group_label=label.strip(),
                        people_count=int(n),
                        is_approx=False,
                        is_cumulative=False,
                        is_total=False,
                        raw=f"{label.strip()} {n}",
                        attendee_kind=figure_kind(text, item.start(2), item.end(), title, details),
                    )
                )
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
                attendee_kind=figure_kind(text, m.start(), m.end(), title, details),
            )
        )
    return figures


def attendance(texts: list[str]) -> Attendance:
    """The activity's people count from its own line and all its details."""
    title = texts[0] if texts else None
    details = texts[1:]
    figures = [f for t in texts for f in find_figures(t, title, details)]
    if not figures:
        return Attendance(None, False, [])
    counted = [f for f in figures if not f.is_per_session]
    if not counted:
        # per-session figures only (`회차별 10명내외`, `월별 20~30명`): no total to give, and so no
        # approximate one either (`is_approx` qualifies the count); the figures keep their own
        return Attendance(None, False, figures)

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
    return Attendance(count, any(f.is_approx for f in chosen), figures, _event_kind(chosen))


def _event_kind(chosen: list[AttendeeFigure]) -> str:
    """The kind of the activity's count: its figure's, or `mixed` when it sums groups of different kinds."""
    kinds = {f.attendee_kind for f in chosen}
    return kinds.pop() if len(kinds) == 1 else "mixed"
