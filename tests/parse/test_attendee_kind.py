"""What a people figure counts (SPEC.md, attendees_kind), on constructed lines."""
from __future__ import annotations

import pytest

from pipeline.parse.people import attendance


@pytest.mark.parametrize("texts, kind", [
    (["주민 간담회 개최 (30명)"], "attended"),
    (["시민 설문조사 실시", "- 대상 : 시민 1,200명"], "surveyed"),
    (["만족도 조사", "- 1,200명 응답"], "surveyed"),
    (["도시재생 아카데미 운영", "- 수강생 45명"], "trained"),
    (["마을활동가 양성과정", "- 30명 수료"], "trained"),
    (["찾아가는 교육 실시", "- 50명 참석"], "trained"),       # present at a course
    (["취약계층 생활용품 지원 (120명)"], "served"),
    (["어르신 방문상담", "- 대상자 80명"], "served"),
    (["자문위원 위촉", "- 위원 16명 위촉"], "appointed"),
    (["시민기자단 운영", "- 단원 30명 선발"], "appointed"),
    (["추진위원회 회의 개최", "- 위원 15명 참석"], "attended"),  # members met: attended
    (["일자리지원센터 개소식 (100여명)"], "attended"),          # 지원 inside a place name
])
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
