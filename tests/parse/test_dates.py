"""The date grammar, rule by rule, on strings from the real report."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.parse.dates import event_dates, explicit_days, scan_dates


def show(p) -> str | None:
    if p is None:
        return None
    y = "?" if p.year is None else str(p.year)
    if p.precision == "year":
        return y
    if p.precision == "month":
        return f"{y}-{p.month:02d}"
    return f"{y}-{p.month:02d}-{p.day:02d}"


def points(text: str) -> list[str]:
    return [show(p) for p in scan_dates(text).points if not p.weak]


def span(own: str, details: list[str] = (), report_year: int = 2020) -> tuple[str | None, str | None]:
    d = event_dates(own, list(details), report_year=report_year)
    return show(d.start), show(d.end)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("'19. 3. 22.", ["2019-03-22"]),
        ("19.4.8 / 참석인원: 70명", ["2019-04-08"]),
        ('"19. 5. 7.', ["2019-05-07"]),
        ("2019. 10월", ["2019-10"]),
        ("'19. 5월", ["2019-05"]),
        ("('18. 년중)", ["2018"]),
        ("(17.1.23.)", ["2017-01-23"]),
        ("('18.04.19)", ["2018-04-19"]),
        ("2019년 2월 공모 진행 상황", ["2019-02"]),
        ("'19.8월중 4회(참여인원 68명)", ["2019-08"]),
        ("'20. 10. 8(수) 16:00 / 9명", ["2020-10-08"]),  # weekday and clock time are no dates
        ("'18. 9. 17(참여인원 100여명)", ["2018-09-17"]),
    ],
)
def test_single_dates_and_precision(text, expected):
    assert points(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("'19. 3. 22.~3. 24.", ["2019-03-22", "2019-03-24"]),
        ("('19. 11. 1.~3.)", ["2019-11-01", "2019-11-03"]),
        ("'20. 10. ~ 12.", ["2020-10", "2020-12"]),
        ("'19.11.~'23.12.", ["2019-11", "2023-12"]),
        ("'19. 3~11월", ["2019-03", "2019-11"]),
        ("'20. 1월 ~ 12월", ["2020-01", "2020-12"]),
        ("'19. 5월 ~ 2019. 10월", ["2019-05", "2019-10"]),
        ("('19. 7 ~ 12.)", ["2019-07", "2019-12"]),
        ("'16. 7.~12..", ["2016-07", "2016-12"]),
        ("'20. 6. 27. ~ 7. 11. / 1부,2부 리그 경기", ["2020-06-27", "2020-07-11"]),
        ("'20. 10. 27 ~ 10. 28(8명)", ["2020-10-27", "2020-10-28"]),
        ("2015년 ~ 2020년", ["2015", "2020"]),
    ],
)
def test_ranges_inherit_missing_parts_from_their_start(text, expected):
    assert points(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("('19.11.26/12.2/12.4)", ["2019-11-26", "2019-12-02", "2019-12-04"]),
        ("(1차) '18.11.13(화)/ (2차) '19.11.21.(목)/ 30여명", ["2018-11-13", "2019-11-21"]),
        ("(19.4.30., 18.7.23., 17.5.31.)", ["2019-04-30", "2018-07-23", "2017-05-31"]),
        ("('19. 1. 15, 12. 18)", ["2019-01-15", "2019-12-18"]),
        ("- '19. 4. 25./ 5. 14./ 6. 17", ["2019-04-25", "2019-05-14", "2019-06-17"]),
        ("('18. 3월, 6월, 9월, 11월)", ["2018-03", "2018-06", "2018-09", "2018-11"]),
    ],
)
def test_lists_carry_the_year_forward(text, expected):
    assert points(text) == expected


def test_open_ranges():
    s = scan_dates("('19. 9. 30.~)")
    assert points("('19. 9. 30.~)") == ["2019-09-30"] and s.open_end and not s.open_start
    s = scan_dates("치매치료관리비 도움물품 지원사업 추진(2,402명) : ~'20. 12.")
    assert s.open_start and not s.open_end
    assert span("마스터플랜 수립 연구용역 추진('19. 9. 2. ~ )") == ("2019-09-02", None)
    assert span("치매 무료 조기검진사업 추진(5,547건) : ~ '20. 12.") == (None, "2020-12")
    assert span("사업계획 및 운영 전반 전문가 컨설팅(월 1회, '19. 5. ~ )") == ("2019-05", None)
    assert scan_dates("(2018. 11.~현재)").open_end


def test_a_year_inside_a_name_is_not_a_date_when_a_real_one_is_present():
    assert span("2019 경남관광박람회 시민 대상 상품 홍보('19. 3. 22.~3. 24.)") == ("2019-03-22", "2019-03-24")
    assert span("'19년 국제. 전국규모 대회 유치 성과분석 용역 완료('20. 2.)") == ("2020-02", "2020-02")
    assert span("2020년 상반기드론축구대회 개최", ["'20. 6. 27. ~ 7. 11. / 1부,2부 리그 경기"]) == (
        "2020-06-27",
        "2020-07-11",
    )


def test_year_only_from_the_title_when_nothing_else():
    assert span("2019 제1회 전주시 야호시장 참여자 모집", ["야호시장을 문화시장으로 만들기 위한 참여자 모집"]) == (
        "2019",
        "2019",
    )
    assert span("해피하우스 자가 수리를 위한 주택 리폼교육('18년 8회 교육/177명 참석)") == ("2018", "2018")


def test_own_line_first_then_details():
    assert span("입주기업 간담회 개최('19.12.19.)", ["입주기업 간담회 개최('18. 11. 29.)"]) == (
        "2019-12-19",
        "2019-12-19",
    )
    assert span(
        "이업종 융합산업 포럼 개최", ["개최일자 : '19. 6. 27. / '19. 8. 28. / '19. 10. 17. / '20. 11. 25."]
    ) == ("2019-06-27", "2020-11-25")


def test_title_year_dates_yearless_months_of_details():
    assert span(
        "2020 스마트공장 배움터 연수생 모집 버스정보시스템(BIS) 홍보", ["교육기간 : 2월, 3월, 6월, 7월(월별 20~30명)"]
    ) == ("2020-02", "2020-07")


def test_month_without_year_is_flagged_and_left_undated():
    # SPEC: a month with no year anywhere on the line or its details cannot be decided;
    # the report year is not assumed (the report covers 2015-2021)
    d = event_dates("경로당 운영현황 및 회원 욕구파악을 위한 방문상담 15개동 15회(3~11월)", [], report_year=2020)
    assert [k for k, _ in d.problems] == ["month_without_year"]
    assert (d.start, d.end, d.points) == (None, None, [])


COUNCIL = "전북창업유관기관 협의회 추진"
COUNCIL_DETAILS = [
    "(1회 / 11.10.) 전북창업대전 개최에 따른 기관별 프로그램 운영 논의",
    "(2회 / 11.20.) 전주창업경진대회 운영을 위한 전북창업유관기관 협의회 실무협의",
    "(3회 / 11.27.) 전북창업대전 운영 관련 기관별 피드백 및 21년 사업 공유",
    "(4회 / 12.18.) 기관별 2021년 창업 추진 계획 수립 전 사전 협의 사항 논의",
]


def test_a_yearless_day_matching_a_dated_sibling_takes_its_year():
    # dev gold serial 10 #3: its 2nd meeting (11.20.) is the day of the sibling
    # `2회 전주창업경진대회 개최 : '20. 11. 20.`; the years 21년/2021년 are plans, not dates
    siblings = explicit_days("2회 전주창업경진대회 개최 : '20. 11. 20.", ["장소: 전북대 진수당"])
    assert siblings == {(2020, 11, 20)}
    d = event_dates(COUNCIL, COUNCIL_DETAILS, report_year=2020, sibling_days=siblings)
    assert (show(d.start), show(d.end)) == ("2020-11-10", "2020-12-18")
    [(kind, message)] = d.problems
    assert kind == "month_without_year" and "read as 2020" in message


def test_without_a_matching_sibling_a_yearless_day_stays_undated():
    d = event_dates(COUNCIL, COUNCIL_DETAILS, report_year=2020, sibling_days={(2019, 10, 31)})
    assert (d.start, d.end) == (None, None)
    assert [k for k, _ in d.problems] == ["month_without_year"]


def test_a_sibling_day_matching_in_two_years_decides_nothing():
    d = event_dates(
        "전시회 개최",
        ["12.23~28.[6일간] 사진작품 전시"],
        report_year=2020,
        sibling_days={(2019, 12, 23), (2020, 12, 23)},
    )
    assert (d.start, d.end) == (None, None)
    d = event_dates("전시회 개최", ["12.23~28.[6일간] 사진작품 전시"], report_year=2020, sibling_days={(2019, 12, 23)})
    assert span_of(d) == ("2019-12-23", "2019-12-28")


def test_a_yearless_detail_takes_the_one_year_its_sibling_details_state():
    d = event_dates("수공예단체 간담회 실시", ["1차 : '19. 11. 26.", "2차 : 12.2."], report_year=2020)
    assert span_of(d) == ("2019-11-26", "2019-12-02")


def span_of(d) -> tuple[str | None, str | None]:
    return show(d.start), show(d.end)


def test_a_stray_quote_in_a_range_end_is_read_as_month_day():
    s = scan_dates(": '19. 9.23. ~ '10.7.")
    assert points(": '19. 9.23. ~ '10.7.") == ["2019-09-23", "2019-10-07"]
    assert [k for k, _ in s.problems] == ["end_before_start"]


def test_no_dates_in_counts_and_durations():
    assert points("주 2~3회 / 1부~3부리그 / 월별 20~30명 / 2,091명 / 1:1 컨설팅") == []


_date_chars = st.sampled_from(list("0123456789 .'~/,()월년중-") + ["'19.", "'20. ", "2019", "~", "(화)", " 3~11월"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_date_chars, max_size=25).map("".join))
def test_scan_never_crashes_on_date_like_noise(text):
    scan_dates(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_date_chars, max_size=25).map("".join), st.lists(_date_chars, max_size=15).map("".join))
def test_event_dates_never_end_before_they_start(own, detail):
    d = event_dates(own, [detail], report_year=2020)
    if d.start is not None and d.end is not None:
        assert d.end.first_day() >= d.start.first_day()
        assert d.end.last_day() >= d.start.first_day()
    for p in d.points:
        assert isinstance(p.first_day(), dt.date)
