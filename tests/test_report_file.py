"""Reading report files: decoding and the period from the header line."""

import datetime as dt

import pytest

from pipeline.raw.discover import discover_reports
from pipeline.raw.report_file import (
    MAX_REPORT_BYTES,
    ReportFileError,
    decode_report,
    find_identity,
    find_report_date,
    read_report,
    term_contradiction,
)
from pipeline.raw.store import save_snapshot

from .conftest import SEED_REPORT


def test_period_comes_from_the_header_not_the_file_name(tmp_path):
    misleading = tmp_path / "report_1999-01-01.txt"
    misleading.write_bytes(SEED_REPORT.read_bytes())
    info, _ = read_report(misleading)
    assert info.report_date == dt.date(2020, 12, 31)
    assert info.header_line == 3
    assert info.encoding == "utf-8-sig"


SEED_TEXT = SEED_REPORT.read_text(encoding="utf-8-sig")


def test_identity_comes_from_the_header():
    identity = find_identity(SEED_TEXT, "x.txt", dt.date(2020, 12, 31))
    assert (identity["municipality"], identity["municipality_printed"], identity["municipality_kind"]) == (
        "전주시",
        "전 주 시",
        "시",
    )
    assert (identity["term"], identity["term_printed"]) == (7, 7)


@pytest.mark.parametrize(
    "day, term",
    [(dt.date(1995, 7, 1), 1), (dt.date(2022, 6, 30), 7), (dt.date(2022, 7, 1), 8), (dt.date(2030, 6, 30), 9)],
)
def test_a_header_without_a_term_takes_the_term_of_its_date(day, term):
    text = SEED_TEXT.replace("민선7기 ", "")
    assert find_identity(text, "x.txt", day)["term"] == term


def test_a_printed_term_contradicting_the_date_wins_with_a_warning(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(SEED_TEXT.replace("【2020. 12. 31.】", "【2023. 12. 31.】"), encoding="utf-8")
    info, _ = read_report(path)
    assert info.term == 7
    assert "민선7기" in term_contradiction(info) and "민선8기" in term_contradiction(info)
    assert term_contradiction(read_report(SEED_REPORT)[0]) is None


def test_a_report_naming_no_municipality_is_refused_unless_its_folder_does(tmp_path):
    text = SEED_TEXT.replace("전 주 시\n", "")
    (tmp_path / "nameless.txt").write_text(text, encoding="utf-8")
    (tmp_path / "완주군").mkdir()
    (tmp_path / "완주군" / "named_by_folder.txt").write_text(
        text.replace("2020. 12. 31.", "2019. 12. 31."), encoding="utf-8"
    )
    found = discover_reports(tmp_path)
    assert "names no municipality" in found.refused["nameless.txt"]
    (report,) = found.reports.values()
    assert (report.municipality, report.municipality_line, report.term) == ("완주군", None, 7)


@pytest.mark.parametrize(
    "header, expected",
    [
        ("【2020. 12. 31.】", dt.date(2020, 12, 31)),
        ("【 2021.6.30 】", dt.date(2021, 6, 30)),
        ("【19. 12. 31.】", dt.date(2019, 12, 31)),
    ],
)
def test_header_date_variants(header, expected):
    assert find_report_date(f"\n{header}\n", "x.txt") == (expected, 2)


def test_file_without_header_date_is_refused_naming_the_file():
    with pytest.raises(ReportFileError, match="nodate.txt: no report date header"):
        find_report_date("연번\t분 야\n1\t경 제 분 야\t1\tx\t<ul></ul>\n", "nodate.txt")


def test_invalid_header_date_names_file_and_line():
    with pytest.raises(ReportFileError, match=r"bad.txt:2: header date"):
        find_report_date("\n【2020. 13. 45.】\n", "bad.txt")


def test_cp949_and_crlf_are_decoded():
    # CP949 has no '•', '◦', '↳': a real CP949 export would print other glyphs.
    text = SEED_REPORT.read_text(encoding="utf-8").translate(str.maketrans("•◦↳", "○○→"))
    data = text.replace("\n", "\r\n").encode("cp949", errors="strict")
    decoded, encoding = decode_report(data, "euckr.txt")
    assert encoding == "cp949"
    assert decoded == text


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"\x00\x01\x02binary", "binary content"),
        (bytes([0xFF, 0xFE, 0xFA, 0x80, 0x81]) * 10, "cannot be decoded"),
    ],
)
def test_unreadable_files_are_refused(data, reason):
    with pytest.raises(ReportFileError, match=f"junk.txt: .*{reason}"):
        decode_report(data, "junk.txt")


def test_discovery_refuses_two_files_for_one_period(tmp_path):
    for name in ("a.txt", "b copy.txt"):
        (tmp_path / name).write_bytes(SEED_REPORT.read_bytes())
    (tmp_path / "notes.md").write_text("not a report")
    found = discover_reports(tmp_path)
    assert found.reports == {}
    assert set(found.refused) == {"a.txt", "b copy.txt"}
    assert "2020-12-31 is also claimed" in found.refused["a.txt"]


def test_a_file_that_cannot_be_a_report_is_refused_without_being_read_whole(tmp_path):
    huge = tmp_path / "dump.txt"
    with open(huge, "wb") as handle:  # sparse: nothing is written, nothing need be read
        handle.truncate(MAX_REPORT_BYTES + 1)
    with pytest.raises(ReportFileError, match=r"dump\.txt: .* MB, larger than any report .*: not read"):
        read_report(huge)
    no_header = tmp_path / "notes.txt"
    no_header.write_text("회의록\n" * 200_000, encoding="utf-8")  # 2 MB
    with pytest.raises(ReportFileError, match=r"notes\.txt: no report date header .* in its first 16 KB"):
        read_report(no_header)


def test_a_header_date_before_the_first_elected_term_is_refused():
    with pytest.raises(ReportFileError, match="before 1995-07-01.*implausible"):
        find_report_date("\n【1900. 12. 31.】\n", "old.txt")


def test_other_files_in_raw_are_named_as_ignored(tmp_path):
    (tmp_path / SEED_REPORT.name).write_bytes(SEED_REPORT.read_bytes())
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4")
    found = discover_reports(tmp_path)
    assert list(found.reports) == ["전주시/2020-12-31"]
    assert "scan.pdf: not a report file" in found.warnings["scan.pdf"]


def test_a_file_saved_again_while_the_run_reads_it_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("PLEDGE_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / SEED_REPORT.name
    path.write_bytes(SEED_REPORT.read_bytes())
    info, _ = read_report(path)
    path.write_bytes(SEED_REPORT.read_bytes().replace("간담회".encode(), "설명회".encode(), 1))
    with pytest.raises(ReportFileError, match="changed while this run read it"):
        save_snapshot("2020-12-31", info)
    assert not list((tmp_path / "cache" / "raw").glob("*.bin*"))
