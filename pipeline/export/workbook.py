"""The Excel workbook for people who work in a spreadsheet: `pledge_activity.xlsx`.

It holds what a person reads in a spreadsheet: each activity once, the pledges, the people figures and
what changed in the latest report, and the parse issues, after a sheet `읽어보기` ("read me") that
explains every sheet and column in Korean first (the dbt YAML's `meta.ko`), for the city's staff, with
the English description of the dbt docs beside it (both read from the dbt manifest, so the workbook and
the docs site never disagree). The full history over every report is in the CSV and
Parquet exports (`pipeline/export/tables.py`, `parquet.py`), where it belongs at any size. With several
municipalities each has its own workbook (pipeline/export/cities.py), and the one at the top compares them.

Written by XlsxWriter in `constant_memory` mode, row by row. Headers are the Korean term of each
column with its English name (`시작일 (start date)`); dates are Excel dates, counts are numbers, flags
are TRUE/FALSE, an empty cell is a null. The header row is frozen, filtered and printed on every page.
The file is written beside its final name and os.replace()d over it, so a reader never sees half a
workbook.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import xlsxwriter

from pipeline.export.cities import municipalities
from pipeline.export.tables import (
    COMPARISON,
    TABLES,
    ModelDocs,
    Table,
    column_kind,
    default_manifest_path,
    header,
    ident,
    load_docs,
    plain_text,
    sql_text,
)
from pipeline.shared import connect_published

WORKBOOK_NAME = "pledge_activity.xlsx"
README_SHEET = "읽어보기"
MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header row
LINE_HEIGHT = 13.5  # points per line of a 10-point font
MAX_ROW_HEIGHT = 200  # a row of a very long raw_text stays on one screen
WIDTH_SAMPLE_ROWS = 2_000  # column widths are measured on the first rows
MIN_WIDTH, MAX_WIDTH = 8, 60
# a reader looks for the pledge and the activity first; the keys that join tables go last
FIRST_COLUMNS = ("pledge_code", "pledge_name_ko", "event_seq", "title", "status")
LAST_COLUMNS = ("venue_key", "event_key")

SHEETS: tuple[Table, ...] = tuple(t for t in TABLES if t.sheet)
# the workbook at the top of a warehouse of several municipalities (each has its own with SHEETS)
COMPARISON_SHEETS: tuple[Table, ...] = (COMPARISON,)
# the 읽어보기 sheet's description columns: the city's staff read Korean first, the English is beside it
DESCRIPTIONS = ("설명", "description (English)")
KOREAN_WIDTH, ENGLISH_WIDTH = 60, 70


_TYPE_LABELS = (  # DuckDB type prefix -> how the 읽어보기 sheet names it
    ("DATE", "날짜 (date)"),
    ("TIMESTAMP", "일시 (date and time)"),
    ("BOOLEAN", "참/거짓 (TRUE/FALSE)"),
    ("TINYINT", "정수 (integer)"),
    ("SMALLINT", "정수 (integer)"),
    ("INTEGER", "정수 (integer)"),
    ("BIGINT", "정수 (integer)"),
    ("HUGEINT", "정수 (integer)"),
    ("UTINYINT", "정수 (integer)"),
    ("USMALLINT", "정수 (integer)"),
    ("UINTEGER", "정수 (integer)"),
    ("UBIGINT", "정수 (integer)"),
    ("DOUBLE", "수 (number)"),
    ("FLOAT", "수 (number)"),
    ("REAL", "수 (number)"),
    ("DECIMAL", "수 (number)"),
)


# --- cells --------------------------------------------------------------------------------------


def display_width(value: Any) -> int:
    """Width of a value in Excel's character units: Hangul and other wide characters count twice."""
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 19
    if isinstance(value, dt.date):
        return 10
    if isinstance(value, bool):
        return 5
    text = str(value)
    line = max(text.split("\n"), key=len) if "\n" in text else text
    if line.isascii():
        return len(line)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _type_label(duck_type: str) -> str:
    upper = duck_type.upper()
    for prefix, label in _TYPE_LABELS:
        if upper.startswith(prefix):
            return label
    return "텍스트 (text)"


# --- the export ---


