"""An Excel workbook and CSV copies of the analyst tables, for people who work in a spreadsheet.

`export_workbook(warehouse, out_dir)` writes `out_dir/pledge_activity.xlsx` and one CSV file per
data sheet, `out_dir/csv/<sheet>.csv` (UTF-8 with a byte-order mark: without it Excel reads the
Hangul as mojibake). The workbook opens with a sheet `읽어보기` ("read me") that explains every
sheet and column with the descriptions of the dbt docs, read from the dbt manifest
(`dbt_project/target/manifest.json`), so the workbook and the docs site never disagree.

Headers are the Korean term of each column with its English name (`시작일 (start date)`); dates are
Excel dates, counts are numbers, flags are TRUE/FALSE, an empty cell is a null. The header row is
frozen and has an autofilter. Each file is written beside its final name and os.replace()d over it,
so a reader never sees half a workbook. No Dagster here: the publish asset calls this.
"""
from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import json
import math
import os
import re
import shutil
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import xlsxwriter

from pipeline import settings
from pipeline.load import xlsx_blocks, xlsx_rows
from pipeline.load.background import Background

WORKBOOK_NAME = "pledge_activity.xlsx"
CSV_DIR = "csv"
README_SHEET = "읽어보기"
MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows, less the header row
LINE_HEIGHT = 13.5  # points per line of a 10-point font
MAX_ROW_HEIGHT = 200  # a row of a very long raw_text stays on one screen
FETCH_ROWS = 10_000
EXPORT_MEMORY_LIMIT = "1GB"  # DuckDB's, for the export's connection (its default is 80% of the machine's)
WIDTH_SAMPLE_ROWS = 2_000  # column widths are measured on the first rows
MIN_WIDTH, MAX_WIDTH = 8, 60

# pledge codes as printed (`5-1`, `48-2`) in their natural order, not as text
_PLEDGE_ORDER = ("try_cast(split_part(pledge_code, '-', 1) as integer), "
                 "try_cast(split_part(pledge_code, '-', 2) as integer), pledge_code")


@dataclass(frozen=True)
class Sheet:
    name: str        # sheet name, also the CSV file name
    schema: str
    table: str       # the dbt model it shows
    order_by: str    # a total order, so that every export lists the rows alike
    label_en: str    # what the sheet is, in English (the table's own description follows in 읽어보기)

    @property
    def relation(self) -> str:
        return f'"{self.schema}"."{self.table}"'


SHEETS: tuple[Sheet, ...] = (
    Sheet("활동", "marts", "dim_event", f"{_PLEDGE_ORDER}, start_date nulls last, event_key",
          "activities, each counted once across reporting periods"),
    Sheet("기간별활동", "marts", "fct_events", f"report_date, {_PLEDGE_ORDER}, event_seq, event_key",
          "activities per reporting period"),
    Sheet("공약사업", "marts", "dim_pledge", _PLEDGE_ORDER, "pledges"),
    Sheet("참여인원", "marts", "fct_attendees",
          f"report_date, {_PLEDGE_ORDER}, event_seq, event_key, figure_seq", "people figures"),
    Sheet("활동이력", "marts", "fct_event_lifecycle",
          f"report_date, {_PLEDGE_ORDER}, event_seq nulls last, event_key",
          "lifecycle of each activity across periods"),
    Sheet("파싱문제", "staging", "stg_parse_issues", "report_date, issue_seq",
          "parse issues: what the parser could not read cleanly"),
)

_TYPE_LABELS = (  # DuckDB type prefix -> how the 읽어보기 sheet names it
    ("DATE", "날짜 (date)"), ("TIMESTAMP", "일시 (date and time)"), ("BOOLEAN", "참/거짓 (TRUE/FALSE)"),
    ("TINYINT", "정수 (integer)"), ("SMALLINT", "정수 (integer)"), ("INTEGER", "정수 (integer)"),
    ("BIGINT", "정수 (integer)"), ("HUGEINT", "정수 (integer)"), ("UTINYINT", "정수 (integer)"),
    ("USMALLINT", "정수 (integer)"), ("UINTEGER", "정수 (integer)"), ("UBIGINT", "정수 (integer)"),
    ("DOUBLE", "수 (number)"), ("FLOAT", "수 (number)"), ("REAL", "수 (number)"), ("DECIMAL", "수 (number)"),
)


def default_manifest_path() -> Path:
    return settings.DBT_PROJECT_DIR / "target" / "manifest.json"


