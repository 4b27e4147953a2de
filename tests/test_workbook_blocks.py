"""The workbook's per-period row blocks (pipeline/load/xlsx_blocks.py): an export that takes rows from
the block cache is the export made without it, sheet for sheet, whatever changed in between; blocks
are reused only where their period's rows and position are the same.

A copy of the warehouse built from the real report; the other periods are SYNTHETIC: the real period's
rows copied under other report dates."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import duckdb

from pipeline.load.workbook import SHEETS, WORKBOOK_NAME, export_workbook
from pipeline.load.xlsx_rows import worksheet_parts

PER_PERIOD = [s for s in SHEETS if s.order_by.startswith("report_date,")]
REAL = "2020-12-31"


def sheets_xml(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(part) for name, part in worksheet_parts(book).items()}


def export(db: Path, out: Path, cache: Path | None = None) -> tuple[dict, dict[str, bytes]]:
    result = export_workbook(db, out, block_cache=cache)
    return result, sheets_xml(out / WORKBOOK_NAME)


def copy_period(db: Path, source: str, target: str) -> None:
    """Every per-period sheet's rows of `source` again under the report date `target`."""
    with duckdb.connect(str(db)) as con:
        for sheet in PER_PERIOD:
            kind = con.execute("select table_type from information_schema.tables where table_schema = ? "
                               "and table_name = ?", [sheet.schema, sheet.table]).fetchone()[0]
            if kind == "VIEW":  # a staging view: made a table, so that rows can be added
                con.execute(f"create table {sheet.schema}.copied as select * from {sheet.relation}")
                con.execute(f"drop view {sheet.relation}")
                con.execute(f"alter table {sheet.schema}.copied rename to {sheet.table}")
            con.execute(f"insert into {sheet.relation} select * replace (date '{target}' as report_date) "
                        f"from {sheet.relation} where report_date = date '{source}'")


def edit_one_title(db: Path, period: str) -> None:
    with duckdb.connect(str(db)) as con:
        n = con.execute("""update marts.fct_events set title = title || ' (edited)'
                           where report_date = ? and event_key = (select min(event_key) from marts.fct_events
                                                                  where report_date = ?)""",
                        [period, period]).fetchone()[0]
    assert n == 1


def test_an_export_from_cached_blocks_is_the_export_without_them(built_warehouse, tmp_path):
    db = tmp_path / built_warehouse.warehouse.name  # the same file name: the same catalog
    shutil.copyfile(built_warehouse.warehouse, db)
    cache = tmp_path / "blocks"
    n = len(PER_PERIOD)
    assert n == 4

    _, plain = export(db, tmp_path / "plain")
    first, got = export(db, tmp_path / "1", cache)
    assert got == plain
    assert first["row_blocks"] == {"reused": 0, "written": n}
    second, got = export(db, tmp_path / "2", cache)
    assert got == plain
    assert second["row_blocks"] == {"reused": n, "written": 0}

    # an earlier period: every block of the real one moves down, and is written again
    copy_period(db, REAL, "2019-12-31")
    _, plain = export(db, tmp_path / "plain3")
    third, got = export(db, tmp_path / "3", cache)
    assert got == plain
    assert third["row_blocks"] == {"reused": 0, "written": 2 * n}

    # a later period, and one activity of 2019 edited: the unchanged blocks in place are reused
    copy_period(db, REAL, "2021-12-31")
    edit_one_title(db, "2019-12-31")
    _, plain = export(db, tmp_path / "plain4")
    fourth, got = export(db, tmp_path / "4", cache)
    assert got == plain
    assert fourth["row_blocks"] == {"reused": 2 * n - 1, "written": n + 1}
    assert b"(edited)" in got["기간별활동"]

    # only the blocks of the last export are kept
    assert len(list(cache.glob("*.deflate"))) == 3 * n


def test_a_damaged_block_is_made_again(built_warehouse, tmp_path):
    db = tmp_path / built_warehouse.warehouse.name
    shutil.copyfile(built_warehouse.warehouse, db)
    cache = tmp_path / "blocks"
    _, plain = export(db, tmp_path / "plain")
    export(db, tmp_path / "1", cache)
    block = sorted(cache.glob("*.deflate"))[0]
    data = bytearray(block.read_bytes())
    data[-10] ^= 0xFF  # one flipped byte in the compressed rows
    block.write_bytes(bytes(data))
    result, got = export(db, tmp_path / "2", cache)
    assert got == plain
    assert result["row_blocks"] == {"reused": len(PER_PERIOD) - 1, "written": 1}


def test_blocks_made_by_the_second_process_are_the_blocks_made_here(built_warehouse, tmp_path, monkeypatch):
    from pipeline.load import xlsx_blocks

    db = tmp_path / built_warehouse.warehouse.name
    shutil.copyfile(built_warehouse.warehouse, db)
    for other in ("2021-12-31", "2022-12-31", "2023-12-31"):  # SYNTHETIC periods: the real one's rows again
        copy_period(db, REAL, other)
    _, plain = export(db, tmp_path / "plain")  # no cache: every row made in this process

    handed: list[int] = []
    submit = xlsx_blocks.BlockMaker.submit

    def spy(self, rows, spec, blocks, folder):
        handed.append(len(blocks))
        return submit(self, rows, spec, blocks, folder)

    monkeypatch.setattr(xlsx_blocks.BlockMaker, "submit", spy)
    monkeypatch.setattr(xlsx_blocks, "HELPER_MIN_ROWS", 1)  # the real report's sheets are small
    cache = tmp_path / "blocks"
    first, got = export(db, tmp_path / "1", cache)
    assert handed and sum(handed) >= len(handed) * 2  # the later half of each sheet's four periods
    assert got == plain
    assert first["row_blocks"] == {"reused": 0, "written": 4 * len(PER_PERIOD)}
    # the helper stored its blocks in the cache like the others: the next export reuses every one
    second, got = export(db, tmp_path / "2", cache)
    assert got == plain
    assert second["row_blocks"] == {"reused": 4 * len(PER_PERIOD), "written": 0}