def export_workbook(
    warehouse_path: Path, out_dir: Path, *, manifest_path: Path | None = None, municipality: str | None = None
) -> dict:
    """Write out_dir/pledge_activity.xlsx from the published warehouse (opened read-only): its SHEETS, with
    `municipality`'s rows only when given; without one, in a warehouse of several municipalities, the
    comparison of them (COMPARISON_SHEETS) instead, which a new city's report does not make a workbook of
    every city's activities to rewrite.
    Returns {"workbook": path, "rows": {sheet: rows}, "tables": {sheet: "schema.table"}}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = Path(manifest_path) if manifest_path else default_manifest_path()
    docs = load_docs(manifest_path) if manifest_path.exists() else {}
    final = out_dir / WORKBOOK_NAME
    tmp = out_dir / f".{WORKBOOK_NAME}.tmp"
    tmp.unlink(missing_ok=True)
    with connect_published(warehouse_path) as con:
        # each municipality's reports: two cities may publish on the same date
        periods = [
            f"{city} {', '.join(str(d) for d in dates)}"
            for city, dates in con.execute(
                "select municipality, list(report_date order by report_date) from marts.dim_period "
                f"{'' if municipality is None else f'where municipality = {sql_text(municipality)}'} "
                "group by 1 order by 1"
            ).fetchall()
        ]
        several = municipality is None and len(municipalities(con)) > 1
        sheets = COMPARISON_SHEETS if several else SHEETS
        layouts = {s.sheet: sheet_columns(_columns(con, s)) for s in sheets}
        wheres = {s.sheet: s.where(municipality, sheet=True) for s in sheets}
        counts = {
            s.sheet: con.execute(f"select count(*) from {s.relation} {wheres[s.sheet]}").fetchone()[0] for s in sheets
        }
        book = xlsxwriter.Workbook(
            str(tmp),
            {
                "constant_memory": True,
                "tmpdir": str(out_dir),
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        try:
            book.set_properties(
                {
                    "title": " ".join(
                        filter(
                            None, (municipality, "공약사업 주민소통 활동내역 (pledge citizen-communication activities)")
                        )
                    ),
                    "comments": f"Exported from {Path(warehouse_path).name}",
                }
            )
            styles = _styles(book)
            readme = book.add_worksheet(README_SHEET)
            _write_readme(
                readme, styles, sheets, docs, layouts, counts, periods, Path(warehouse_path).name, manifest_path
            )
            for sheet in sheets:
                _write_sheet(
                    con, book, styles, sheet, wheres[sheet.sheet], layouts[sheet.sheet], counts[sheet.sheet], docs
                )
            readme.activate()
        finally:
            book.close()
    os.replace(tmp, final)
    return {"workbook": str(final), "rows": counts, "tables": {s.sheet: f"{s.schema}.{s.table}" for s in sheets}}


def sheet_columns(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The table's columns in the order a reader looks for them: pledge and title first, keys last."""

    def rank(item: tuple[int, tuple[str, str]]) -> tuple[int, int]:
        position, (name, _) = item
        if name in FIRST_COLUMNS:
            return 0, FIRST_COLUMNS.index(name)
        return (2, LAST_COLUMNS.index(name)) if name in LAST_COLUMNS else (1, position)

    return [c for _, c in sorted(enumerate(columns), key=rank)]


def _columns(con: duckdb.DuckDBPyConnection, sheet: Table) -> list[tuple[str, str]]:
    """(column, DuckDB type) of the sheet's table, in the table's own order."""
    return [(r[0], r[1]) for r in con.execute(f"describe {sheet.relation}").fetchall()]


def _styles(book: xlsxwriter.Workbook) -> dict[str, Any]:
    base = {"font_name": "Malgun Gothic", "font_size": 10, "valign": "top"}
    return {
        "header": book.add_format(
            {**base, "bold": True, "text_wrap": True, "bg_color": "#DDEBF7", "bottom": 1, "border_color": "#9BC2E6"}
        ),
        "text": book.add_format(base),
        "date": book.add_format({**base, "num_format": "yyyy-mm-dd", "align": "left"}),
        "datetime": book.add_format({**base, "num_format": "yyyy-mm-dd hh:mm:ss", "align": "left"}),
        "int": book.add_format({**base, "num_format": "#,##0"}),
        "number": book.add_format({**base, "num_format": "#,##0.##"}),
        "bool": book.add_format({**base, "align": "center"}),
        "title": book.add_format({**base, "bold": True, "font_size": 14}),
        "section": book.add_format({**base, "bold": True, "font_size": 11, "font_color": "#1F4E78"}),
        "note": book.add_format({**base, "text_wrap": True, "font_color": "#404040"}),
        "wrap": book.add_format({**base, "text_wrap": True}),
        "code": book.add_format({**base, "font_color": "#595959"}),
    }