# --- descriptions from the dbt docs --------------------------------------------------------------

def plain_text(markdown: str) -> str:
    """A dbt description as one line of plain text: code spans unquoted, whitespace collapsed."""
    text = re.sub(r"`([^`]*)`", r"\1", markdown or "")
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
    return " ".join(text.split())


_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def korean_term(description: str) -> str | None:
    """The Korean term of a column description. The dbt docs put the English meaning first, so that the
    docs' column list shows it: `Start date — 시작일. When ...` -> `시작일` (up to the first `.`, `:` or `;`);
    a description in the older order, `시작일 — start date`, gives its head."""
    head, sep, rest = plain_text(description).partition(" — ")
    if not sep:
        return None
    if _HANGUL.search(head):
        return head.strip() or None
    term = re.split(r"[.:;](?:\s|$)", rest, maxsplit=1)[0].strip()
    return term if _HANGUL.search(term) else None


def header(column: str, description: str) -> str:
    """`시작일 (start date)`: the Korean term of the dbt docs, then the column's name in English words."""
    english = re.sub(r"^n_", "number of ", column)
    english = re.sub(r"_ko$", " in Korean", english).replace("_", " ")
    term = korean_term(description)
    return f"{term} ({english})" if term else english


@dataclass(frozen=True)
class ModelDocs:
    description: str
    columns: Mapping[str, str]


def load_docs(manifest_path: Path) -> dict[str, ModelDocs]:
    """model name -> its description and its columns' descriptions, as in the dbt docs."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    docs: dict[str, ModelDocs] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model":
            docs[node["name"]] = ModelDocs(
                description=node.get("description") or "",
                columns={name: col.get("description") or "" for name, col in node.get("columns", {}).items()})
    return docs


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


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_sql(column: str, duck_type: str) -> str:
    """The column as its CSV field, in SQL (DuckDB's CSV writer writes a sheet's 80,000 rows in a tenth of
    the time Python's csv module takes): flags TRUE/FALSE, dates yyyy-mm-dd, timestamps in UTC without a
    zone, whole numbers without a decimal point, a null empty."""
    v, kind = _ident(column), _kind(duck_type)
    if kind == "bool":
        return f"case when {v} then 'TRUE' when not {v} then 'FALSE' end"
    if kind == "date":
        return f"strftime({v}, '%Y-%m-%d')"
    if kind == "datetime":
        ts = f"timezone('UTC', {v})" if "TIME ZONE" in duck_type.upper() else v
        return (f"strftime({ts}, '%Y-%m-%d %H:%M:%S') || case when microsecond({ts}) % 1000000 <> 0 then "
                f"'.' || lpad(cast(microsecond({ts}) % 1000000 as varchar), 6, '0') else '' end")
    if kind == "number":
        return (f"case when isfinite({v}) and {v} = trunc({v}) then cast(cast({v} as hugeint) as varchar) "
                f"else cast({v} as varchar) end")
    return f"cast({v} as varchar)"


def _write_csv(con: duckdb.DuckDBPyConnection, select: str, final: Path) -> None:
    """`select`'s rows as CSV at `final`: UTF-8 with the byte-order mark Excel needs to read Hangul,
    a null as an empty field; written beside `final` and renamed over it."""
    body = final.with_name(f".{final.name}.body")
    tmp = final.with_name(f".{final.name}.tmp")
    try:
        con.execute(f"copy ({select}) to '{str(body).replace(chr(39), chr(39) * 2)}' "
                    "(format csv, header true, delimiter ',', quote '\"', escape '\"', null '')")
        with open(tmp, "wb") as out, open(body, "rb") as src:
            out.write(codecs.BOM_UTF8)
            shutil.copyfileobj(src, out, 1 << 20)
        os.replace(tmp, final)
    finally:
        body.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


class CsvFiles:
    """The export's CSV files, each written by DuckDB on a connection of its own, in a thread (DuckDB lets
    go of the interpreter while it works), while the sheets' XML is made; `close` waits for them and raises
    what failed."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        # the published catalog is the connection's default (the DuckLake's, when shared); a new
        # connection starts on the file's own
        self._catalog = con.execute("select current_database()").fetchone()[0]
        self._writer = Background("workbook-csv")

    def write(self, select: str, final: Path) -> None:
        cursor = self._con.cursor()
        cursor.execute(f"use {_ident(self._catalog)}")
        self._writer.submit(self._write, cursor, select, final)

    @staticmethod
    def _write(cursor: duckdb.DuckDBPyConnection, select: str, final: Path) -> None:
        try:
            _write_csv(cursor, select, final)
        finally:
            cursor.close()

    def close(self) -> None:
        self._writer.close()


