"""The defects an adversarial trial found, each reproduced with real files, real
processes and real runs. After every fault the published warehouse opens, holds the last good
data, and `.previous` holds the one before."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from .conftest import REPO, SEED_REPORT, Workspace, make_workspace
from .test_operating import RUN_SCRIPT, SEED_TEXT, file_digest, redated


@pytest.fixture
def ws(tmp_path, monkeypatch, built_warehouse) -> Workspace:
    return published_workspace(tmp_path, monkeypatch, built_warehouse)


def published_workspace(tmp_path, monkeypatch, built_warehouse) -> Workspace:
    """A workspace with a published warehouse (the real report) and the one before it (`.previous`)."""
    ws = make_workspace(tmp_path, monkeypatch)
    ws.warehouse.parent.mkdir(parents=True)
    shutil.copyfile(built_warehouse.warehouse, ws.warehouse)
    shutil.copytree(built_warehouse.warehouse.parent / ".cache", ws.warehouse.parent / ".cache")
    shutil.copyfile(built_warehouse.warehouse, previous_of(ws))
    with duckdb.connect(str(previous_of(ws))) as con:  # the one before differs from the published one
        con.execute("create table main.generation as select 'previous' as generation")
    return ws


def previous_of(ws: Workspace) -> Path:
    return ws.warehouse.with_name("pledge_activity.previous.duckdb")


def generations(ws: Workspace) -> tuple[str, str | None]:
    """Digests of the published warehouse and of `.previous`."""
    prev = previous_of(ws)
    return file_digest(ws.warehouse), file_digest(prev) if prev.exists() else None


def assert_last_good_kept(ws: Workspace, before: tuple[str, str | None], held: list[str]) -> None:
    """After a fault: the published warehouse and `.previous` are the files they were, and both open."""
    assert generations(ws) == before
    assert periods(ws.warehouse) == held
    if before[1] is not None:
        assert periods(previous_of(ws))  # opens, and holds a warehouse


def periods(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as con:
        return [str(r[0]) for r in con.execute("select report_date from marts.dim_period order by 1").fetchall()]


def start_run(*args: str, log_level: str = "DEBUG") -> subprocess.Popen:
    env = {**os.environ, "PLEDGE_LOG_LEVEL": log_level}
    return subprocess.Popen(
        [sys.executable, "-c", RUN_SCRIPT, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(proc: subprocess.Popen, marker: str, timeout: float = 300) -> bool:
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        if marker in line:
            return True
        if time.monotonic() > deadline:
            return False
    return False


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    out = proc.stdout.read()
    return proc.wait(timeout=300), out


HOLD_WRITER = textwrap.dedent("""
    import duckdb, sys
    con = duckdb.connect(sys.argv[1])
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute("create table main.scratch as select 1 as x")   # stays in the write-ahead log
    print("holding", flush=True)
    sys.stdin.readline()