def _write_sheet(con, book, styles, sheet: Table, where: str, columns: list[tuple[str, str]], n: int, docs) -> None:
    """One data sheet: a header of Korean terms and English names, the rows in the sheet's order, the
    layout a reader and a printer need."""
    ws = book.add_worksheet(sheet.sheet)
    model = docs.get(sheet.table)
    headers = [header(c, model.columns.get(c, "") if model else "") for c, _ in columns]
    kinds = [column_kind(t) for _, t in columns]
    select = ", ".join(ident(c) for c, _ in columns)
    query = f"select {select} from {sheet.relation} {where} order by {sheet.order_by}"
    ws.set_row(0, 30)  # two lines of header
    for col, text in enumerate(headers):
        ws.write_string(0, col, text, styles["header"])
    cursor = con.execute(f"{query} limit {MAX_DATA_ROWS}")
    widths = [0] * len(columns)
    row = 0
    while batch := cursor.fetchmany(WIDTH_SAMPLE_ROWS):
        for values in batch:
            row += 1
            lines = 1
            for col, value in enumerate(values):
                if value is None:
                    continue
                kind = kinds[col]
                if row <= WIDTH_SAMPLE_ROWS:
                    widths[col] = max(widths[col], display_width(value))
                if kind == "text":
                    text = str(value)
                    if "\n" in text:
                        lines = max(lines, text.count("\n") + 1)
                        ws.write_string(row, col, text, styles["wrap"])
                    else:
                        ws.write_string(row, col, text, styles["text"])
                elif kind == "bool":
                    ws.write_boolean(row, col, value, styles["bool"])
                elif kind in ("date", "datetime"):
                    if isinstance(value, dt.datetime) and value.tzinfo is not None:
                        value = value.astimezone(dt.UTC).replace(tzinfo=None)
                    ws.write_datetime(row, col, value, styles[kind])
                else:
                    ws.write_number(row, col, value, styles[kind])
            if lines > 1:
                ws.set_row(row, min(LINE_HEIGHT * lines + 1.5, MAX_ROW_HEIGHT))
    total_width = 0
    for col, text in enumerate(headers):
        # the header wraps onto two lines; the values decide the width, within bounds
        width = min(max(widths[col] + 2, math.ceil(_longest_header_line(text) + 1), MIN_WIDTH), MAX_WIDTH)
        ws.set_column(col, col, width)
        total_width += width
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, min(n, MAX_DATA_ROWS), len(columns) - 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.repeat_rows(0)
    readable = [i for i, (c, _) in enumerate(columns) if c in FIRST_COLUMNS]
    if readable and readable == list(range(len(readable))):
        ws.repeat_columns(0, len(readable) - 1)  # every printed page says which pledge and activity
    # about 150 columns of width fit an A4 landscape page at 100%: shrink wide sheets, but stay legible
    ws.set_print_scale(max(55, min(100, int(150 * 100 / max(total_width, 1)))))
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_header(f'&L&"Malgun Gothic,Bold"{sheet.sheet} — {sheet.label_ko}&R{sheet.label_en}')
    ws.set_footer(f"&L{sheet.sheet} ({sheet.schema}.{sheet.table})&R&P / &N")


def _longest_header_line(text: str) -> float:
    """Width needed to show a header in two lines: the Korean term, then the English name."""
    term, sep, english = text.partition(" (")
    if not sep:
        return display_width(text) / 2
    return max(display_width(term), display_width(f"({english}"))


