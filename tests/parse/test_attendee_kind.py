"""What a people figure counts (SPEC.md, attendees_kind), on constructed lines."""

from __future__ import annotations

import pytest

from pipeline.parse.people import attendance


@pytest.mark.parametrize(
    "texts, kind",
    [
        (["주민 간담회 개최 (30명)"], "attended"),
        (["시민 설문조사 실시", "- 대상 : 시민 1,200명"], "surveyed"),
        (["만족도 조사", "- 1,200명 응답"], "surveyed"),
        (["도시재생 아카데미 운영", "- 수강생 45명"], "trained"),
        (["마을활동가 양성과정", "- 30명 수료"], "trained"),
        (["찾아가는 교육 실시", "- 50명 참석"], "trained"),  # present at a course
        (["취약계층 생활용품 지원 (120명)"], "served"),
        (["어르신 방문상담", "- 대상자 80명"], "served"),
        (["자문위원 위촉", "- 위원 16명 위촉"], "appointed"),
        (["시민기자단 운영", "- 단원 30명 선발"], "appointed"),
        (["추진위원회 회의 개최", "- 위원 15명 참석"], "attended"),  # members met: attended
        (["일자리지원센터 개소식 (100여명)"], "attended"),  # 지원 inside a place name
    ],
)
def test_the_words_near_a_figure_decide_its_kind(texts, kind):
    got = attendance(texts)
    assert got.kind == kind, [(f.raw, f.attendee_kind) for f in got.figures]


def test_groups_of_different_kinds_summed_are_mixed():
    got = attendance(["각종 모임 참석", "- 상인 간담회 : 20명 참석", "- 상인 교육 : 40명 참석"])
    assert got.count == 60 and got.kind == "mixed"
    assert [f.attendee_kind for f in got.figures] == ["attended", "trained"]


def test_a_total_keeps_its_own_kind():
    got = attendance(["시민 의견조사", "- 대상 : 1,000명(전국 700, 전북 300)"])
    assert got.count == 1000 and got.kind == "surveyed"


def test_no_figure_no_kind():
    assert attendance(["주민설명회 개최"]).kind is None
    assert attendance(["좌담회", "- 회차별 10명내외"]).kind is None


@pytest.mark.parametrize(
    "texts, kind",
    [
        # the head of the own line is read outside its brackets: the figure's own 참석 does not make it
        (["마을 목공교육('19년 6회 교육/120명 참석)"], "trained"),
        (["어르신 건강체조 교실 운영(10회/45명 참여)"], "trained"),
        # a class experienced is a class
        (["(여름방학) 수영교실 체험 25명"], "trained"),
        # an opportunity given is not a service: what it is an opportunity for speaks
        (["주민 초청 전통공연 관람 기회 제공(4회, 120여명)"], "attended"),
        # people helped by experiences: the details say it is support
        (["('20. 3~10월) 생활체험 : 22명", "- 장보기, 대중교통 타기 등 지역사회 적응 지원"], "served"),
        (["('20. 3~10월) 생활체험 : 22명", "- 장보기, 대중교통 타기 등"], "attended"),
    ],
)
def test_students_of_a_course_and_recipients_of_support(texts, kind):
    got = attendance(texts)
    assert got.kind == kind, [(f.raw, f.attendee_kind) for f in got.figures]


@pytest.mark.parametrize(
    "texts, kind",
    [
        # care received is a service (SPEC.md: services, care)
        (["경증치매 어르신 재활 프로그램 운영(30회 52명)"], "served"),
        (["찾아가는 구강 진료 : 140명"], "served"),
        (["재활용 분리배출 캠페인 (40명 참여)"], "attended"),  # 재활용 is recycling, not care
        # hired is recruited: appointed
        (["마을돌봄 코디네이터 채용 공고(6명)"], "appointed"),
    ],
)
def test_care_is_served_and_hiring_is_appointed(texts, kind):
    got = attendance(texts)
    assert got.kind == kind, [(f.raw, f.attendee_kind) for f in got.figures]


@pytest.mark.parametrize(
    "texts, kind",
    [
        # the people a survey is for are its respondents, whoever they are
        (["생활체육시설 이용 만족도 설문조사 실시", "- 체육관 이용자 250명 대상"], "surveyed"),
        (["주민설명회 개최", "- 설명회 참석 대상자 45명 설문 조사"], "surveyed"),
        (["주민설명회 및 만족도 조사 실시", "- 대상자 45명"], "surveyed"),
        # ... and those of a course its students, those of a service its recipients
        (["안전교육 실시", "- 교육 대상자 60명"], "trained"),
        (["저소득층 반찬 지원", "- 대상자 90명"], "served"),
    ],
)
def test_target_and_user_words_give_way_to_the_activity(texts, kind):
    got = attendance(texts)
    assert got.kind == kind, [(f.raw, f.attendee_kind) for f in got.figures]
