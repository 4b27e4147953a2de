"""Reading a report file: decoding, its identity (municipality, term, report date), its fingerprint.

A report says who and when in its own header: the date (`【2020. 12. 31.】`), the mayoral term where
printed (`민선7기 공약사업`, else the term in office on that date) and the municipality (a line such as
`전 주 시` before the column header row). Nothing is read from the file name; only a report whose header
names no municipality takes it from its folder (`raw/<municipality>/`).
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from pipeline import vocab

# `【2020. 12. 31.】`, tolerating missing dots/spaces and a two-digit year.
HEADER_DATE_RE = re.compile(r"【\s*(\d{2}|\d{4})\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?\s*】")
HEADER_SEARCH_LINES = 40
# A yearly report is about 75 KB; a file hundreds of times larger is not one, and is not read whole.
MAX_REPORT_BYTES = 20 * 2**20
HEADER_PROBE_BYTES = 16 * 2**10  # the header date is printed in the first lines
PROBED_ABOVE_BYTES = 2**20  # a file larger than this is checked for a header before it is read whole
FIRST_TERM_BEGAN = dt.date(1995, 7, 1)  # 민선1기: no report of an elected mayor's pledges is older
# `민선7기 공약사업`: the mayoral term the report is about
TERM_RE = re.compile(r"민선\s*(\d{1,2})\s*기")
# A header line that is only a municipality's name, spaces aside (`전 주 시`, `완주군`, `전주시 완산구`)
MUNICIPALITY_RE = re.compile(r"[가-힣]{1,12}[시군구]")
# The table's column header row ends the header block (`연번<TAB>분 야<TAB>관리번호...`)
COLUMN_HEADER_RE = re.compile(r"^\s*연\s*번\s*\t")
# Encodings tried in order. cp949 is a superset of EUC-KR, common for Korean
# public documents.
ENCODINGS = ("utf-8-sig", "cp949")


# Full-width ASCII forms (５-１, ２０．１０．) and the ideographic space read as their ASCII forms, so codes,
# dates and labels typed in a full-width input mode match. Full-width < > & stay as they are: mapped,
# they would turn text into markup.
_WIDTH_MAP = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in "＜＞＆"} | {0x3000: 0x20}


_WIDE = re.compile("[\uff01-\uff5e\u3000]")


def normalise_width(text: str) -> str:
    # str.translate looks every character up (4.5 ms for a 170 KB report); most reports have no
    # full-width form at all, and those that do have few
    if not _WIDE.search(text):
        return text
    return _WIDE.sub(lambda m: chr(_WIDTH_MAP.get(ord(m.group()), ord(m.group()))), text)


class ReportFileError(ValueError):
    """A report file that cannot be ingested; the message names the file (and line)."""


class RawReport(BaseModel):
    path: str
    file_name: str
    sha256: str
    n_bytes: int
    encoding: str
    report_date: dt.date
    header_line: int
    municipality: str  # normalised: `전주시`
    municipality_printed: str  # as printed (`전 주 시`), or the folder's name
    municipality_kind: Literal["시", "군", "구"]
    municipality_line: int | None  # None: named by its folder
    term: int  # 민선N기: N, as printed, else the term in office on the report date
    term_printed: int | None
    term_line: int | None

    @property
    def period_key(self) -> str:
        """The report's place among the reports: its municipality's period (`전주시/2020-12-31`)."""
        return period_key(self.municipality, self.report_date)


def period_key(municipality: str | None, report_date: dt.date) -> str:
    """`전주시/2020-12-31`; the date alone where no municipality is known (rows of a layout before
    municipalities: that date's period of every municipality)."""
    return f"{municipality}/{report_date.isoformat()}" if municipality else report_date.isoformat()


def split_period_key(key: str) -> tuple[str, dt.date]:
    """`전주시/2020-12-31` -> ("전주시", 2020-12-31)."""
    municipality, _, day = key.rpartition("/")
    return municipality, dt.date.fromisoformat(day)


def decode_report(data: bytes, file_name: str) -> tuple[str, str]:
    """Bytes -> (text with '\\n' line ends, encoding used)."""
    if not data.strip():
        raise ReportFileError(f"{file_name}: file is empty")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReportFileError(
                f"{file_name}: cannot be decoded: it starts with a UTF-16 byte-order mark "
                f"but is not UTF-16 ({exc.reason})"
            ) from None
        if "\n" not in text[:65536]:
            raise ReportFileError(
                f"{file_name}: cannot be decoded: it starts with a UTF-16 byte-order mark but holds no lines of text"
            )
        _refuse_nul(text.encode("utf-8"), file_name)
        return normalise_width(text.replace("\r\n", "\n").replace("\r", "\n")), "utf-16"
    _refuse_nul(data, file_name)
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return normalise_width(text.replace("\r\n", "\n").replace("\r", "\n")), encoding
    raise ReportFileError(f"{file_name}: cannot be decoded as UTF-8 or CP949/EUC-KR")


def _refuse_nul(data: bytes, file_name: str) -> None:
    """One rule wherever it is: a NUL byte means binary content, not a text report."""
    at = data.find(b"\x00")
    if at >= 0:
        line = data.count(b"\n", 0, at) + 1
        raise ReportFileError(f"{file_name}: binary content (NUL bytes, the first on line {line}), not a text report")


def find_report_date(text: str, file_name: str) -> tuple[dt.date, int]:
    """The period printed in the report header, and its 1-based line number."""
    found: list[tuple[dt.date, int]] = []
    for line_no, line in enumerate(text.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES], 1):
        m = HEADER_DATE_RE.search(line)
        if not m:
            continue
        year, month, day = (int(g) for g in m.groups())
        if year < 100:
            year += 2000
        try:
            found.append((dt.date(year, month, day), line_no))
        except ValueError as exc:
            raise ReportFileError(
                f"{file_name}:{line_no}: header date {m.group(0)!r} is not a valid date ({exc})"
            ) from None
    if len(found) > 1:
        lines = ", ".join(f"line {n} ({d})" for d, n in found)
        raise ReportFileError(f"{file_name}:{found[1][1]}: two header dates ({lines}); a report has one period")
    if found:
        if found[0][0] < FIRST_TERM_BEGAN:
            raise ReportFileError(
                f"{file_name}:{found[0][1]}: header date {found[0][0]} is before {FIRST_TERM_BEGAN}, when the first "
                "elected mayors took office: implausible (a typo in the year?)"
            )
        return found[0]
    raise ReportFileError(
        f"{file_name}: no report date header like '【2020. 12. 31.】' in its first {HEADER_SEARCH_LINES} lines"
    )


