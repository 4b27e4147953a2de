"""The venue rules (SPEC.md, venue), one by one, on constructed titles and details.

A venue is the place where the activity happened; a place that is the activity's subject or part
of a group's name is not one; lists of places are kept as the text gives them.
"""

from __future__ import annotations

import pytest

from pipeline.parse.venue import find_venue


def name(title: str, *details: str) -> str | None:
    return find_venue(title, list(details)).name


# --- markers of a venue ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "title, details, expected",
    [
        # a `장소` label, on a detail, without what follows it
        ("청년 창업 경진대회 개최", ["장소: 덕진문화회관 / 주요내용 : 3팀 시상"], "덕진문화회관"),
        ("건강 걷기 행사", ["장 소 : 효자도서관 2층 강당 및 앞마당"], "효자도서관 2층 강당 및 앞마당"),
        # a place followed by 내 or 에서
        ("평화공원 내 산책로 정비 점검", [], "평화공원"),
        ("완산청소년회관에서 청소년 토론회 개최", [], "완산청소년회관"),
        # the facility a ceremony opens
        ("덕진생활문화센터 개관식", [], "덕진생활문화센터"),
        ("전주시 청소년상담센터 시범운영 개소식", [], "전주시 청소년상담센터"),
        # a place in brackets after the activity
        ("주거환경 개선 주민공청회(효자새뜰마을)", [], "효자새뜰마을"),
        ("주민 설명회(송천역세권)", [], "송천역세권"),
        ("경로당 건강체조 운영(삼천주공 2단지)", [], "삼천주공 2단지"),
        # a facility visited
        ("익산노인복지관 벤치마킹", [], "익산노인복지관"),
    ],
)
def test_a_marked_place_is_the_venue(title, details, expected):
    assert name(title, *details) == expected


@pytest.mark.parametrize(
    "title, expected",
    [
        ("효자새뜰마을 민관협약식 및 주민축제", "효자새뜰마을"),
        ("송천문화마을 벽화 비엔날레 개최", "송천문화마을"),
        ("덕진도서관 작가 간담회 개최", "덕진도서관"),
        ("우아동 문화마을 어린이 그림대회 개최", "우아동 문화마을"),
        ("객사마을 관광객 연말 감사축제", "객사마을"),
    ],
)
def test_a_place_opening_the_line_before_the_activity_held_there_is_the_venue(title, expected):
    assert name(title) == expected


def test_lists_of_places_are_kept_as_the_text_gives_them():
    assert name("효자, 송천도서관 시민간담회 추진") == "효자, 송천도서관"
    assert (
        name("마을 공동체 프로그램 운영 : 연중", "효자새뜰마을, 우아새뜰마을, 대성골 새뜰마을")
        == "효자새뜰마을, 우아새뜰마을, 대성골 새뜰마을"
    )
    assert (
        name("선진지 벤치마킹", "대구 행복센터 및 광주 희망복지관 운영 현황 확인") == "대구 행복센터 및 광주 희망복지관"
    )


def test_a_detail_opening_with_the_place_then_its_figures():
    assert name("공동체 선정 심사", "덕진예술회관, 40개 공동체 90명 참여") == "덕진예술회관"


def test_a_detail_saying_where_it_was_held():
    assert name("청년 정책 토론회", "완산생활체육관에서 개최, 80명 참석") == "완산생활체육관"
    # 에서 that is not where the activity was held
    assert name("자립생활 지원 결정", "IL센터에서 코디네이터 확보 예정") is None


def test_a_bare_place_word_takes_the_fuller_name_of_a_detail():
    assert name("골목길 야간 음악공연 추진", "객사마을 골목길 공연 주민참여") == "객사마을 골목길"


