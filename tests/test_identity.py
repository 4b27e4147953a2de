"""The activity matcher (pipeline/identity/match.py) on strings of the real report."""

import datetime as dt

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.identity.match import (
    ActivityRecord,
    KeyHistory,
    assign_keys,
    match_period,
    new_key,
    normalise_title,
    similarity,
)

Y19, Y20, Y21 = dt.date(2019, 12, 31), dt.date(2020, 12, 31), dt.date(2021, 12, 31)
D = dt.date


def rec(report_date, seq, title, start=None, end=None, pledge="3", precision="day"):
    return ActivityRecord(
        report_date=report_date,
        pledge_code=pledge,
        event_seq=seq,
        title=title,
        start_date=start,
        start_precision=precision if start else None,
        end_date=end or start,
        end_precision=precision if (end or start) else None,
    )


# Pledge 3 of the real 2020 report, as printed.
PLEDGE_3_2020 = [
    rec(Y20, 1, "미래형 개인비행체 개발과 지역경제 활성화 방안 포럼 개최('19. 10. 15.)", D(2019, 10, 15)),
    rec(Y20, 2, "드론산업 국제박람회 개최('19. 7. 24.)", D(2019, 7, 24)),
    rec(Y20, 3, "전주 FAI 월드드론 마스터즈 대회 개최('19. 11. 1.~3.)", D(2019, 11, 1), D(2019, 11, 3)),
    rec(Y20, 4, "2020년 상반기드론축구대회 개최", D(2020, 6, 27), D(2020, 7, 11)),
    rec(Y20, 5, "제3회 세계일보배 전국 드론축구 대회 개최", D(2020, 11, 7), D(2020, 11, 21)),
]


def keyed(previous_records, year=Y19):
    """Previous-period records with keys, as `match_period` takes them."""
    return [(r, new_key(year, r.pledge_code, r.event_seq)) for r in previous_records]


# ---------------------------------------------------------------- normalisation and similarity


@pytest.mark.parametrize(
    "a, b",
    [
        ("드론축구인 화합의 날 개최('19. 12. 14.)", "드론축구인 화합의날('19. 12. 14.)"),  # 개최 dropped, spacing
        (
            "드론축구 전문가 자문회의('19. 5. 10.)",
            "드론축구 전문가 자문회의 개최(2019. 5. 10.)",
        ),  # 개최 added, 4-digit year
        ("제4기 참여자 오리엔테이션 개최", "제4기 참여자  오리엔테이션 개최"),
        ("◦ 평화, 삼천도서관 전문가시민간담회(9회)", "○ 평화, 삼천도서관 전문가시민간담회(9회)"),  # bullets
        ("기업애로 원스톱 지원단 운영 : '20. 1월 ~ 12월", "기업애로 원스톱 지원단 운영 : 2020. 1월 ~ 12월"),
        ("착한가격업소 모니터요원간담회('19.11.27.)", "착한가격업소 모니터요원간담회(2019. 11. 27.)"),
        ("온두레공동체 현장 컨설팅 진행 ('19년 2차)", "온두레공동체 현장컨설팅 진행 (2019년 2차)"),
    ],
)
def test_rewording_normalises_to_the_same_title(a, b):
    assert normalise_title(a) == normalise_title(b) != ""


@pytest.mark.parametrize(
    "a, b",
    [
        ("선미촌정비민관협의회 4차 소위원회", "선미촌정비민관협의회 5차 소위원회"),
        ("상반기 동물원 편익시설 만족도 설문조사 실시", "하반기 동물원 편익시설 만족도 설문조사 실시"),
        ("드론산업 국제박람회 개최", "드론축구 국제위원회 회의"),
    ],
)
def test_different_activities_keep_different_titles(a, b):
    assert normalise_title(a) != normalise_title(b)


