"""The Excel workbook and CSV files that every run writes beside the published warehouse
(`warehouse/export/`), each by an export asset of its own: read back with openpyxl and LibreOffice, and
compared with the warehouse."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest

from pipeline.export.tables import CSV_DIR, TABLES, default_manifest_path, export_csv, header, plain_text
from pipeline.export.workbook import README_SHEET, SHEETS, WORKBOOK_NAME, export_workbook, sheet_columns

BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def export_dir(built_warehouse) -> Path:
    """The export written by the run itself (the export assets)."""
    return built_warehouse.warehouse.parent / "export"


@pytest.fixture(scope="module")
def workbook(export_dir):
    return openpyxl.load_workbook(export_dir / WORKBOOK_NAME)


@pytest.fixture(scope="module")
def manifest_docs() -> dict[str, dict]:
    manifest = json.loads(default_manifest_path().read_text(encoding="utf-8"))
    return {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def table_rows(built_warehouse, table, *, as_sheet: bool = False) -> tuple[list[str], list[tuple]]:
    """The table's rows as its CSV file holds them, or (`as_sheet`) as its workbook sheet shows them."""
    with built_warehouse.connect() as con:
        columns = [(r[0], r[1]) for r in con.execute(f"describe {table.relation}").fetchall()]
        names = [c for c, _ in (sheet_columns(columns) if as_sheet else columns)]
        select = ", ".join(f'"{c}"' for c in names)
        where = table.sheet_where if as_sheet else ""
        return names, con.execute(f"select {select} from {table.relation} {where} order by {table.order_by}").fetchall()


def test_the_run_writes_the_workbook_and_one_csv_per_table(export_dir):
    assert (export_dir / WORKBOOK_NAME).is_file()
    assert sorted(p.name for p in (export_dir / CSV_DIR).iterdir()) == sorted(f"{t.name}.csv" for t in TABLES)
    assert {t.table for t in TABLES} == {
        "dim_event",
        "fct_events",
        "dim_pledge",
        "fct_attendees",
        "fct_event_lifecycle",
        "stg_parse_issues",
    }
    assert not list(export_dir.rglob("*.tmp"))
    # one municipality: no folder per municipality (tests/test_city_exports.py has several)
    assert [p.name for p in export_dir.iterdir() if p.is_dir()] == [CSV_DIR]


def test_sheets_are_the_readme_then_what_a_person_reads(workbook):
    assert workbook.sheetnames == [README_SHEET, *(s.sheet for s in SHEETS)]
    # the full per-period history is in the CSV and Parquet files only
    assert {s.table for s in SHEETS} == {
        "dim_event",
        "dim_pledge",
        "fct_attendees",
        "fct_event_lifecycle",
        "stg_parse_issues",
    }
    assert workbook.active.title == README_SHEET


def test_activity_sheet_starts_with_the_pledge_and_title_and_prints_them_on_every_page(workbook):
    ws = workbook["활동"]
    headers = [c.value for c in ws[1]]
    assert headers[0].endswith("(pledge code)") and headers[2].endswith("(title)"), headers[:3]
    assert headers[-1].endswith("(event key)")
    assert ws.print_title_rows == "$1:$1" and ws.print_title_cols == "$A:$C"


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.table)
def test_every_sheet_equals_its_table_row_for_row(workbook, built_warehouse, manifest_docs, sheet):
    ws = workbook[sheet.sheet]
    columns, rows = table_rows(built_warehouse, sheet, as_sheet=True)
    assert rows, f"{sheet.table} is empty: nothing to compare"
    descriptions = manifest_docs[sheet.table]["columns"]
    headers = [c.value for c in ws[1]]
    assert headers == [header(c, descriptions[c]["description"]) for c in columns]
    assert all(" (" in h for h in headers), "every header is the Korean term with the English name"

    cells = list(ws.iter_rows(min_row=2))
    assert len(cells) == len(rows)
    for expected, got in zip(rows, cells, strict=True):
        for column, value, cell in zip(columns, expected, got, strict=True):
            where = f"{sheet.sheet}!{cell.coordinate} ({column})"
            if value is None:
                assert cell.value is None, where
            elif isinstance(value, bool):
                assert cell.data_type == "b" and cell.value is value, where
            elif isinstance(value, dt.datetime):
                assert cell.is_date and cell.value == value.replace(tzinfo=None), where
            elif isinstance(value, dt.date):
                assert cell.is_date and "yyyy-mm-dd" in cell.number_format, where
                assert isinstance(cell.value, dt.datetime) and cell.value.date() == value, where
            elif isinstance(value, (int, float)):
                assert cell.data_type == "n" and isinstance(cell.value, (int, float)), where
                assert cell.value == value, where
            else:
                assert cell.data_type == "s" and cell.value == value, where


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.table)
def test_header_is_frozen_and_filtered_and_columns_are_sized(workbook, built_warehouse, sheet):
    ws = workbook[sheet.sheet]
    assert ws.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(ws.max_column)
    assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}"
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i in range(1, ws.max_column + 1)]
    assert all(8 <= w <= 62 for w in widths), widths
    assert ws[1][0].font.bold


