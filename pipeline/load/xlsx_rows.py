"""The data rows of a workbook sheet as SpreadsheetML, written straight to a file, then spliced into the
workbook that XlsxWriter made.

XlsxWriter builds each cell through several generic calls (about 18 µs a cell here): at 200 periods the
workbook's 2.7 million cells took 49 s, more than the rest of the run. The workbook keeps everything that
makes it a workbook from XlsxWriter (styles, the 읽어보기 sheet, headers, widths, frozen row, filter,
print setup); only the rows below the header are written here, by one specialised writer per column
kind, which XlsxWriter's own output then receives in place of two probe rows. The probe rows are how this
module learns each column's style index without reaching into XlsxWriter: row 2 holds a blank cell in
each column's plain style, row 3 in its style for text of several lines.

The cells are those XlsxWriter writes in constant-memory mode (inline strings, its escapes of control
characters and of literal `_xHHHH_`, dates as serial days of the 1900 system, whitespace preserved),
except that no string is ever taken as rich text (XlsxWriter passes a string that starts with `<r>` and
ends with `</r>` through unescaped).
"""
from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from pipeline.load.zip_writer import Member, Piece, ZipWriter

NEWLINE = "\n"
EXCEL_STRING_MAX = 32767  # UTF-16 units in one cell
_EPOCH_DATE = dt.date(1899, 12, 30)  # serial 0 of the 1900 system, for dates after 1900-02-28
_EPOCH = dt.datetime(1899, 12, 30)
_ESCAPED_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_NEEDS_ANY = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x")
_PROBE = re.compile(r'<row r="2"[ >].*?</row><row r="3"[ >].*?</row>', re.S)
_CELL_STYLE = re.compile(r'<c r="([A-Z]+)([23])"(?: s="(\d+)")?')


def column_letters(n: int) -> list[str]:
    out = []
    for col in range(n):
        name, k = "", col + 1
        while k:
            k, rem = divmod(k - 1, 26)
            name = chr(65 + rem) + name
        out.append(name)
    return out


def _text(s: str) -> str:
    if len(s) > EXCEL_STRING_MAX // 2 and len(s.encode("utf-16-le")) // 2 > EXCEL_STRING_MAX:
        s = s.encode("utf-16-le")[:2 * EXCEL_STRING_MAX].decode("utf-16-le", errors="ignore")
    if _NEEDS_ANY.search(s):
        s = _ESCAPED_ESCAPE.sub(r"_x005F\1", s)
        s = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", s)
        s = s.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    preserve = ' xml:space="preserve"' if s and (s[0].isspace() or s[-1].isspace()) else ""
    return f't="inlineStr"><is><t{preserve}>{s}</t></is></c>'


def _serial(value: dt.datetime) -> float:
    if value.tzinfo is not None:  # Excel has no time zones: an aware timestamp is written in UTC
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    delta = value - _EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def cell_tail(kind: str, style: str, wrap_style: str) -> Callable[[Any], str]:
    """A function value -> the cell's XML after its reference (`<c r="B7"` comes before it), for a
    column of `kind` (see workbook._kind)."""
    s, sw = f' s="{style}"' if style else "", f' s="{wrap_style}"' if wrap_style else ""
    if kind == "int":
        return lambda v: f'{s}><v>{v}</v></c>'
    if kind == "number":
        return lambda v: f'{s}><v>{float(v):.16G}</v></c>'
    if kind == "date":
        return lambda v: f'{s}><v>{(v - _EPOCH_DATE).days}</v></c>'
    if kind == "datetime":
        return lambda v: f'{s}><v>{_serial(v):.16G}</v></c>'
    if kind == "bool":
        return lambda v: f'{s} t="b"><v>{1 if v else 0}</v></c>'

    def text(v: Any) -> str:
        v = str(v)
        return f'{sw if NEWLINE in v else s} {_text(v)}'
    return text


CACHED_VALUES = 20_000  # per column: codes, titles and dates repeat in every period's rows


