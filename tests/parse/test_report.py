"""Rows, segmentation and accounting: synthetic rows for each rule, then the real report."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from pipeline.parse.report import ReportTruncatedError, parse_report_text
from pipeline.raw.report_file import find_report_date

REPO = Path(__file__).resolve().parents[2]
REPORT = REPO / "raw" / "jeonju_pledge_communication_2020-12-31.txt"
DAY = dt.date(2020, 12, 31)
HEADER = "연번\t분 야\t관리번호\t공약사업명\t시민소통실적"
PREAMBLE = "\n【2020. 12. 31.】\n\n민선7기 공약사업  \n**주민소통 활동내역**\n\n전 주 시\n\n"


def ul(*items: str) -> str:
    return '<ul style="list-style-type: none"> ' + " ".join(f"<li>{i}</li>" for i in items) + " </ul>"


def parse(*rows: str):
    return parse_report_text(PREAMBLE + HEADER + "\n" + "\n".join(rows) + "\n", source_file="t.txt", report_date=DAY)


def balanced(report) -> bool:
    return report.n_list_items == report.n_items_as_event + report.n_items_as_detail + report.n_items_as_issue


def test_preamble_and_headers_are_skipped_and_lines_are_1_based():
    r = parse(
        f"1\t경 제 분 야\t1\t이름\t{ul('• 간담회 개최')}", "", HEADER, f"2\t문 화 분 야\t2\t이름2\t{ul('• 설명회')}"
    )
    assert [(row.serial_no, row.field_code, row.source_line) for row in r.rows] == [
        (1, "economy", 10),
        (2, "culture", 13),
    ]
    assert [e.title for e in r.events] == ["간담회 개최", "설명회"]
    assert find_report_date(PREAMBLE, "t.txt")[0] == DAY


@pytest.mark.parametrize("glyph", ["•", "◦", "○", "ㅇ"])
def test_every_bullet_glyph_starts_an_event(glyph):
    r = parse(f"1\t경제분야\t1\t이름\t{ul(f'{glyph} 간담회', '- 일 시 : 20. 1. 1.', f'{glyph} 설명회')}")
    assert [e.title for e in r.events] == ["간담회", "설명회"]
    assert [d.text for d in r.events[0].details] == ["일 시 : 20. 1. 1."]


def test_nested_and_flat_detail_markers():
    nested = "<li>• 간담회 <ul><li>- 일시 : '19.4.8</li><li>※ 참고</li><li>* 별표</li><li>↳ 화살표</li></ul></li>"
    r = parse(f"1\t경제분야\t1\t이름\t<ul>{nested}<li>• 포럼</li><li>- 평면 상세</li></ul>")
    first, second = r.events
    assert [(d.marker, d.text) for d in first.details] == [
        ("-", "일시 : '19.4.8"),
        ("※", "참고"),
        ("*", "별표"),
        ("↳", "화살표"),
    ]
    assert [d.text for d in second.details] == ["평면 상세"]
    assert first.start_date == dt.date(2019, 4, 8)
    assert r.n_items_as_event == 2 and r.n_items_as_detail == 5 and balanced(r)


def test_inline_detail_after_space_dash_space():
    r = parse(f"1\t경제분야\t1\t이름\t{ul('• 노송동 주민 동네잔치(19. 10. 25.) - 노송동 주민 200여명 - 문화공연')}")
    e = r.events[0]
    assert e.title == "노송동 주민 동네잔치(19. 10. 25.)"
    assert [(d.marker, d.text) for d in e.details] == [("inline", "노송동 주민 200여명"), ("inline", "문화공연")]
    assert e.attendee_count == 200 and e.attendee_is_approx


def test_lists_without_glyphs_and_bold_and_sup_inside_text():
    r = parse(
        f"1\t복 지 분 야\t65\t이름\t{ul('지역사회 치매협의체 개최', '- 위 원: 총 17명', '치매안심마을 운영')}",
        f"2\t복 지 분 야\t66\t이름\t{ul('• <b>관광객 의견조사</b>', '- 광장형 정원(214m<sup>2</sup>)')}",
    )
    assert [e.title for e in r.events] == ["지역사회 치매협의체 개최", "치매안심마을 운영", "관광객 의견조사"]
    assert r.events[0].attendee_count == 17
    assert r.events[2].details[0].text == "광장형 정원(214m2)"


def test_div_box_paragraph_is_an_event():
    html = ul("• 간담회") + " <div style='x'> <p>「조례」제정('19. 4. 1.)</p> </div> " + ul("• 발송('20. 2. 26.)")
    r = parse(f"1\t복지분야\t53\t이름\t{html}")
    assert [e.event_seq for e in r.events] == [1, 2, 3]
    assert r.events[1].title == "「조례」제정('19. 4. 1.)" and r.n_list_items == 3


def test_a_pledge_continues_over_a_page_break():
    r = parse(
        f"54\t공동체분야\t48-2\t이름\t{ul('• 집담회 개최(19.3.19)', '- 청년 등 45명 참석')}",
        "",
        HEADER,
        f"54\t공동체분야\t48-2\t\t{ul('- 청년 주거정책 의견 수렴', '• 개소식(19.4.19)')}",
    )
    assert [row.is_continuation for row in r.rows] == [False, True]
    assert [(e.event_seq, e.title) for e in r.events] == [(1, "집담회 개최(19.3.19)"), (2, "개소식(19.4.19)")]
    assert [d.text for d in r.events[0].details] == ["청년 등 45명 참석", "청년 주거정책 의견 수렴"]
    assert r.events[0].details[1].source_line == 13 and r.events[0].source_line == 10


def test_bad_rows_become_issues_never_crashes():
    r = parse(
        f"1\t우주분야\t1\t이름\t{ul('• 간담회')}",
        f"2\t경제분야\t제2호\t이름\t{ul('• 포럼')}",
        "3\t경제분야\t3",
        f"4\t경제분야\t4\t이름\t{ul('- 앞선 행사 없는 상세')}",
    )
    kinds = Counter(i.kind for i in r.issues)
    assert kinds["unknown_field"] == 1 and kinds["bad_pledge_code"] == 1
    assert kinds["missing_columns"] == 1 and kinds["orphan_detail"] == 1
    # a row with a malformed code is quarantined whole; a field the seed does not map is kept as `other`
    assert [(row.serial_no, row.field_code) for row in r.rows] == [(1, "other"), (4, "economy")]
    assert [e.title for e in r.events] == ["간담회"]
    assert all(i.source_line for i in r.issues)
    assert r.n_items_as_issue == 2 and balanced(r)


def test_a_city_s_own_field_labels_map_onto_the_shared_fields_and_the_rest_read_as_other():
    r = parse(
        f"1\t일자리 경제\t1\t이름\t{ul('• 간담회')}",
        f"2\t문화관광 분야\t2\t이름\t{ul('• 설명회')}",
        f"3\t행 정 분 야\t3\t이름\t{ul('• 토론회', '- 시민 30명 참석')}",
        "",
        HEADER,
        f"3\t행 정 분 야\t3\t\t{ul('• 포럼')}",
        f"4\t행정\t4\t이름\t{ul('• 공청회')}",
    )
    assert [(row.field_label, row.field_code) for row in r.rows] == [
        ("일자리 경제", "economy"),
        ("문화관광 분야", "culture"),
        ("행 정 분 야", "other"),
        ("행 정 분 야", "other"),
        ("행정", "other"),
    ]
    # nothing of the unmapped rows is lost: every activity is read, numbered across the page break
    assert [(e.serial_no, e.event_seq, e.title) for e in r.events][2:] == [
        (3, 1, "토론회"),
        (3, 2, "포럼"),
        (4, 1, "공청회"),
    ]
    assert r.events[2].attendee_count == 30 and r.n_items_as_issue == 0 and balanced(r)
    # one warning per label (however it is spaced), at its first row, naming it and its rows
    (issue,) = [i for i in r.issues if i.kind == "unknown_field"]
    assert (issue.severity, issue.text, issue.source_line, issue.serial_no) == ("warning", "행 정 분 야", 12, 3)
    assert "'행 정 분 야'" in issue.message and "its 3 row(s)" in issue.message and "'other'" in issue.message


CUT_OFF = "1\t경제분야\t1\t이름\t<ul> <li>• 간담회 개최('19. 3. 4.)</li> <li>• 설명회 개"


def test_a_file_that_ends_inside_its_last_list_is_refused_by_name():
    with pytest.raises(ReportTruncatedError, match=r"t\.txt: ends inside row 1's list \(line 10\): truncated\?"):
        parse(CUT_OFF)
    with pytest.raises(ReportTruncatedError, match="ends inside the row of line 11"):
        parse(f"2\t경제분야\t2\t이름\t{ul('• 간담회')}", "3\t경제분야\t3")


def test_a_truncated_file_accepted_is_read_as_far_as_it_goes_and_marked():
    r = parse_report_text(
        PREAMBLE + HEADER + "\n" + CUT_OFF, source_file="t.txt", report_date=DAY, accept_truncated=True
    )
    assert [i.kind for i in r.issues] == ["unbalanced_html", "truncated"] and r.issues[0].source_line == 10
    assert [e.title for e in r.events] == ["간담회 개최('19. 3. 4.)", "설명회 개"] and balanced(r)


def test_a_row_cut_off_mid_list_before_the_last_is_flagged_and_read_as_far_as_it_goes():
    r = parse(CUT_OFF, f"2\t경제분야\t2\t이름\t{ul('• 간담회')}")
    assert [i.kind for i in r.issues] == ["unbalanced_html"] and r.issues[0].source_line == 10
    assert [e.title for e in r.events] == ["간담회 개최('19. 3. 4.)", "설명회 개", "간담회"] and balanced(r)


def test_event_anomalies_are_flagged_and_the_event_kept():
    html = ul("• 명칭제정 공모 : '21.2.1.~2.8.", "• 전시회 개최 - 12.23~28.[6일간]")
    r = parse(f"20\t문화분야\t19\t이름\t{html}")
    kinds = {(i.event_seq, i.kind) for i in r.issues}
    assert (1, "date_after_report") in kinds and (2, "month_without_year") in kinds
    assert len(r.events) == 2


@pytest.fixture(scope="module")
def real():
    text = REPORT.read_text(encoding="utf-8")
    return parse_report_text(text, source_file=REPORT.name, report_date=find_report_date(text, REPORT.name)[0])


def test_the_real_report_parses_with_every_item_accounted_for(real):
    assert real.report_date == DAY
    assert len({row.serial_no for row in real.rows}) == 76
    assert len(real.rows) == 83  # 76 pledges, 7 continued over a page break
    assert real.n_list_items == 650
    assert balanced(real)
    assert real.n_items_as_event == len(real.events) == 405
    assert real.n_items_as_issue == 0
    assert all(row.field_code for row in real.rows)
    per_pledge = Counter(e.serial_no for e in real.events)
    assert len(per_pledge) == 76
    assert per_pledge[19] == 15 and per_pledge[56] == 25 and per_pledge[75] == 17
    for serial in per_pledge:  # event_seq counts across continued parts, without gaps
        assert sorted(e.event_seq for e in real.events if e.serial_no == serial) == list(
            range(1, per_pledge[serial] + 1)
        )


def test_yearless_dates_of_the_real_report(real):
    by_key = {(e.pledge_code, e.event_seq): e for e in real.events}
    # dev gold serial 10 #3: 11.10/11.20/11.27/12.18, 11.20 being the sibling contest '20. 11. 20.
    council = by_key[("9", 3)]
    assert (council.start_date, council.end_date) == (dt.date(2020, 11, 10), dt.date(2020, 12, 18))
    # 12.23~28. beside the sibling `모닥불공유회 개최('19. 12. 23.)`
    exhibition = by_key[("18", 13)]
    assert (exhibition.start_date, exhibition.end_date) == (dt.date(2019, 12, 23), dt.date(2019, 12, 28))
    # (3~11월) with nothing to give its year: undated, flagged
    visits = by_key[("68", 1)]
    assert (visits.start_date, visits.end_date) == (None, None)
    flagged = {(i.pledge_code, i.event_seq) for i in real.issues if i.kind == "month_without_year"}
    assert {("9", 3), ("18", 13), ("68", 1)} <= flagged


def test_the_real_report_flags_its_known_anomalies(real):
    kinds = Counter(i.kind for i in real.issues)
    assert kinds["date_after_report"] >= 3  # Jan/Feb 2021 items
    assert kinds["month_without_year"] >= 1
    assert all(i.source_line for i in real.issues)
