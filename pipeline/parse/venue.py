"""Where an activity took place (SPEC.md, venue).

A venue is the place where the activity happened, when the text names one. It is read, in order:

1. a `장소 :` label on the line or a detail (`장 소 : 전주평화사회복지관 3층 강당`);
2. a place marked on the activity's own line: followed by `내` or `에서`; the facility a ceremony
   opens (`전주혁신창업허브 개관식`); a place in brackets after the activity
   (`주민공청회(서학예술마을)`); a facility visited (`부안장애인복지관 벤치마킹`);
3. a place (or a list of places, `평화, 삼천도서관`) opening the line and directly followed by the
   activity held there (`승암새뜰마을 민관협약식`, `전주자만마을 벽화 트리엔날레`), with at most two
   words between them that name the participants or the time (`한옥마을 어린이 사생대회`); or, further
   in the line, a place directly followed by the activity (`... 함께 하는 송천동 마을축제`);
4. in the details: a detail opening with the place and then its figures (`팔복문화예술공장, 70개
   공동체 150명 참여`), a detail that is only a list of places, the places a visit went to
   (`경기도 누리센터 및 서울 성민복지관 운영 현황 확인`), a place followed by `에서 개최/진행`.

A place is a word ending with a place-type suffix (센터, 회관, 공장, 마을, 도서관, 공원, 숲, 수목원 ...)
or a neighbourhood (`서신동`, `삼천1동`: a name ending in 동 that is not a common noun such as 활동).
It is NOT the venue when it is

- the activity's subject: the words after it say what is done to it (`반려동물놀이터 조성사업
  주민설명회`, `한옥마을 현안 논의를 위한 간담회`, `전주역세권 도시재생 포럼`), or the activity is
  about a later activity (`한옥마을 골목길 작은 음악회 추진 간담회`);
- part of a group's name (`한옥마을 사랑모임 회의`, `서학동예술마을 주민협의체와의 간담회`,
  `전주한옥마을 비빔공동체 발기인 총회`): a group suffix (협회, 상인회, 위원회, 협의회, 협의체,
  조합, 단, 모임, 공동체 ...) follows it;
- generic (`관내`, `5개소`, `농촌마을`): the place was stated but it is no one place (`is_generic`).

Lists of places are kept as the text gives them. Online activities (온라인, 비대면, 랜선, 유튜브,
SNS 실시간 방송) set `is_online`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A neighbourhood (`서신동`, `송천동`, `삼천1동`): a name of two syllables or more ending in 동, not a
# common noun ending so (활동, 운동, 장애아동 ...), nor a count of them (`15개동`). It ends its word,
# but for `에서` (`서신동에서`).
_NEIGHBOURHOOD = (
    r"(?:(?<=[가-힣]{2})|(?<=[가-힣]{2}\d))동(?=[^가-힣]|$|에서)"
    r"(?<!활동)(?<!운동)(?<!행동)(?<!협동)(?<!노동)(?<!이동)(?<!연동)(?<!가동)(?<!작동)(?<!출동)(?<!감동)"
    r"(?<!태동)(?<!공동)(?<!합동)(?<!변동)(?<![가-힣]{2}아동)"
)
# words that end a place name: facilities, villages and neighbourhoods, parks and forests
_FACILITY = (
    r"(?:놀이터|광장|공원|동물원|센터|공장|허브|마을|복지관|도서관|회관|강당|회의실|진수당|체육관|전시관|"
    r"미술관|박물관|기념관|문화관|공방|극장|시청|구청|경기장|운동장|대학교|캠퍼스|단지|골목길|책방|아트홀|"
    r"역세권|공연장|문화원|청사|아트센터|수목원|휴양림|숲|" + _NEIGHBOURHOOD + ")"
)
_WORD = r"[가-힣A-Za-z0-9·]"

_LABEL = re.compile(r"장\s*소\s*[:：]\s*(?P<v>.+?)\s*(?=/|\s-\s|\s주요\s*내용|\s내\s*용\s*:|$)")
_GENERIC = re.compile(r"^(?:\d+\s*개\s*소|관내|각\s|전\s*지역|시\s*전역|전주\s*전역|읍면동)")
# places that are a kind, not one place
_GENERIC_NAMES = frozenset(
    {"농촌마을", "마을", "경로당", "현장", "선진지", "사업지", "대상지", "관내", "골목", "센터", "학교", "공원", "광장"}
)
_INSIDE = re.compile(rf"(?P<v>(?:{_WORD}+\s)?{_WORD}*{_FACILITY})\s?내(?=\s)")
_AT = re.compile(rf"(?P<v>(?:{_WORD}+\s)?{_WORD}*{_FACILITY})\s?에서")
_OPENING = re.compile(rf"(?P<v>(?:{_WORD}+\s)?{_WORD}*{_FACILITY})(?:\s+{_WORD}+)?\s*(?:개관식|개소식|개장)")
_BRACKETED = re.compile(rf"(?:회|식|제|대회|축제|설명회|공청회|운영|행사)\s*\((?P<v>[^()]*?{_FACILITY})\)")
_VISITED = re.compile(rf"(?P<v>(?:{_WORD}+\s)?{_WORD}*{_FACILITY})\s*(?:벤치마킹|현장\s*방문|방문|견학|현장\s*답사)")
# a place (or a list of places) opening the line: `평화, 삼천도서관 ...`, `도토리골 새뜰마을 ...`
_OPENING_PLACE = re.compile(rf"^(?P<v>(?:{_WORD}+,\s*)*(?:{_WORD}+\s)?{_WORD}*?{_FACILITY})(?=[\s(]|$)")
# `팔복문화예술공장, 70개 공동체 150명 참여`, `서신동 주민센터, 30명`: a detail opening with the place,
# then its figures
_DETAIL_PLACE = re.compile(rf"^(?P<v>(?:{_WORD}+\s)?{_WORD}*{_FACILITY})\s*,\s*\d")
_ONE_PLACE = rf"(?:{_WORD}+\s)?{_WORD}+?{_FACILITY}"
# a detail that is nothing but places: `팔복새뜰마을, 승암새뜰마을, 도토리골 새뜰마을`
_PLACE_LIST = re.compile(rf"^(?P<v>{_ONE_PLACE}(?:\s*,\s*{_ONE_PLACE})+)\s*$")
# the places a visit went to, opening a detail: `경기도 누리센터 및 서울 성민복지관 운영 현황 확인`
_VISIT_WORDS = re.compile(r"벤치마킹|견학|현장\s*방문|현장\s*답사|방문")
_PLACES_OPENING = re.compile(rf"^(?P<v>{_ONE_PLACE}(?:\s*(?:,|및)\s*{_ONE_PLACE})*)(?=\s|$)")
_AT_HELD = re.compile(rf"(?P<v>(?:{_WORD}+\s)?{_WORD}+?{_FACILITY})\s?에서\s*(?:개최|진행|실시|열린|열려|운영)")
# a place word (with the place word before it, `서신동 주민센터`) followed by a word, read by
# `_held_at_place_before_event`
_PLACE_BEFORE_EVENT = re.compile(
    rf"(?<![가-힣A-Za-z0-9·])(?P<v>(?:{_WORD}*{_FACILITY}\s)?{_WORD}*?{_FACILITY})(?=\s+\S)"
)
# `골목길` named on the line, `한옥마을 골목길` in a detail: the detail's fuller name
_BARE = frozenset({"골목길", "광장", "공원", "마을", "운동장", "강당", "회의실"})

# After a place opening the line: the activity held there (the last part of a word), or done on the
# site (`맘껏숲 놀이관찰`, `수목원 생태탐방`). Not a 다울마당 / 다올마당: a standing citizen panel,
# named, like a committee, after the place it is about (`충무시설 문화재생 다올마당`) ...
_EVENT_END = re.compile(
    r"(?:간담회|간담|회의|총회|이사회|정기회|설명회|공청회|토론회|포럼|세미나|심포지엄|"
    r"컨퍼런스|콘서트|워크숍|워크샵|축제|잔치|페스티벌|한마당|공연|음악회|행사|대회|장터|마켓|파티|전시회|"
    r"전시전|박람회|개소식|개관식|개장|협약식|기념식|발대식|시상식|트리엔날레|비엔날레|주간|캠프|특강|집담회|"
    r"좌담|좌담회|보고회|공유회|발표회|관찰|탐방)$"
)
# ... unless a word before it names a group (the place is part of the group's name) ...
_GROUP_END = re.compile(
    r"(?:협회|상인회|위원회|협의회|협의체|조합|단|모임|공동체|동아리|네트워크|연대|번영회|연합회|본부|"
    r"서포터즈|클럽|회원|학회)$"
)
# ... or says what is done to the place (it is the subject, not the venue)
_SUBJECT = re.compile(
    r"조성|건립|재생|정비|복원|개선|설립|유치|활성화|인증|지정|특화|현안|공모|명칭|방안|수립|계획|마스터플랜|"
    r"착공|공사|추진|관련|위한|대비|발굴|도입|확충|구축|강화|사업|홍보|조사|운영|이용|만족도|보수|리모델링"
)
# a word ending so is a phrase (`주민과`, `방문을`), not a name of participants or a time
_PHRASE_END = re.compile(r"(?:을|를|에|에서|으로|로|과|와|의|은|는|하는|위한|통한|따른|된|한|및|등)$")
# the activity is about a later one: `... 음악회 추진 간담회`
_ABOUT_LATER = re.compile(r"(?:추진|준비|관련|위한|대비|계획)\s*\S*?(?:간담회|회의|설명회|공청회|토론회|포럼|워크숍)")
_PARTICLES = re.compile(r"(?:와의|과의|와|과|의|은|는|이|가|을|를)$")
_WORD_CORE = re.compile(r"[(\[:]")
_QUOTES = "'\"‘’“”「」『』"
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
    is_generic: bool = False  # a place was stated but it is city-wide, a kind or a count (`5개소`)


def _clean(name: str) -> str:
    name = _TRAILING.sub("", name.strip())
    words = name.split()
    if len(words) > 1 and _NOT_A_NAME_END.search(words[0]):
        words = words[1:]  # `위한 청년센터` -> `청년센터`
    return " ".join(words)


def _word_core(word: str) -> str:
    """`사생대회('19.10.19.)` -> `사생대회`; `'별별체험단'` -> `별별체험단`."""
    return _WORD_CORE.split(word.strip(_QUOTES), 1)[0].strip(_QUOTES)


def _held_at_opening_place(title: str) -> str | None:
    """The place opening the line when the words after it name the activity held there."""
    m = _OPENING_PLACE.match(title)
    if not m:
        return None
    words = title[m.end() :].split()
    for i, word in enumerate(words[:3]):
        core = _word_core(word)
        bare = _PARTICLES.sub("", core)
        if not core or _GROUP_END.search(bare):
            return None  # `한옥마을 사랑모임 회의`: the place names the group
        if _EVENT_END.search(core):
            if _ABOUT_LATER.search(" ".join(words[i + 1 :])):
                return None  # `... 음악회 추진 간담회`: a meeting about the concert
            return m.group("v")
        if _SUBJECT.search(core) or _PHRASE_END.search(core):
            return None  # `... 조성사업 주민설명회`: the place is the subject
    return None


def _held_at_place_before_event(title: str) -> str | None:
    """A place anywhere on the line directly followed by the activity held there (`송천동지역
    공동체가 함께 하는 송천동 마을축제`): the words before it are the participants or the theme,
    not what is done to the place, which would stand between them."""
    for m in _PLACE_BEFORE_EVENT.finditer(title):
        words = title[m.end("v") :].split()
        if not words or not _EVENT_END.search(_word_core(words[0])):
            continue
        if _ABOUT_LATER.search(" ".join(words[1:])):
            return None  # `... 음악회 추진 간담회`: a meeting about the concert
        return m.group("v")
    return None


def _in_details(title: str, detail_texts: list[str]) -> str | None:
    visit = bool(_VISIT_WORDS.search(title))
    for text in detail_texts:
        m = "," in text and _DETAIL_PLACE.match(text)  # (the comma: a quick no for most details)
        if m:
            return m.group("v")
        m = "," in text and _PLACE_LIST.match(text)
        if m:
            return m.group("v")
        if visit:
            m = _PLACES_OPENING.match(text)
            if m:
                return m.group("v")
        m = "에서" in text and _AT_HELD.search(text)
        if m:
            return m.group("v")
    return None


def _fuller(name: str, detail_texts: list[str]) -> str:
    """`골목길` -> `한옥마을 골목길` when a detail names it so."""
    if name not in _BARE:
        return name
    fuller = re.compile(rf"({_WORD}+{_FACILITY})\s*{re.escape(name)}")
    for text in detail_texts:
        m = name in text and fuller.search(text)
        if m:
            return f"{m.group(1)} {name}"
    return name


def _venue(name: str, online: bool, detail_texts: list[str]) -> Venue:
    name = _clean(name)
    if name in _GENERIC_NAMES:
        return Venue(None, online, True)
    return Venue(_fuller(name, detail_texts), online)


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
                    return _venue(m.group("v"), online, detail_texts)
        place = _held_at_opening_place(title) or _held_at_place_before_event(title)
        if place:
            return _venue(place, online, detail_texts)
    place = _in_details(title, detail_texts)
    if place:
        return _venue(place, online, detail_texts)
    return Venue(None, online, generic)