""")


# 1 ---------------------------------------------------------------------------------------------
def test_a_writer_on_the_published_file_refuses_the_publish_and_its_wal_never_poisons_it(ws, capsys):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WRITER, str(ws.warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert ws.warehouse.with_name(ws.warehouse.name + ".wal").exists()
        (ws.raw_dir / "second period.txt").write_text(redated(SEED_TEXT, "2021-06-30"), encoding="utf-8")
        before = generations(ws)
        assert ws.run() == 2
        err = capsys.readouterr().err
        assert "open for writing in another process" in err, err
        assert generations(ws) == before  # not replaced, and the backup not rotated by a failed publish
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # The holder died with its writes in the log beside the published file.
    assert ws.warehouse.with_name(ws.warehouse.name + ".wal").exists()
    assert ws.run() == 0
    assert periods(ws.warehouse) == ["2020-12-31", "2021-06-30"]
    assert not ws.warehouse.with_name(ws.warehouse.name + ".wal").exists()
    # `.previous` is the file before, with its log: it opens, with the holder's writes in it
    assert periods(previous_of(ws)) == ["2020-12-31"]
    with duckdb.connect(str(previous_of(ws)), read_only=True) as con:
        assert con.execute("select x from main.scratch").fetchone() == (1,)
    assert ws.run() == 0  # and later runs go on


# 2 ---------------------------------------------------------------------------------------------
def test_deleting_the_build_folder_mid_run_cannot_let_a_second_run_in_nor_report_old_data(ws, capsys):
    before = generations(ws)
    (ws.raw_dir / "second period.txt").write_text(redated(SEED_TEXT, "2021-06-30"), encoding="utf-8")
    first = start_run()
    try:
        assert wait_for(first, 'Started execution of step "staging_tables"')
        first.send_signal(signal.SIGSTOP)
        shutil.rmtree(ws.warehouse.parent / ".build")
        assert ws.run() == 2  # the lock is not in the deleted folder: refused
        out, err = capsys.readouterr()
        # one line naming the holder, no period summary, and no Dagster run for a run that never started
        assert err.count("\n") == 1 and "another run is building" in err and f"process {first.pid} on" in err, err
        assert "summary" not in out
        from dagster import DagsterInstance

        with DagsterInstance.from_config(str(ws.dagster_home)) as instance:
            assert len(instance.get_runs()) == 1
    finally:
        first.send_signal(signal.SIGCONT)
    code, out = finish(first)
    assert code == 2, out[-3000:]
    assert "is gone" in out
    assert_last_good_kept(ws, before, ["2020-12-31"])  # nothing half-published, nothing old re-published
    assert ws.run() == 0
    assert periods(ws.warehouse) == ["2020-12-31", "2021-06-30"]


def test_a_run_verifies_that_what_it_published_holds_what_it_planned(ws, monkeypatch, capsys):
    from pipeline.publish import warehouse as wh

    (ws.raw_dir / "second period.txt").write_text(redated(SEED_TEXT, "2021-06-30"), encoding="utf-8")
    original = wh.Warehouse.publish

    def publish_without_the_swap(self, run_id):  # a publish that silently keeps the old file
        self.build_path(run_id)
        return self.path

    monkeypatch.setattr(wh.Warehouse, "publish", publish_without_the_swap)
    before = generations(ws)
    assert ws.run() == 2
    assert "the published warehouse is not this run's build" in capsys.readouterr().err
    assert_last_good_kept(ws, before, ["2020-12-31"])
    monkeypatch.setattr(wh.Warehouse, "publish", original)
    assert ws.run() == 0


# 3 ---------------------------------------------------------------------------------------------
def test_the_stale_run_sweep_leaves_live_runs_alone_and_fails_dead_ones(ws):
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    from pipeline.run import mark_stale_runs_failed

    (ws.raw_dir / "second period.txt").write_text(redated(SEED_TEXT, "2021-06-30"), encoding="utf-8")
    live = start_run()
    try:
        assert wait_for(live, 'Started execution of step "parsed_activities"')
        live.send_signal(signal.SIGSTOP)
        instance = DagsterInstance.from_config(str(ws.dagster_home))
        mark_stale_runs_failed(instance)
        (run,) = instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED]))
    finally:
        live.send_signal(signal.SIGCONT)
    code, out = finish(live)
    assert code == 0, out[-3000:]
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.SUCCESS

    before = generations(ws)
    dead = start_run("--full")
    assert wait_for(dead, 'Started execution of step "parsed_activities"')
    dead.send_signal(signal.SIGKILL)
    dead.wait()
    assert_last_good_kept(ws, before, ["2020-12-31", "2021-06-30"])
    mark_stale_runs_failed(instance)
    assert not instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED]))


# 4 ---------------------------------------------------------------------------------------------
def test_bin_pledge_run_gives_a_caller_the_documented_exit_codes(ws):
    env = {**os.environ}
    (ws.raw_dir / "empty.txt").write_bytes(b"")
    done = subprocess.run([str(REPO / "bin" / "pledge-run")], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr[-2000:]  # make would have said 2
    assert "REFUSED empty.txt: " in done.stderr
    (ws.raw_dir / "empty.txt").unlink()
    shutil.rmtree(ws.raw_dir)
    done = subprocess.run([str(REPO / "bin" / "pledge-run")], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2
    assert "folder of input reports is missing" in done.stderr


def test_error_level_parse_issues_show_in_the_exit_status_and_the_summary(ws, capsys):
    lines = SEED_TEXT.split("\n")
    row = next(i for i, line in enumerate(lines) if line[:1].isdigit() and line.count("\t") == 4)
    lines[row] = "\t".join(lines[row].split("\t")[:3])  # missing columns: an error-level issue
    (ws.raw_dir / SEED_REPORT.name).write_text("\n".join(lines), encoding="utf-8")
    assert ws.run() == 3
    err = capsys.readouterr().err
    assert "PARSE ERRORS: 1 error-level parse issue(s)" in err
    assert "where severity = 'error'" in err


# 5 ---------------------------------------------------------------------------------------------
# Unreadable and odd files refused by name: tests/test_bad_input.py, in one run with every other kind of bad input.


# 6 ---------------------------------------------------------------------------------------------
# Full-width codes, dates and header in a whole run: tests/test_bad_input.py.
def test_full_width_digits_and_dots_in_activity_dates_read_like_ascii():
    """Dates inside the activity lists (`'２０．５．１．`, `１１．２２．～１２．３．`), read through the raw
    boundary (decode_report) like the same text in ASCII: same dates, precisions and people figures."""
    import datetime as dt

    from pipeline.parse.report import parse_report_text
    from pipeline.raw.report_file import decode_report

    width = str.maketrans("0123456789.~", "０１２３４５６７８９．～")
    lines = SEED_TEXT.split("\n")
    n_changed = 0
    for i, line in enumerate(lines):
        cells = line.split("\t")
        if len(cells) == 5 and cells[0].isdigit() and any(c.isdigit() for c in cells[4]):
            cells[4] = cells[4].translate(width)
            lines[i] = "\t".join(cells)
            n_changed += 1
    assert n_changed > 50
    text, _ = decode_report("\n".join(lines).encode("utf-8"), "full width.txt")
    report_date = dt.date(2020, 12, 31)
    wide = parse_report_text(text, source_file="x.txt", report_date=report_date)
    plain = parse_report_text(SEED_TEXT, source_file="x.txt", report_date=report_date)

    def fields(parsed):
        return [
            (
                e.pledge_code,
                e.event_seq,
                e.title,
                e.start_date,
                e.start_precision,
                e.end_date,
                e.end_precision,
                e.attendee_count,
            )
            for e in parsed.events
        ]

    assert fields(wide) == fields(plain)
    assert sum(e.start_date is not None for e in wide.events) > 300


# 7 ---------------------------------------------------------------------------------------------
def test_items_nested_deeper_than_the_html_parser_reads_are_parse_errors():
    import datetime as dt

    from pipeline.parse.report import parse_report_text

    lines = SEED_TEXT.split("\n")
    row = next(i for i, line in enumerate(lines) if line[:1].isdigit() and line.count("\t") == 4)
    cells = lines[row].split("\t")
    depth = 400
    cells[4] = (
        "<ul><li>• 깊은 목록 회의 개최 (2020. 5. 1.)"
        + "".join(f"<ul><li>- 세부 {i}" for i in range(depth))
        + "</li></ul>" * depth
        + "</li></ul>"
    )
    lines[row] = "\t".join(cells)
    parsed = parse_report_text("\n".join(lines), source_file="deep.txt", report_date=dt.date(2020, 12, 31))
    (issue,) = [i for i in parsed.issues if i.kind == "unread_items"]
    assert issue.severity == "error" and issue.source_line == row + 1
    n_read = parsed.n_items_as_event + parsed.n_items_as_detail
    assert parsed.n_list_items == n_read + parsed.n_items_as_issue
    assert parsed.n_items_as_issue >= depth + 1 - 300  # what lxml dropped is counted, not lost


# 9 ---------------------------------------------------------------------------------------------
# UTF-16, NUL bytes and two header dates in a whole run: tests/test_bad_input.py.
def test_a_missing_raw_folder_is_refused_and_keeps_every_partition(ws, capsys):
    from dagster import DagsterInstance

    assert ws.run() == 0
    shutil.rmtree(ws.raw_dir)
    ws.raw_dir.symlink_to(ws.root / "gone")  # dangling
    before = generations(ws)
    assert ws.run() == 2
    assert "folder of input reports is missing" in capsys.readouterr().err
    instance = DagsterInstance.from_config(str(ws.dagster_home))
    assert instance.get_dynamic_partitions("reporting_periods") == ["전주시/2020-12-31"]
    assert_last_good_kept(ws, before, ["2020-12-31"])


def test_a_failed_copy_leaves_no_copying_file(tmp_path, monkeypatch):
    from pipeline.publish import warehouse as wh

    w = wh.Warehouse(tmp_path / "w" / "pledge_activity.duckdb")
    w.path.parent.mkdir()
    with duckdb.connect(str(w.path)) as con:
        con.execute("create table t as select 1")

    def disk_full(src, dst):
        Path(dst).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wh.shutil, "copyfile", disk_full)
    with pytest.raises(OSError, match="No space"):
        w.start_build("run-1")
    assert not list(w.build_dir.glob("*.copying"))


# 8 ---------------------------------------------------------------------------------------------
def test_a_future_period_warns_and_can_be_retracted(ws, capsys):
    (ws.raw_dir / "typo.txt").write_text(redated(SEED_TEXT, "2099-12-31"), encoding="utf-8")
    assert ws.run() == 0
    assert "WARNING typo.txt:3: header date 2099-12-31 is in the future" in capsys.readouterr().err
    assert periods(ws.warehouse) == ["2020-12-31", "2099-12-31"]
    before = generations(ws)
    assert ws.run("--retract", "2099-12-31") == 2  # refused while its file is still in raw/
    assert "remove the file first" in capsys.readouterr().err
    assert generations(ws) == before
    (ws.raw_dir / "typo.txt").unlink()
    assert ws.run("--full") == 0
    assert periods(ws.warehouse) == ["2020-12-31", "2099-12-31"]  # removing the file alone deletes nothing
    assert ws.run("--retract", "2099-12-31") == 0
    assert periods(ws.warehouse) == ["2020-12-31"]
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_events where report_date = '2099-12-31'").fetchone() == (0,)
        assert con.execute("select count(*) from staging.event_keys where report_date = '2099-12-31'").fetchone() == (
            0,
        )
        assert con.execute("select report_date::varchar, source_file from staging.retracted_periods").fetchall() == [
            ("2099-12-31", "typo.txt")
        ]
    assert ws.run("--retract", "2099-12-31") == 2  # not there any more
    assert ws.run() == 0


# the Dagster UI -----------------------------------------------------------------------------------
def test_report_text_stays_text_in_dagster_markdown():
    """A file name in the same markup: tests/test_bad_input.py, on the RAW_REPORT materialization of a run."""
    from pipeline.report.preview import markdown_preview, md_text

    hostile = '<img src=x onerror="alert(1)"> [click](javascript:alert(2)) ![i](http://x/y.png) `code` **b**'
    cell = md_text(hostile)
    assert "<" not in cell and ">" not in cell
    for active in "[]()`*!":
        assert all(cell[i - 1] == "\\" for i, ch in enumerate(cell) if ch == active), (active, cell)
    with duckdb.connect() as con:
        con.execute("create table t as select ? as title", [hostile])
        preview = markdown_preview(con, "t", 1, max_chars=500)
    assert preview.splitlines()[2] == f"| {cell} |"