def test_similarity_bounds():
    a, b = (
        normalise_title("투자유치 전략수립 용역 관련 논의"),
        normalise_title("2021년 투자유치 전략수립 용역 관련 정기논의"),
    )
    assert similarity(a, a) == 1.0
    assert 0.7 < similarity(a, b) < 1.0
    assert similarity(a, normalise_title("드론산업 국제박람회")) < 0.2
    assert similarity("", a) == 0.0


# ---------------------------------------------------------------- matching


def test_identical_report_matches_exactly():
    prev = keyed(PLEDGE_3_2020, Y20)
    current = [rec(Y21, r.event_seq, r.title, r.start_date, r.end_date) for r in PLEDGE_3_2020]
    out = match_period(current, prev)
    assert [k.match_method for k in out] == ["exact"] * 5
    assert [k.event_key for k in out] == [key for _, key in prev]
    assert {k.matched_report_date for k in out} == {Y20}


def test_reworded_moved_and_restyled_activities_keep_their_keys():
    prev = keyed(PLEDGE_3_2020[:3], Y19)
    key_of = {r.event_seq: key for r, key in prev}
    # next year: reordered, `개최` dropped, 4-digit years, spacing, plus two new ones in between
    current = [
        rec(Y20, 1, "2020년 상반기드론축구대회 개최", D(2020, 6, 27), D(2020, 7, 11)),
        rec(Y20, 2, "전주 FAI 월드드론 마스터즈대회(2019. 11. 1.~3.)", D(2019, 11, 1), D(2019, 11, 3)),
        rec(Y20, 3, "미래형 개인비행체 개발과 지역경제 활성화 방안 포럼(2019. 10. 15.)", D(2019, 10, 15)),
        rec(Y20, 4, "제3회 세계일보배 전국 드론축구 대회 개최", D(2020, 11, 7), D(2020, 11, 21)),
        rec(Y20, 5, "드론산업 국제박람회 개최('19. 7. 24.)", D(2019, 7, 24)),
    ]
    out = {k.event_seq: k for k in match_period(current, prev)}
    assert out[2].event_key == key_of[3] and out[2].match_method == "exact"
    assert out[3].event_key == key_of[1] and out[3].match_method == "exact"
    assert out[5].event_key == key_of[2] and out[5].match_method == "exact"
    assert out[1].match_method == out[4].match_method == "new"
    assert out[1].event_key == new_key(Y20, "3", 1) and out[1].matched_report_date is None


def test_changed_dates_match_on_title():
    prev = keyed([rec(Y20, 1, "드론축구 국제위원회 회의", D(2020, 10, 8))], Y20)
    out = match_period([rec(Y21, 1, "드론축구 국제위원회 회의", D(2020, 10, 8), D(2021, 4, 12))], prev)
    assert out[0].match_method == "title" and out[0].event_key == prev[0][1]


def test_reworded_title_with_same_dates_matches_on_dates():
    prev = keyed([rec(Y20, 1, "투자유치 전략수립 용역 관련 논의", D(2020, 2, 7), D(2020, 2, 14), pledge="2")], Y20)
    out = match_period(
        [rec(Y21, 1, "2021년 투자유치 전략수립 용역 관련 정기논의", D(2020, 2, 7), D(2020, 2, 14), pledge="2")], prev
    )
    assert out[0].match_method == "dates" and out[0].event_key == prev[0][1]


def test_reworded_title_with_other_dates_matches_when_similar():
    prev = keyed(
        [
            rec(
                Y20,
                1,
                "전주 신산업 융복합 지식산업센터 건립사업 주민설명회 개최('18. 8. 27.)",
                D(2018, 8, 27),
                pledge="7",
            )
        ],
        Y20,
    )
    current = [rec(Y21, 1, "전주 신산업 융복합 지식산업센터 건립 주민설명회('18. 8. 28.)", D(2018, 8, 28), pledge="7")]
    out = match_period(current, prev)
    assert out[0].match_method == "similar" and out[0].event_key == prev[0][1]


