"""Faults around the publish and of the machine, each with real files and real runs: an export that
fails, a truncated report, what fails after the replace, a damaged published file or Dagster instance,
a full disk. After each, the run says what it published, and the next run repairs what is behind."""

from __future__ import annotations

import subprocess

import duckdb
import pytest

from .conftest import SEED_REPORT, make_workspace
from .test_operating import SEED_TEXT, redated
from .test_reliability import periods, previous_of, published_workspace, start_run


@pytest.fixture
def ws(tmp_path, monkeypatch, built_warehouse):
    return published_workspace(tmp_path, monkeypatch, built_warehouse)


def test_a_failed_export_fails_alone_and_the_next_run_makes_it_again(ws, capsys):
    export = ws.warehouse.parent / "export"
    export.write_text("a file where the export folder goes")  # as root, a chmod would not stop the writes
    (ws.raw_dir / "second period.txt").write_text(redated(SEED_TEXT, "2021-06-30"), encoding="utf-8")
    assert ws.run() == 4
    out, err = capsys.readouterr()
    assert "FAILED export workbook" in err and "FAILED export csv" in err, err
    assert "nothing new was published" not in out + err
    assert periods(ws.warehouse) == ["2020-12-31", "2021-06-30"]
    assert (ws.warehouse.parent / "report" / "index.html").exists()  # the other exports were made
    export.unlink()
    assert ws.run() == 0
    out = capsys.readouterr().out
    assert "export(s) behind the published warehouse: workbook, csv (made again now)" in out, out
    assert (export / "pledge_activity.xlsx").exists() and (export / "csv" / "기간별활동.csv").exists()
    assert ws.run() == 0
    assert "nothing to do" in capsys.readouterr().out


def test_a_truncated_report_is_refused_by_name_unless_accepted_and_then_marked(ws, capsys):
    cut = redated(SEED_TEXT, "2022-12-31").encode()[:20_000].decode("utf-8", errors="ignore")
    (ws.raw_dir / "cut.txt").write_text(cut, encoding="utf-8")
    assert ws.run() == 1
    err = capsys.readouterr().err
    assert "cut.txt: ends inside row" in err and "truncated?" in err and "--accept-truncated cut.txt" in err, err
    assert periods(ws.warehouse) == ["2020-12-31"]  # nothing of it published
    assert ws.run("--accept-truncated", "raw/cut.txt") == 0
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        marked = con.execute("select report_date::varchar, is_truncated from marts.dim_period order by 1").fetchall()
    assert marked == [("2020-12-31", False), ("2022-12-31", True)]


def test_what_fails_after_the_publish_is_said_as_published_with_a_problem(ws, capsys):
    previous_of(ws).unlink()
    previous_of(ws).mkdir()  # where the previous copy goes, a folder: it cannot be kept
    (ws.raw_dir / "second period.txt").write_text(redated(SEED_TEXT, "2021-06-30"), encoding="utf-8")
    assert ws.run() == 4
    out, err = capsys.readouterr()
    assert "FAILED step published_warehouse" in err and "the warehouse is published with this run" in err, err
    assert "nothing new was published" not in out + err
    assert periods(ws.warehouse) == ["2020-12-31", "2021-06-30"]
    previous_of(ws).rmdir()
    # a reader of the output that goes away (a closed pipe) does not turn a publish into a failure
    (ws.raw_dir / "third period.txt").write_text(redated(SEED_TEXT, "2021-12-31"), encoding="utf-8")
    run = start_run(log_level="")
    run.stdout.readline()
    run.stdout.close()
    assert run.wait(timeout=300) == 0
    assert periods(ws.warehouse) == ["2020-12-31", "2021-06-30", "2021-12-31"]


def test_a_damaged_published_file_and_dagster_instance_are_moved_aside_and_rebuilt(ws, capsys):
    assert ws.run() == 0  # the workspace's own Dagster instance
    data = ws.warehouse.read_bytes()
    ws.warehouse.write_bytes(data[: len(data) // 2])  # truncated
    (ws.dagster_home / "history" / "runs" / "index.db").write_bytes(b"not a database")
    assert ws.run() == 0
    err = capsys.readouterr().err
    assert f"REPAIRED {ws.warehouse}: it does not read" in err and "rebuilds the warehouse from raw/" in err, err
    assert "REPAIRED Dagster's instance" in err and "history/runs/index.db" in err, err
    assert periods(ws.warehouse) == ["2020-12-31"]
    assert len(list(ws.warehouse.parent.glob("pledge_activity.damaged-*.duckdb"))) == 1
    # a renamed report: the warehouse names the file as it is now
    (ws.raw_dir / SEED_REPORT.name).rename(ws.raw_dir / "전주시 2020 하반기.txt")
    assert ws.run() == 0
    assert "REPAIRED" not in capsys.readouterr().err
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        assert con.execute("select source_file from marts.dim_period").fetchall() == [("전주시 2020 하반기.txt",)]


def test_the_check_of_the_published_file_finds_every_damaged_block_a_full_read_finds(tmp_path, built_warehouse):
    """The start-of-run check hashes every column rather than reading the rows into Python: it must find the
    same damage. A byte flipped in blocks spread over the file (the database still opens): the check
    fails exactly where reading every row of every table fails."""
    from pipeline.publish.repair import published_reads

    def full_read(path) -> bool:
        try:
            with duckdb.connect(str(path), read_only=True) as con:
                for schema, table in con.execute(
                    "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
                ).fetchall():
                    con.execute(f'select * from "{schema}"."{table}"').fetchall()
        except duckdb.Error:
            return False
        return True

    block = 262_144  # DuckDB's block size; the first blocks are the file's headers
    n_blocks = built_warehouse.warehouse.stat().st_size // block
    found = []
    for i in range(3, n_blocks, max(1, n_blocks // 12)):
        damaged = tmp_path / f"block{i}.duckdb"
        data = bytearray(built_warehouse.warehouse.read_bytes())
        data[i * block + 5_000] ^= 0xFF
        damaged.write_bytes(data)
        why = published_reads(damaged)
        assert (why is None) == full_read(damaged), (i, why)
        found += [why] if why else []
    assert found and all("checksum" in why for why in found), found


def test_a_full_disk_is_a_system_fault_that_names_the_path_and_leaves_no_temporary_folder(
    tmp_path, monkeypatch, capsys
):
    ws = make_workspace(tmp_path / "ws", monkeypatch)
    cache = tmp_path / "cache"
    cache.mkdir()
    # a real full disk: a small tmpfs, room for the report's snapshot but not for its parse
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(cache)], check=True)
    try:
        monkeypatch.setenv("PLEDGE_CACHE_DIR", str(cache))
        assert ws.run() == 2
        err = capsys.readouterr().err
        assert f"no space left on the device of {cache}" in err and "free at least" in err, err
        assert "REFUSED" not in err
        assert not [p for p in cache.rglob("*") if ".tmp-" in p.name]
    finally:
        subprocess.run(["umount", str(cache)], check=True)