def _type_label(duck_type: str) -> str:
    upper = duck_type.upper()
    for prefix, label in _TYPE_LABELS:
        if upper.startswith(prefix):
            return label
    return "텍스트 (text)"


# --- the export ---------------------------------------------------------------------------------

def export_workbook(warehouse_path: Path, out_dir: Path, *, manifest_path: Path | None = None,
                    block_cache: Path | None = None) -> dict:
    """Write out_dir/pledge_activity.xlsx and out_dir/csv/<sheet>.csv from the published warehouse.

    With `block_cache` (a folder), the rows of the per-period sheets are written from the XML of each
    period's rows kept there by the previous export, where unchanged (pipeline/load/xlsx_blocks.py).
    The warehouse is opened read-only. Returns the paths written and the rows of every sheet:
    {"workbook": path, "csv_dir": path, "csv": {sheet: path}, "rows": {sheet: rows},
     "tables": {sheet: "schema.table"}, "truncated": [sheets cut at Excel's row limit]}.
    """
    out_dir = Path(out_dir)
    csv_dir = out_dir / CSV_DIR
    csv_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = Path(manifest_path) if manifest_path else default_manifest_path()
    docs = load_docs(manifest_path) if manifest_path.exists() else {}

    final = out_dir / WORKBOOK_NAME
    tmp = out_dir / f".{WORKBOOK_NAME}.tmp"
    tmp.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    csv_paths: dict[str, str] = {}
    blocks = xlsx_blocks.BlockCache(block_cache) if block_cache is not None else None
    from pipeline.shared import connect_published  # the file, or the DuckLake when shared (issue 14)

    # the second process that makes new row blocks is forked first, before the connection and the threads
    with (xlsx_blocks.BlockMaker() if blocks is not None else contextlib.nullcontext()) as maker, \
            connect_published(warehouse_path) as con:
        # the sheets' rows and their CSV files are sorted reads of the largest tables, side by side: held
        # in DuckDB's memory they took 1.3 GB at 2,000 periods; above this limit they spill to disk
        con.execute(f"set memory_limit = '{EXPORT_MEMORY_LIMIT}'")
        csv_files = CsvFiles(con)
        periods = [r[0] for r in con.execute("select report_date from marts.dim_period order by 1").fetchall()]
        layouts = {s.name: _columns(con, s) for s in SHEETS}
        counts = {s.name: con.execute(f"select count(*) from {s.relation}").fetchone()[0] for s in SHEETS}
        # XlsxWriter makes the workbook with each data sheet's header and two probe rows; the data rows
        # are then streamed in their place (pipeline/load/xlsx_rows.py says why)
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "tmpdir": str(out_dir),
                                              "strings_to_numbers": False, "strings_to_formulas": False,
                                              "strings_to_urls": False})
        fills: dict[str, tuple[int, int, xlsx_rows.Fill]] = {}
        try:
            book.set_properties({"title": "전주시 공약사업 주민소통 활동내역 (Jeonju pledge activities)",
                                 "comments": f"Exported from {Path(warehouse_path).name}"})
            styles = _styles(book)
            readme = book.add_worksheet(README_SHEET)
            _write_readme(readme, styles, docs, layouts, counts, periods, Path(warehouse_path).name, manifest_path)
            for sheet in SHEETS:
                fill = _write_sheet(con, book, styles, sheet, layouts[sheet.name], counts[sheet.name], docs, csv_dir,
                                   rows, csv_paths, blocks, csv_files, maker)
                fills[sheet.name] = (len(layouts[sheet.name]), min(counts[sheet.name], MAX_DATA_ROWS), fill)
            readme.activate()
        finally:
            book.close()
        try:
            xlsx_rows.splice(tmp, fills)
        finally:
            csv_files.close()
            if blocks is not None:
                blocks.close()
    truncated = [name for name, n in rows.items() if n > MAX_DATA_ROWS]
    os.replace(tmp, final)
    if blocks is not None:
        blocks.prune()
    for stale in csv_dir.glob("*.csv"):
        if stale.stem not in rows:
            stale.unlink()
    return {"workbook": str(final), "csv_dir": str(csv_dir), "csv": csv_paths, "rows": rows,
            "tables": {s.name: f"{s.schema}.{s.table}" for s in SHEETS}, "truncated": truncated,
            "row_blocks": {"reused": blocks.hits, "written": blocks.misses} if blocks is not None else None}