class RowsWriter:
    """Writes the rows 2, 3, ... of one sheet through `write` (a text sink), one call per fetched batch."""

    def __init__(self, write: Callable[[str], Any], kinds: Sequence[str], styles: Sequence[tuple[str, str]],
                 line_height: float, max_height: float):
        self._write = write
        # per column: the cell's opening up to its column letter, the XML after the reference by value
        # (with the lines of a text), and the function that makes it
        self.columns = [(f'<c r="{letter}', {}, cell_tail(k, s, w))
                        for letter, k, (s, w) in zip(column_letters(len(kinds)), kinds, styles)]
        self.line_height, self.max_height = line_height, max_height
        self.spec = (tuple(kinds), tuple(tuple(st) for st in styles), line_height, max_height)  # to make it again
        self.row = 1  # the header's

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        out, columns = [], self.columns
        for values in rows:
            self.row += 1
            r = f'{self.row}"'
            parts = []
            lines = 1
            for (opening, cache, tail), v in zip(columns, values):
                if v is None:
                    continue
                cached = cache.get(v)
                if cached is None:
                    if v.__class__ is float and math.isnan(v):
                        continue
                    cached = (tail(v), v.count(NEWLINE) + 1 if v.__class__ is str else 1)
                    if len(cache) < CACHED_VALUES:
                        cache[v] = cached
                parts.append(opening + r + cached[0])
                if cached[1] > lines:
                    lines = cached[1]
            height = (f' ht="{min(self.line_height * lines, self.max_height):g}" customHeight="1"'
                      if lines > 1 else "")
            out.append(f'<row r="{r[:-1]}"{height}>{"".join(parts)}</row>')
        self._write("".join(out))


    def text_of(self, rows: Sequence[Sequence[Any]], first_row: int) -> str:
        """The XML of `rows` as the sheet's rows first_row, first_row + 1, ... (returned, not written)."""
        parts: list[str] = []
        sink, self._write = self._write, parts.append
        self.row = first_row - 1
        try:
            self.write(rows)
        finally:
            self._write = sink
        return "".join(parts)


def probe_styles(probe_xml: str, n_columns: int) -> list[tuple[str, str]]:
    """(plain style, multi-line style) of each column, from the probe rows 2 and 3."""
    by_row: dict[str, dict[str, str]] = {"2": {}, "3": {}}
    for cell in _CELL_STYLE.finditer(probe_xml):
        by_row[cell.group(2)][cell.group(1)] = cell.group(3) or ""
    return [(by_row["2"].get(letter, ""), by_row["3"].get(letter, "")) for letter in column_letters(n_columns)]


class PartWriter:
    """What a fill writes a sheet's rows to: text or UTF-8 bytes, and pieces compressed ahead
    (pipeline/load/zip_writer.py), laid into the sheet's part as they are."""

    def __init__(self, member: Member):
        self._member = member

    def write(self, data: str | bytes) -> None:
        self._member.write(data if data.__class__ is bytes else data.encode("utf-8"))

    def write_piece(self, piece: Piece) -> None:
        self._member.write_piece(piece)


# fill(styles, out) writes a sheet's rows into out and returns how many it wrote
Fill = Callable[[list[tuple[str, str]], PartWriter], int]


def worksheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part in the package (xl/worksheets/sheetN.xml), from the workbook's own index."""
    from xml.etree import ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    targets = {rel.get("Id"): rel.get("Target") for rel in
               ET.fromstring(book.read("xl/_rels/workbook.xml.rels")).findall("p:Relationship", ns)}
    out = {}
    for sheet in ET.fromstring(book.read("xl/workbook.xml")).findall("m:sheets/m:sheet", ns):
        target = targets[sheet.get(f"{{{ns['r']}}}id")]
        out[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return out


def splice(workbook: Path, fills: dict[str, tuple[int, int, Fill]]) -> None:
    """Rewrite `workbook` with each sheet's rows in place of its probe rows, streamed: no sheet is held
    in memory. `fills`: sheet name -> (columns, rows, fill); the fill must write exactly that many rows
    (the sheet's dimension, written before them, says so)."""
    tmp = workbook.with_name(workbook.name + ".splice")
    try:
        with zipfile.ZipFile(workbook) as src, ZipWriter(tmp) as dst:  # at zip_writer.LEVEL, as the cached blocks
            parts = worksheet_parts(src)
            missing = sorted(set(fills) - set(parts))
            if missing:
                raise ValueError(f"{workbook.name}: no sheet {missing}")
            fills = {parts[name]: fill for name, fill in fills.items()}
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename not in fills:
                    dst.write(info.filename, data, info.date_time)
                    continue
                n_columns, n_rows, fill = fills.pop(info.filename)
                xml = data.decode("utf-8")
                probe = _PROBE.search(xml)
                if not probe:
                    raise ValueError(f"{workbook.name}: {info.filename} has no probe rows to replace")
                styles = probe_styles(probe.group(), n_columns)
                last = column_letters(n_columns)[-1]
                head, dimensions = re.subn(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}{n_rows + 1}"/>',
                                           xml[:probe.start()], count=1)
                if not dimensions:
                    raise ValueError(f"{workbook.name}: {info.filename} has no dimension element")
                with dst.member(info.filename, info.date_time) as out:
                    out.write(head.encode("utf-8"))
                    written = fill(styles, PartWriter(out))
                    out.write(xml[probe.end():].encode("utf-8"))
                if written != n_rows:
                    raise ValueError(f"{info.filename}: {written} rows written, {n_rows} expected")
        if fills:
            raise ValueError(f"{workbook.name}: no worksheet part {sorted(fills)}")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(workbook)