def test_other_session_numbers_are_not_similar():
    prev = keyed([rec(Y20, 1, "선미촌정비민관협의회 4차 소위원회 개최('19. 9. 25.)", D(2019, 9, 25), pledge="18")])
    current = [rec(Y21, 1, "선미촌정비민관협의회 5차 소위원회 개최('19. 10. 30.)", D(2019, 10, 30), pledge="18")]
    assert match_period(current, prev)[0].match_method == "new"


def test_matching_stays_within_a_pledge():
    prev = keyed([rec(Y20, 1, "드론산업 국제박람회 개최('19. 7. 24.)", D(2019, 7, 24), pledge="3")])
    out = match_period([rec(Y21, 1, "드론산업 국제박람회 개최('19. 7. 24.)", D(2019, 7, 24), pledge="4")], prev)
    assert out[0].match_method == "new"


def test_one_to_one_with_repeated_titles():
    """Pledge 61 of the real report prints `맞춤형 훈련센터 설립 유치 위한 간담회` several times."""
    title = "맞춤형 훈련센터 설립 유치 위한 간담회"
    prev = keyed(
        [
            rec(Y20, 1, title, D(2019, 3, 5), pledge="61"),
            rec(Y20, 2, title, D(2019, 4, 9), pledge="61"),
            rec(Y20, 3, title, D(2019, 5, 21), pledge="61"),
        ],
        Y20,
    )
    # next year: the April one dropped, a June one added before the others, the May one re-dated
    current = [
        rec(Y21, 1, title, D(2021, 6, 2), pledge="61"),
        rec(Y21, 2, title, D(2019, 3, 5), pledge="61"),
        rec(Y21, 3, title, D(2019, 5, 22), pledge="61"),
    ]
    out = {k.event_seq: k for k in match_period(current, prev)}
    keys = {r.event_seq: key for r, key in prev}
    assert out[2].event_key == keys[1] and out[2].match_method == "exact"
    assert out[3].event_key == keys[3] and out[3].match_method == "title"  # closest date wins
    assert out[1].match_method == "new"
    assert len({k.event_key for k in out.values()}) == 3


def test_more_copies_than_before_gives_new_keys():
    title = "주민 간담회"
    prev = keyed([rec(Y20, 1, title)], Y20)
    out = match_period([rec(Y21, 1, title), rec(Y21, 2, title)], prev)
    assert sorted(k.match_method for k in out) == ["exact", "new"]
    assert len({k.event_key for k in out}) == 2


def test_an_activity_back_after_a_gap_gets_its_old_key():
    a = rec(Y19, 1, "드론축구인 화합의 날 개최('19. 12. 14.)", D(2019, 12, 14), pledge="4")
    other = rec(
        Y19, 2, "드론축구 홍보영상 제작 방영('19. 5.~6.)", D(2019, 5, 1), D(2019, 6, 1), pledge="4", precision="month"
    )
    later_other = rec(Y20, 1, other.title, other.start_date, other.end_date, pledge="4", precision="month")
    back = rec(Y21, 1, "드론축구인 화합의날('19. 12. 14.)", D(2019, 12, 14), pledge="4")
    out = assign_keys([a, other, later_other, back])
    by = {(k.report_date, k.event_seq): k for k in out}
    assert by[(Y21, 1)].event_key == by[(Y19, 1)].event_key
    assert by[(Y21, 1)].matched_report_date == Y19


def test_keys_are_deterministic_and_independent_of_input_order():
    records = [rec(Y19, r.event_seq, r.title, r.start_date, r.end_date) for r in PLEDGE_3_2020[:3]] + PLEDGE_3_2020
    first = assign_keys(records)
    again = assign_keys(list(reversed(records)))
    assert sorted(first, key=str) == sorted(again, key=str)
    assert {k.event_key for k in first if k.report_date == Y19} == {new_key(Y19, "3", i) for i in (1, 2, 3)}


# ---------------------------------------------------------------- property: never two activities on one key