def _columns(con: duckdb.DuckDBPyConnection, sheet: Sheet) -> list[tuple[str, str]]:
    """(column, DuckDB type) of the sheet's table, in the table's own order."""
    return [(r[0], r[1]) for r in con.execute(f"describe {sheet.relation}").fetchall()]


def _styles(book: xlsxwriter.Workbook) -> dict[str, Any]:
    base = {"font_name": "Malgun Gothic", "font_size": 10, "valign": "top"}
    return {
        "header": book.add_format({**base, "bold": True, "text_wrap": True, "bg_color": "#DDEBF7",
                                   "bottom": 1, "border_color": "#9BC2E6"}),
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


def _kind(duck_type: str) -> str:
    upper = duck_type.upper()
    if upper == "DATE":
        return "date"
    if upper.startswith("TIMESTAMP"):
        return "datetime"
    if upper == "BOOLEAN":
        return "bool"
    if any(upper.startswith(p) for p in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                                           "USMALLINT", "UINTEGER", "UBIGINT")):
        return "int"
    if any(upper.startswith(p) for p in ("DOUBLE", "FLOAT", "REAL", "DECIMAL")):
        return "number"
    return "text"


def _write_sheet(con, book, styles, sheet: Sheet, columns: list[tuple[str, str]], n: int, docs, csv_dir: Path,
                 rows: dict[str, int], csv_paths: dict[str, str],
                 blocks: xlsx_blocks.BlockCache | None, csv_files: CsvFiles,
                 maker: xlsx_blocks.BlockMaker | None = None) -> xlsx_rows.Fill:
    """The sheet's header, probe rows and layout through XlsxWriter; returns the fill that streams its
    rows into the workbook (a per-period sheet through the block cache `blocks`, if given) and writes
    its CSV file (recording both in `rows` and `csv_paths`)."""
    ws = book.add_worksheet(sheet.name)
    model = docs.get(sheet.table)
    headers = [header(c, model.columns.get(c, "") if model else "") for c, _ in columns]
    kinds = [_kind(t) for _, t in columns]
    query = f"select * from {sheet.relation} order by {sheet.order_by}"

    ws.set_row(0, 30)  # two lines of header
    for col, text in enumerate(headers):
        ws.write_string(0, col, text, styles["header"])
    # the probe rows: each column's style, plain and multi-line (row by row: constant_memory writes a
    # row out once a later one is begun)
    for col, kind in enumerate(kinds):
        ws.write_blank(1, col, None, styles[kind])
    for col, kind in enumerate(kinds):
        ws.write_blank(2, col, None, styles["wrap" if kind == "text" else kind])
    widths = [0] * len(columns)
    for row in con.execute(f"{query} limit {WIDTH_SAMPLE_ROWS}").fetchall():
        for col, value in enumerate(row):
            widths[col] = max(widths[col], display_width(value))
    last_row = min(n, MAX_DATA_ROWS)
    total_width = 0
    for col, text in enumerate(headers):
        # the header wraps onto two lines; the values decide the width, within bounds
        width = min(max(widths[col] + 2, math.ceil(_longest_header_line(text) + 1), MIN_WIDTH), MAX_WIDTH)
        ws.set_column(col, col, width)
        total_width += width
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, last_row, len(columns) - 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.repeat_rows(0)
    # about 150 columns of width fit an A4 landscape page at 100%: shrink wide sheets, but stay legible
    ws.set_print_scale(max(55, min(100, int(150 * 100 / max(total_width, 1)))))
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer(f"&L{sheet.name} ({sheet.schema}.{sheet.table})&R&P / &N")
    csv_select = ", ".join(f"{_csv_sql(name, duck_type)} as {_ident(text)}"
                           for (name, duck_type), text in zip(columns, headers))

    def fill(column_styles: list[tuple[str, str]], out: xlsx_rows.PartWriter) -> int:
        final = csv_dir / f"{sheet.name}.csv"
        csv_files.write(f"select {csv_select} from {sheet.relation} order by {sheet.order_by}", final)
        rows[sheet.name] = n
        csv_paths[sheet.name] = str(final)
        out_rows = xlsx_rows.RowsWriter(out.write, kinds, column_styles, LINE_HEIGHT, MAX_ROW_HEIGHT)
        if blocks is not None and n <= MAX_DATA_ROWS and sheet.order_by.startswith(xlsx_blocks.PERIOD_COLUMN + ","):
            context = "|".join(map(str, (sheet.name, columns, column_styles, LINE_HEIGHT, MAX_ROW_HEIGHT)))
            return xlsx_blocks.fill_by_period(con, sheet.relation, [c for c, _ in columns], sheet.order_by,
                                              out_rows, out, blocks, context, FETCH_ROWS, maker)
        cursor = con.execute(f"{query} limit {MAX_DATA_ROWS}")
        while batch := cursor.fetchmany(FETCH_ROWS):
            out_rows.write(batch)
        return out_rows.row - 1

    return fill


