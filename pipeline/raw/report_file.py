"""Reading a report file: decoding, its reporting period, its fingerprint.

A report's period comes from its own header line (`【2020. 12. 31.】`), never from
the file name.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

from pydantic import BaseModel

# `【2020. 12. 31.】`, tolerating missing dots/spaces and a two-digit year.
HEADER_DATE_RE = re.compile(r"【\s*(\d{2}|\d{4})\s*\.\s*(\d{1,2})\s*\.\s*(\d{1,2})\s*\.?\s*】")
HEADER_SEARCH_LINES = 40
# Encodings tried in order. cp949 is a superset of EUC-KR, common for Korean
# public documents.
ENCODINGS = ("utf-8-sig", "cp949")


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
    if b"\x00" in data[:4096]:
        raise ReportFileError(f"{file_name}: binary content (NUL bytes), not a text report")
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n"), encoding
    raise ReportFileError(
        f"{file_name}: cannot be decoded as UTF-8 or CP949/EUC-KR"
    )


def find_report_date(text: str, file_name: str) -> tuple[dt.date, int]:
    """The period printed in the report header, and its 1-based line number."""
    for line_no, line in enumerate(text.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES], 1):
        m = HEADER_DATE_RE.search(line)
        if not m:
            continue
        year, month, day = (int(g) for g in m.groups())
        if year < 100:
            year += 2000
        try:
            return dt.date(year, month, day), line_no
        except ValueError as exc:
            raise ReportFileError(
                f"{file_name}:{line_no}: header date {m.group(0)!r} is not a valid date ({exc})"
            ) from None
    raise ReportFileError(
        f"{file_name}: no report date header like '【2020. 12. 31.】' in its first "
        f"{HEADER_SEARCH_LINES} lines"
    )


def read_report(path: Path) -> tuple[RawReport, str]:
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