def probe(path: Path) -> None:
    """Refuse, without reading it whole, a file that cannot be a report: too large, or (above a size any
    report of a few hundred KB stays under) no header date in its first kilobytes, in any of the
    encodings reports come in. Smaller files are read whole and refused for what exactly is wrong."""
    size = path.stat().st_size
    if size > MAX_REPORT_BYTES:
        raise ReportFileError(
            f"{path.name}: {size / 2**20:,.0f} MB, larger than any report ({MAX_REPORT_BYTES / 2**20:.0f} MB at "
            "most): not read"
        )
    if size <= PROBED_ABOVE_BYTES:
        return
    with open(path, "rb") as handle:
        head = handle.read(HEADER_PROBE_BYTES)
    if not any(
        HEADER_DATE_RE.search(normalise_width(head.decode(codec, errors="ignore")))
        for codec in ("utf-8", "cp949", "utf-16")
    ):
        raise ReportFileError(
            f"{path.name}: no report date header like '【2020. 12. 31.】' in its first "
            f"{HEADER_PROBE_BYTES // 1024} KB: not a report, not read further"
        )


def _header_block(text: str) -> list[tuple[int, str]]:
    """(line number, line) of the header: the lines before the first column header row."""
    block = []
    for line_no, line in enumerate(text.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES], 1):
        if COLUMN_HEADER_RE.match(line):
            break
        block.append((line_no, line))
    return block


def normalise_municipality(name: str) -> str | None:
    """`전 주 시` -> `전주시`; None when `name` is not a municipality's name."""
    compact = re.sub(r"\s+", "", name)
    return compact if MUNICIPALITY_RE.fullmatch(compact) else None


def find_identity(text: str, file_name: str, report_date: dt.date, folder: str | None = None) -> dict:
    """The municipality and term of a report, from its header block (the municipality from `folder`, the
    name of the file's folder in raw/, only when the header names none)."""
    block = _header_block(text)
    printed = [(n, line.strip()) for n, line in block if normalise_municipality(line)]
    if printed:
        # the name printed nearest the table (a slogan above it may end in 시 too)
        municipality_line, municipality_printed = printed[-1]
    elif folder is not None and normalise_municipality(folder):
        municipality_line, municipality_printed = None, folder
    else:
        raise ReportFileError(
            f"{file_name}: its header names no municipality (a line such as '전 주 시' before the column header "
            "row): print it in the header, or put the file in a folder named after it (raw/<municipality>/)"
        )
    municipality = normalise_municipality(municipality_printed)
    in_office = vocab.term_of_date(report_date)
    term_printed, term_line = next(
        ((int(m.group(1)), n) for n, line in block if (m := TERM_RE.search(line))), (None, None)
    )
    known = {t.number for t in vocab.terms()}
    if term_printed is not None and term_printed not in known:
        raise ReportFileError(
            f"{file_name}:{term_line}: 민선{term_printed}기 is not a term of dbt_project/seeds/terms.csv"
        )
    if term_printed is None and in_office is None:
        raise ReportFileError(
            f"{file_name}: its header prints no term (민선N기) and no term of dbt_project/seeds/terms.csv covers "
            f"its date {report_date}"
        )
    return {
        "municipality": municipality,
        "municipality_printed": municipality_printed,
        "municipality_kind": municipality[-1],
        "municipality_line": municipality_line,
        "term": term_printed if term_printed is not None else in_office.number,
        "term_printed": term_printed,
        "term_line": term_line,
    }


def term_contradiction(info: RawReport) -> str | None:
    """Why the term printed in the header is not the term in office on the report date (None: it is, or
    none is printed). The printed term is kept: the report says which administration's pledges it holds."""
    in_office = vocab.term_of_date(info.report_date)
    if info.term_printed is None or (in_office is not None and in_office.number == info.term_printed):
        return None
    office = f"민선{in_office.number}기 ({in_office.start_date}..{in_office.end_date})" if in_office else "no term"
    return (
        f"the header prints 민선{info.term_printed}기 but {info.report_date} falls in {office}; "
        f"the printed term is used"
    )


def read_report(path: Path, folder: str | None = None) -> tuple[RawReport, str]:
    """The report at `path`; `folder`: the name of its municipality's folder in raw/, if it is in one."""
    probe(path)
    data = path.read_bytes()
    text, encoding = decode_report(data, path.name)
    report_date, header_line = find_report_date(text, path.name)
    info = RawReport(
        path=str(path.resolve()),
        file_name=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        n_bytes=len(data),
        encoding=encoding,
        report_date=report_date,
        header_line=header_line,
        **find_identity(text, path.name, report_date, folder),
    )
    return info, text