def _longest_header_line(text: str) -> float:
    """Width needed to show a header in two lines: the Korean term, then the English name."""
    term, sep, english = text.partition(" (")
    if not sep:
        return display_width(text) / 2
    return max(display_width(term), display_width(f"({english}"))


def _write_readme(ws, styles, docs: Mapping[str, ModelDocs], layouts, counts, periods: Iterable,
                  warehouse_name: str, manifest_path: Path) -> None:
    periods = [p.isoformat() if hasattr(p, "isoformat") else str(p) for p in periods]
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 34)
    ws.set_column(2, 2, 20)
    ws.set_column(3, 3, 100)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.set_footer(f"&L{README_SHEET}&R&P / &N")
    row = 0
    ws.write_string(row, 0, "전주시 민선7기 공약사업 주민소통 활동내역 — 워크북 "
                            "(Jeonju pledge citizen-communication activities — workbook)", styles["title"])
    row += 1
    ws.write_string(row, 0, f"보고 기간 (reporting periods): {', '.join(periods) or '-'}  ·  "
                            f"원본 (source): {warehouse_name}", styles["code"])
    row += 2
    notes = (
        "시트마다 웨어하우스의 표 하나입니다. 머리글은 한국어 용어와 영어 열 이름입니다. "
        "Each sheet is one table of the warehouse; each header is the column's Korean term followed by its "
        "English name. Dates are real dates (yyyy-mm-dd), counts are numbers, flags are TRUE/FALSE, and an "
        "empty cell means no value. The first row of every sheet is frozen and has a filter.",
        "같은 내용의 CSV 파일이 csv/ 폴더에 있습니다 (UTF-8, BOM). The same tables are in the folder csv/ "
        "beside this workbook, one file per sheet, in UTF-8 with a byte-order mark so that Excel shows Hangul. "
        "The descriptions below are those of the dbt docs site (make docs).",
    )
    for note in notes:
        ws.set_row(row, _wrapped_height(note, 14 + 34 + 20 + 100))
        ws.merge_range(row, 0, row, 3, note, styles["note"])
        row += 1
    if not docs:
        ws.merge_range(row, 0, row, 3, f"dbt manifest not found ({manifest_path}): no descriptions "
                                       "(run `make manifest`).", styles["note"])
        row += 1

    row = _section(ws, row + 1, "시트 (sheets)", ("시트 (sheet)", "표 (table)", "행 수 (rows)", "설명 (description)"),
                   styles)
    for sheet in SHEETS:
        model = docs.get(sheet.table)
        ws.write_string(row, 0, sheet.name, styles["text"])
        ws.write_string(row, 1, f"{sheet.schema}.{sheet.table}", styles["code"])
        ws.write_number(row, 2, counts[sheet.name], styles["int"])
        description = f"{sheet.label_en}. {plain_text(model.description) if model else ''}".strip()
        if counts[sheet.name] > MAX_DATA_ROWS:
            description += (f" — Excel holds {MAX_DATA_ROWS:,} rows: this sheet shows the first of them; the "
                            f"whole table is in csv/{sheet.name}.csv.")
        ws.set_row(row, _wrapped_height(description, 100))
        ws.write_string(row, 3, description, styles["wrap"])
        row += 1

    row = _section(ws, row + 1, "열 (columns)", ("시트 (sheet)", "열 (column)", "형식 (type)", "설명 (description)"),
                   styles)
    for sheet in SHEETS:
        model = docs.get(sheet.table)
        for column, duck_type in layouts[sheet.name]:
            description = model.columns.get(column, "") if model else ""
            ws.set_row(row, _wrapped_height(plain_text(description), 100))
            ws.write_string(row, 0, sheet.name, styles["text"])
            ws.write_string(row, 1, header(column, description), styles["text"])
            ws.write_string(row, 2, _type_label(duck_type), styles["text"])
            ws.write_string(row, 3, plain_text(description), styles["wrap"])
            row += 1


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