def test_readme_explains_every_sheet_and_column_in_korean_first_then_english(workbook, built_warehouse, manifest_docs):
    """The 읽어보기 sheet: the Korean description of the dbt YAML (`meta.ko`) first, the dbt docs' English
    description beside it, for every sheet and every column."""
    text = [[c for c in row] for row in workbook[README_SHEET].iter_rows(values_only=True)]
    flat = "\n".join(str(c) for row in text for c in row if c is not None)
    hangul = re.compile(r"^[^A-Za-z]*[\uac00-\ud7a3]")  # Korean from the first word on
    for sheet in SHEETS:
        node = manifest_docs[sheet.table]
        sheet_row = next(r for r in text if r[0] == sheet.sheet and r[1] == f"{sheet.schema}.{sheet.table}")
        assert sheet_row[2] == len(table_rows(built_warehouse, sheet, as_sheet=True)[1])
        assert node["meta"]["ko"] in sheet_row[3] and hangul.match(sheet_row[3]), sheet.table
        assert plain_text(node["description"]) in sheet_row[4], sheet.table
        assert f"csv/{sheet.name}.csv" in sheet_row[3], "the sheet says where its whole table is"
        columns, _ = table_rows(built_warehouse, sheet)
        for column in columns:
            description = node["columns"][column]["description"]
            korean = node["columns"][column]["meta"].get("ko", "")
            assert description.strip(), f"{sheet.table}.{column} has no description in the dbt docs"
            assert hangul.match(korean), f"{sheet.table}.{column} has no Korean description (meta.ko)"
            assert [sheet.sheet, header(column, description)] in [list(r[:2]) for r in text], column
            row = next(r for r in text if r[0] == sheet.sheet and r[1] == header(column, description))
            assert list(row[3:5]) == [korean, plain_text(description)], column
    assert "`" not in flat


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.table)
def test_each_csv_has_a_bom_and_equals_its_whole_table(export_dir, manifest_docs, built_warehouse, table):
    path = export_dir / CSV_DIR / f"{table.name}.csv"
    assert path.read_bytes().startswith(BOM), "Excel needs the BOM to read Hangul"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        got = list(csv.reader(handle))
    columns, rows = table_rows(built_warehouse, table)
    descriptions = manifest_docs[table.table]["columns"]
    assert got[0] == [header(c, descriptions[c]["description"]) for c in columns]
    assert got[1:] == [[csv_cell(v) for v in row] for row in rows]


def test_exports_replace_files_atomically_and_drop_stale_csvs(built_warehouse, tmp_path):
    out = tmp_path / "export"
    (out / CSV_DIR).mkdir(parents=True)
    (out / CSV_DIR / "gone.csv").write_text("old")
    (out / WORKBOOK_NAME).write_bytes(b"old")
    result = export_workbook(built_warehouse.warehouse, out)
    assert result["workbook"] == str(out / WORKBOOK_NAME)
    assert openpyxl.load_workbook(out / WORKBOOK_NAME).sheetnames[0] == README_SHEET
    assert sorted(result["rows"]) == sorted(s.sheet for s in SHEETS)
    rows = export_csv(built_warehouse.warehouse, out / CSV_DIR)
    assert not (out / CSV_DIR / "gone.csv").exists()
    assert sorted(rows) == sorted(t.name for t in TABLES)
    assert sorted(p.name for p in out.rglob("*")) == sorted(
        [CSV_DIR, WORKBOOK_NAME, *(f"{t.name}.csv" for t in TABLES)]
    ), "no temporary file left"


# --- LibreOffice: the workbook as another spreadsheet program shows it -------------------------------------


def shown(value) -> str:
    """A value as the workbook's formats display it: dates yyyy-mm-dd, counts with thousands separators."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@pytest.fixture(scope="module")
def libreoffice_csv(export_dir, tmp_path_factory) -> dict[str, list[list[str]]]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:  # not a skip: .ci/run installs it, and CI must run this test
        pytest.fail("LibreOffice is missing: apt-get install --no-install-recommends libreoffice-calc")
    work = tmp_path_factory.mktemp("libreoffice")
    # every sheet as shown (token 9), UTF-8 (76), all sheets (-1): <name>-<sheet>.csv
    options = "44,34,76,1,,0,false,true,true,false,false,-1"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{work / 'profile'}",
            "--headless",
            "--convert-to",
            f"csv:Text - txt - csv (StarCalc):{options}",
            "--outdir",
            str(work),
            str(export_dir / WORKBOOK_NAME),
        ],
        check=True,
        timeout=300,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stem = Path(WORKBOOK_NAME).stem
    sheets = {}
    for path in work.glob(f"{stem}-*.csv"):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            sheets[path.stem[len(stem) + 1 :]] = list(csv.reader(handle))
    return sheets


def test_libreoffice_reads_every_sheet(libreoffice_csv):
    assert sorted(libreoffice_csv) == sorted([README_SHEET, *(s.sheet for s in SHEETS)])


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.table)
def test_libreoffice_shows_the_table_with_hangul_dates_and_numbers(libreoffice_csv, workbook, built_warehouse, sheet):
    got = libreoffice_csv[sheet.sheet]
    columns, rows = table_rows(built_warehouse, sheet, as_sheet=True)
    assert got[0] == [c.value for c in workbook[sheet.sheet][1]]
    assert any("\uac00" <= ch <= "\ud7a3" for ch in "".join(got[0])), "Hangul headers"
    assert got[1:] == [[shown(v) for v in row] for row in rows]


def test_libreoffice_shows_the_readme(libreoffice_csv, manifest_docs):
    text = "\n".join(",".join(r) for r in libreoffice_csv[README_SHEET])
    assert "공약사업 주민소통 활동내역" in text
    start_date = manifest_docs["dim_event"]["columns"]["start_date"]
    assert start_date["meta"]["ko"] in text and plain_text(start_date["description"]) in text