TITLES = [r.title for r in PLEDGE_3_2020] + [
    "드론축구 전문가 자문회의 개최('19. 5. 10.)",
    "드론축구 국제위원회 회의",
    "주민 간담회",
    "주민 간담회 개최",
    "선미촌정비민관협의회 4차 소위원회",
    "선미촌정비민관협의회 5차 소위원회",
    "",
]
DATES = [None, D(2019, 3, 22), D(2019, 3, 23), D(2020, 10, 8)]
activity = st.tuples(st.sampled_from(["3", "4", "5-1"]), st.sampled_from(TITLES), st.sampled_from(DATES))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(activity, max_size=12), min_size=1, max_size=4))
def test_keys_unique_within_every_report(reports):
    records = []
    for year, acts in zip((2018, 2019, 2020, 2021), reports):
        seqs: dict[str, int] = {}
        for pledge, title, date in acts:
            seqs[pledge] = seqs.get(pledge, 0) + 1
            records.append(rec(D(year, 12, 31), seqs[pledge], title, date, pledge=pledge))
    out = assign_keys(records)
    assert len(out) == len(records)
    by_period: dict = {}
    for k in out:
        by_period.setdefault(k.report_date, []).append(k.event_key)
        assert (k.match_method == "new") == (k.matched_report_date is None)
    for keys in by_period.values():
        assert len(keys) == len(set(keys))
    assert assign_keys(list(reversed(records))) == out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(activity, max_size=10), min_size=2, max_size=5), st.integers(1, 4))
def test_keying_can_resume_from_a_history(reports, split):
    """Keys of the later reports, given the history of the earlier ones, are those of one full pass."""
    records = []
    for year, acts in zip(range(2017, 2022), reports):
        seqs: dict[str, int] = {}
        for pledge, title, date in acts:
            seqs[pledge] = seqs.get(pledge, 0) + 1
            records.append(rec(D(year, 12, 31), seqs[pledge], title, date, pledge=pledge))
    cut = D(2017 + split, 1, 1)
    history = KeyHistory()
    first = assign_keys([r for r in records if r.report_date < cut], history)
    rest = assign_keys([r for r in records if r.report_date >= cut], history)
    assert first + rest == assign_keys(records)


# ---------------------------------------------------------------- the table the asset writes


def test_writing_keys_is_idempotent():
    from pipeline.identity.store import read_activities, write_keys

    con = duckdb.connect(":memory:")
    con.execute("create schema staging")
    con.execute("""create table staging.events as select * from (values
        (date '2019-12-31', '3', 1, '드론산업 국제박람회 개최(''19. 7. 24.)', date '2019-07-24', 'day',
         date '2019-07-24', 'day', 'x'),
        (date '2020-12-31', '3', 1, '드론산업 국제박람회(2019. 7. 24.)', date '2019-07-24', 'day',
         date '2019-07-24', 'day', 'x'),
        (date '2020-12-31', '3', 2, '2020년 상반기드론축구대회 개최', date '2020-06-27', 'day',
         date '2020-07-11', 'day', 'y'))
        t(report_date, pledge_code, event_seq, title, start_date, start_precision, end_date, end_precision,
          raw_text), (select '전주시' as municipality, 7 as term)""")
    keyed = assign_keys(read_activities(con))
    assert write_keys(con, keyed) == ([Y19, Y20], [])
    assert write_keys(con, keyed) == ([], [Y19, Y20])  # a re-run rewrites nothing
    rows = con.execute(
        "select report_date, event_seq, match_method, matched_report_date from staging.event_keys order by 1, 2"
    ).fetchall()
    assert rows == [(Y19, 1, "new", None), (Y20, 1, "exact", Y19), (Y20, 2, "new", None)]
    # the 2019 period disappears from staging: its keys go, 2020 is re-keyed
    con.execute("delete from staging.events where report_date = date '2019-12-31'")
    rewritten, kept = write_keys(con, assign_keys(read_activities(con)))
    assert rewritten == [Y19, Y20] and kept == []
    assert con.execute("select count(*) from staging.event_keys").fetchone()[0] == 2
