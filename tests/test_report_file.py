"""Reading report files: decoding and the period from the header line."""

import datetime as dt

import pytest

from pipeline.raw.discover import discover_reports
from pipeline.raw.report_file import ReportFileError, decode_report, find_report_date, read_report

from .conftest import SEED_REPORT


def test_period_comes_from_the_header_not_the_file_name(tmp_path):
    misleading = tmp_path / "report_1999-01-01.txt"
    misleading.write_bytes(SEED_REPORT.read_bytes())
    info, _ = read_report(misleading)
    assert info.report_date == dt.date(2020, 12, 31)
    assert info.header_line == 3
    assert info.encoding == "utf-8-sig"


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