@pytest.mark.parametrize(
    "title, details, expected",
    [
        # a neighbourhood (동) is a named place, alone or with its community centre
        ("인후2동 주민센터에서 주민 간담회 개최", [], "인후2동 주민센터"),
        ("효자동 행정복지센터 주민설명회", [], "효자동 행정복지센터"),
        ("진북동 주민 간담회('20. 3. 5.)", [], "진북동"),
        ("진북동에서 주민 간담회 개최", [], "진북동"),
        ("주민 건강걷기 행사", ["장 소 : 삼천1동 주민센터"], "삼천1동 주민센터"),
        ("생활안전 점검 회의", ["조촌동 주민센터, 25명 참석"], "조촌동 주민센터"),
        # ... also where it stands right before the activity held there, further in the line
        ("조촌동지역 주민들이 함께 하는 조촌동 한마당", [], "조촌동"),
        # a forest, an arboretum, a forest park
        ("오송산림공원 숲해설 걷기 행사", [], "오송산림공원"),
        ("완산수목원에서 어린이 생태교실 운영", [], "완산수목원"),
        ("한들 편백숲 놀이관찰", [], "한들 편백숲"),
        ("기린 수목원 생태탐방 (30명)", [], "기린 수목원"),
    ],
)
def test_neighbourhoods_and_forests_are_places(title, details, expected):
    assert name(title, *details) == expected


@pytest.mark.parametrize(
    "title",
    [
        # counts of neighbourhoods and common nouns ending in 동 are no neighbourhood
        "경로당 운영현황 파악을 위한 방문상담 12개동 12회",
        "장애아동 가족 캠프",
        "청소년 봉사활동 발대식",
        # a neighbourhood naming a group or the subject, as any place does
        "진북동 나눔 운영위원회 간담회",
        "'서노송동 예술창작센터' 명칭 공모",
        "도심 바람길숲 조성 다울마당 운영",
        "참여숲 조성 추진",
        # a 다울마당 is a standing citizen panel named after the place it is about
        "한들아이숲 다울마당 운영 12회",
    ],
)
def test_what_only_looks_like_a_neighbourhood_or_forest_is_not_the_venue(title):
    assert name(title) is None


# --- places that are not the venue ----------------------------------------------------------


@pytest.mark.parametrize(
    "title",
    [
        # the subject: what is built, revitalised, planned or discussed
        "반려견놀이터 조성사업 주민설명회",
        "완산도서관 리모델링 관련 간담회",
        "객사마을 현안 논의를 위한 간담회",
        "송천역세권 도시재생 포럼",
        "효자복지센터 건립 주민 설명회",
        "덕진공원 활성화 간담회",
        "객사마을 특화 관광상품 만족도 조사",
        "대성골 새뜰마을 마스터플랜 수립 주민설명회",
        # about a later activity: the meeting that prepares the concert
        "객사마을 골목길 작은 음악회 추진 간담회",
        # part of a group's name
        "남부시장 상인회 간담회",
        "객사마을 사랑모임 회의",
        "효자문화마을 주민협의체와의 간담회",
        "객사마을 비빔공동체 발기인 총회",
        "객사마을 별별체험단 회의",
        "대성골 새뜰마을 집수리 선정위원회 회의",
        "송천도서관 운영위원회 회의",
        # a programme named after a place, not an activity held there
        "객사마을 방송국 운영",
        "숲정원학교 운영",
    ],
)
def test_a_place_that_is_the_subject_or_names_a_group_is_not_the_venue(title):
    assert name(title) is None


@pytest.mark.parametrize(
    "title, details",
    [
        ("농촌마을 방문을 통한 건강 교육", []),
        ("마을버스 환승거점 현장안내", ["장 소 : 5개소(주요 환승거점)"]),
        ("방역 실시(16개소 11회)", []),
    ],
)
def test_generic_places_are_not_venues(title, details):
    place = find_venue(title, details)
    assert place.name is None


def test_online_activities():
    assert find_venue("공동체 비대면 온라인워크숍", []).is_online
    assert find_venue("설계공모 작품심사 SNS 실시간 방송", []).is_online
    assert find_venue("참여자 힐링캠프", ["내용: 심리검사 등 온라인으로 진행"]).is_online
    # planning an online meeting is not holding one online
    assert not find_venue("국제위원회 회의", ["주요내용 : 온라인회의 개최방안 논의"]).is_online


def test_no_place_named():
    assert name("상생발전기업 선정 관련 간담회", "일 시 : '20. 10. 27 (8명)") is None
    assert name("사업완료에 따른 주민초청 개관식") is None
