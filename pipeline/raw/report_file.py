"""Reading a report file: decoding, its reporting period, its fingerprint.

A report's period comes from its own header line (`【2020. 12. 31.】`), never from
the file name.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
from pathlib import Path

from pydantic import BaseModel

# `【2020. 12. 31.】`, tolerating missing dots/spaces and a two-digit year.
HEADER_DATE_RE = re.compile(r"【\s*(\d{2}|\d{4})\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?\s*】")
HEADER_SEARCH_LINES = 40
# A yearly report is about 75 KB; a file hundreds of times larger is not one, and is not read whole.
MAX_REPORT_BYTES = 20 * 2**20
HEADER_PROBE_BYTES = 16 * 2**10  # the header date is printed in the first lines
PROBED_ABOVE_BYTES = 2**20  # a file larger than this is checked for a header before it is read whole
FIRST_TERM_BEGAN = dt.date(1995, 7, 1)  # 민선1기: no report of an elected mayor's pledges is older
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


def read_report(path: Path) -> tuple[RawReport, str]:
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
    )
    return info, text
