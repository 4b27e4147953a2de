"""The workbook's own row writer (pipeline/load/xlsx_rows.py) against XlsxWriter: the same values written
by both read back alike in openpyxl, with the same styles, including the awkward ones."""
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from pipeline.load import xlsx_rows

AWKWARD_TEXT = [
    "plain", "전주한옥마을 설명회", " leading space", "trailing space ", "a & b < c > d", 'quote " and \' apostrophe',
    "two\nlines", "tab\there", "bell\x07 and escape\x1b", "_x0041_ looks like an escape", "<r><t>rich</t></r>",
    "\ufffe", "x" * 40_000, "emoji 🙂" * 3,
]
KINDS = ["text", "int", "number", "date", "datetime", "bool"]
ROWS = [
    [text, i, i + 0.25, dt.date(2020, 10, 1) + dt.timedelta(days=i), dt.datetime(2020, 12, 31, 13, 5, 7, 250_000),
     i % 2 == 0]
    for i, text in enumerate(AWKWARD_TEXT)
] + [[None, None, None, None, None, None], ["last", -3, 1e-9, dt.date(1900, 3, 1), dt.datetime(2099, 1, 1), False]]


def _formats(book):
    return {"text": book.add_format({"font_name": "Malgun Gothic"}), "int": book.add_format({"num_format": "#,##0"}),
            "number": book.add_format({"num_format": "#,##0.##"}), "date": book.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}), "bool": book.add_format({"align": "center"}),
            "wrap": book.add_format({"text_wrap": True})}


def with_xlsxwriter(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    f = _formats(book)
    ws = book.add_worksheet("data")
    for col, kind in enumerate(KINDS):
        ws.write_string(0, col, kind)
    for r, row in enumerate(ROWS, start=1):
        for col, (kind, v) in enumerate(zip(KINDS, row)):
            if v is None:
                continue
            style = f["wrap"] if kind == "text" and "\n" in v else f[kind]
            {"text": ws.write_string, "int": ws.write_number, "number": ws.write_number,
             "date": ws.write_datetime, "datetime": ws.write_datetime, "bool": ws.write_boolean}[kind](r, col, v, style)
    book.close()


def with_rows_writer(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    f = _formats(book)
    ws = book.add_worksheet("data")
    for col, kind in enumerate(KINDS):
        ws.write_string(0, col, kind)
    for col, kind in enumerate(KINDS):
        ws.write_blank(1, col, None, f[kind])
    for col, kind in enumerate(KINDS):
        ws.write_blank(2, col, None, f["wrap" if kind == "text" else kind])
    book.close()

    def fill(styles, out):
        writer = xlsx_rows.RowsWriter(out.write, KINDS, styles, 13.5, 200)
        writer.write(ROWS)
        return len(ROWS)

    xlsx_rows.splice(path, {"data": (len(KINDS), len(ROWS), fill)})


def test_rows_read_back_like_xlsxwriters_own(tmp_path):
    ours, theirs = tmp_path / "ours.xlsx", tmp_path / "theirs.xlsx"
    with_rows_writer(ours)
    with_xlsxwriter(theirs)
    a, b = openpyxl.load_workbook(ours)["data"], openpyxl.load_workbook(theirs)["data"]
    assert a.max_row == b.max_row == len(ROWS) + 1 and a.dimensions == b.dimensions
    for row_a, row_b in zip(a.iter_rows(), b.iter_rows()):
        for ca, cb in zip(row_a, row_b):
            where = ca.coordinate
            if ca.value == "<r><t>rich</t></r>":
                continue  # XlsxWriter passes this through as rich text; see the next test
            assert (ca.value, ca.data_type, ca.number_format, ca.alignment.wrap_text) == \
                   (cb.value, cb.data_type, cb.number_format, cb.alignment.wrap_text), where
    assert a["A8"].value == "two\nlines" and a.row_dimensions[8].height == 27


def test_text_that_looks_like_markup_stays_text(tmp_path):
    path = tmp_path / "ours.xlsx"
    with_rows_writer(path)
    sheet = openpyxl.load_workbook(path)["data"]
    texts = [sheet.cell(row=r, column=1).value for r in range(2, len(AWKWARD_TEXT) + 2)]
    assert texts[AWKWARD_TEXT.index("<r><t>rich</t></r>")] == "<r><t>rich</t></r>"
    # stored as Excel escapes a literal `_xHHHH_` (Excel shows `_x0041_`; openpyxl shows what is stored)
    assert texts[AWKWARD_TEXT.index("_x0041_ looks like an escape")] == "_x005F_x0041_ looks like an escape"
    assert len(texts[AWKWARD_TEXT.index("x" * 40_000)]) == xlsx_rows.EXCEL_STRING_MAX


def test_a_fill_that_writes_fewer_rows_than_announced_fails(tmp_path):
    path = tmp_path / "ours.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = book.add_worksheet("data")
    ws.write_string(0, 0, "h")
    ws.write_blank(1, 0, None, book.add_format({"bold": True}))
    ws.write_blank(2, 0, None, book.add_format({"italic": True}))
    book.close()
    before = path.read_bytes()
    with pytest.raises(ValueError, match="1 rows written, 2 expected"):
        xlsx_rows.splice(path, {"data": (1, 2, lambda styles, out: out.write('<row r="2"></row>') or 1)})
    assert path.read_bytes() == before and not list(tmp_path.glob("*.splice"))
    with zipfile.ZipFile(path) as z:
        assert "xl/worksheets/sheet1.xml" in z.namelist()