def _write_readme(
    ws,
    styles,
    sheets: tuple[Table, ...],
    docs: Mapping[str, ModelDocs],
    layouts,
    counts,
    periods: Iterable[str],
    warehouse_name: str,
    manifest_path: Path,
) -> None:
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 34)
    ws.set_column(2, 2, 20)
    ws.set_column(3, 3, KOREAN_WIDTH)
    ws.set_column(4, 4, ENGLISH_WIDTH)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer(f"&L{README_SHEET}&R&P / &N")
    row = 0
    ws.write_string(
        row,
        0,
        "공약사업 주민소통 활동내역 — 워크북 (pledge citizen-communication activities — workbook)",
        styles["title"],
    )
    row += 1
    ws.write_string(
        row,
        0,
        f"보고 기간 (reporting periods): {'; '.join(periods) or '-'}  ·  원본 (source): {warehouse_name}",
        styles["code"],
    )
    row += 2
    notes = (
        "시트마다 웨어하우스의 표 하나입니다. 머리글은 한국어 용어와 영어 열 이름입니다. 날짜는 날짜, 수는 수, "
        "참/거짓은 TRUE/FALSE, 빈 칸은 값이 없음을 뜻합니다. 각 시트의 첫 행은 고정되어 있고 필터가 있습니다. "
        "Each sheet is one table of the warehouse; each header is the column's Korean term followed by its "
        "English name. Dates are real dates (yyyy-mm-dd), counts are numbers, flags are TRUE/FALSE, and an "
        "empty cell means no value. The first row of every sheet is frozen and has a filter.",
        "모든 보고서에 걸친 전체 이력은 csv/ 폴더(UTF-8, BOM)와 웨어하우스의 parquet/ 폴더(모든 지자체)에 있습니다. "
        "The full history over every report (every table, every period) is in the folder csv/ beside this "
        "workbook (UTF-8 with a byte-order mark, so that Excel shows Hangul) and in the warehouse folder "
        "parquet/ (every municipality). "
        "The descriptions below are those of the dbt docs site (make docs).",
        "설명은 한국어가 먼저이고 영어 설명이 옆 칸에 있습니다. 참석 인원은 인원 유형이 attended(참석)인 인원만 "
        "더한 값입니다: 설문 응답, 교육 수강, 지원 수혜, 위촉 인원은 다른 것을 센 것이니 더하지 마십시오. "
        "Each description is in Korean, with the English beside it. People who attended count only figures of "
        "kind attended; the other kinds count other things and are never added to them.",
    )
    for note in notes:
        ws.set_row(row, _wrapped_height(note, 14 + 34 + 20 + KOREAN_WIDTH + ENGLISH_WIDTH))
        ws.merge_range(row, 0, row, 4, note, styles["note"])
        row += 1
    if not docs:
        ws.merge_range(
            row,
            0,
            row,
            4,
            f"dbt manifest not found ({manifest_path}): no descriptions (run `make manifest`).",
            styles["note"],
        )
        row += 1

    row = _section(ws, row + 1, "시트 (sheets)", ("시트 (sheet)", "표 (table)", "행 수 (rows)", *DESCRIPTIONS), styles)
    for sheet in sheets:
        model = docs.get(sheet.table)
        ws.write_string(row, 0, sheet.sheet, styles["text"])
        ws.write_string(row, 1, f"{sheet.schema}.{sheet.table}", styles["code"])
        ws.write_number(row, 2, counts[sheet.sheet], styles["int"])
        # where the whole table is: the CSV files beside the workbook, or the Parquet files (every marts table)
        whole = f"csv/{sheet.name}.csv" if sheet in TABLES else f"parquet/{sheet.table}.parquet"
        korean = f"{sheet.label_ko}. {model.description_ko if model else ''} 전체 표: {whole}"
        english = f"{sheet.label_en}. {plain_text(model.description) if model else ''} The whole table: {whole}"
        if counts[sheet.sheet] > MAX_DATA_ROWS:
            korean += f" — Excel은 {MAX_DATA_ROWS:,}행까지만 담으므로 이 시트는 앞부분만 보여 줍니다."
            english += f" — Excel holds {MAX_DATA_ROWS:,} rows: this sheet shows the first of them."
        _write_descriptions(ws, row, styles, korean, english)
        row += 1

    row = _section(ws, row + 1, "열 (columns)", ("시트 (sheet)", "열 (column)", "형식 (type)", *DESCRIPTIONS), styles)
    for sheet in sheets:
        model = docs.get(sheet.table)
        for column, duck_type in layouts[sheet.sheet]:
            description = model.columns.get(column, "") if model else ""
            ws.write_string(row, 0, sheet.sheet, styles["text"])
            ws.write_string(row, 1, header(column, description), styles["text"])
            ws.write_string(row, 2, _type_label(duck_type), styles["text"])
            korean = model.columns_ko.get(column, "") if model else ""
            _write_descriptions(ws, row, styles, korean, plain_text(description))
            row += 1


def _write_descriptions(ws, row: int, styles, korean: str, english: str) -> None:
    """The Korean description, then the English one beside it; the row as tall as the longer needs."""
    ws.set_row(row, max(_wrapped_height(korean, KOREAN_WIDTH), _wrapped_height(english, ENGLISH_WIDTH)))
    ws.write_string(row, 3, korean, styles["wrap"])
    ws.write_string(row, 4, english, styles["wrap"])


def _section(ws, row: int, title: str, headers: tuple[str, ...], styles) -> int:
    """A section title and its header row on the 읽어보기 sheet; returns the first row below them."""
    ws.write_string(row, 0, title, styles["section"])
    for col, text in enumerate(headers):
        ws.write_string(row + 1, col, text, styles["header"])
    return row + 2


def _wrapped_height(text: str, width: float) -> float:
    """Row height (points) of a wrapped cell: Excel does not fit rows to wrapped text by itself."""
    lines = max(1, math.ceil(display_width(text) / (width * 1.15)))
    return 13.5 * lines + 1.5
