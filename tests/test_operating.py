"""Write-audit-publish and bad input: the warehouse analysts read is never broken.

Every test builds its inputs from the real report, runs the real pipeline
(Dagster + dbt) and inspects real DuckDB files. The bad and odd input files that one run can
judge side by side are in tests/test_bad_input.py, all in one run; here are the cases that need
a run of their own.
"""

from __future__ import annotations

import hashlib
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

SEED_TEXT = SEED_REPORT.read_text(encoding="utf-8")


def redated(text: str, date: str) -> str:
    """The report with another header date (a distinct period)."""
    y, m, d = date.split("-")
    return text.replace("【2020. 12. 31.】", f"【{y}. {int(m)}. {int(d)}.】", 1)


def counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
            for t in ("dim_period", "fct_events", "fct_attendees", "dim_pledge")
        }


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def ws(tmp_path, monkeypatch, built_warehouse) -> Workspace:
    """A workspace whose published warehouse is a copy of the session's build of the real report
    (as if `make run` had run once), so each test starts from a good published file."""
    ws = make_workspace(tmp_path, monkeypatch)
    ws.warehouse.parent.mkdir(parents=True)
    shutil.copyfile(built_warehouse.warehouse, ws.warehouse)
    return ws


def test_two_files_for_one_period_are_both_refused(tmp_path, monkeypatch, capsys):
    ws = make_workspace(tmp_path, monkeypatch)
    (ws.raw_dir / "copy of report.txt").write_bytes(SEED_REPORT.read_bytes())
    assert ws.run() == 1
    err = capsys.readouterr().err
    assert "period 전주시/2020-12-31 is also claimed" in err
    assert not ws.warehouse.exists()  # nothing good to publish


def test_failed_audit_publishes_nothing_and_names_the_test(ws, monkeypatch, capsys):
    before = file_digest(ws.warehouse)
    # A bad parse reaches staging (the cache is checked, so it is made here, as the load reads it): a
    # format code outside the vocabulary. `--full` reloads every period and rebuilds every model.
    from pipeline.load import staging

    read = staging.read_cached_table

    def a_bad_parse(folder, table):
        rows = read(folder, table)
        if table != "events":
            return rows
        with duckdb.connect() as con:
            con.register("events", rows)
            bad = con.execute("""select * replace (case when pledge_code = '1' and event_seq = 1 then 'bogus'
                                 else format_code end as format_code) from events""").to_arrow_table()
        return bad.cast(rows.schema)

    monkeypatch.setattr(staging, "read_cached_table", a_bad_parse)
    assert ws.run("--full") == 2
    err = capsys.readouterr()
    assert "pledge_dbt_models" in err.err
    assert "relationships_fct_events_format_code" in (err.out + err.err)  # dbt names the failing test
    assert file_digest(ws.warehouse) == before  # nothing published
    # the failed test is an observation on the model it tests, with its status and failed rows
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(ws.dagster_home)) as instance:
        records = instance.fetch_observations(AssetKey(["marts", "fct_events"]), limit=100).records
    failed = {r.asset_observation.metadata["unique_id"].value: r.asset_observation.metadata for r in records}
    (uid,) = [u for u in failed if ".relationships_fct_events_format_code" in u]
    assert failed[uid]["status"].value == "fail"
    assert failed[uid]["dagster_dbt/failed_row_count"].value == 1


def test_reader_keeps_a_consistent_view_during_a_run(ws):
    n_before = counts(ws.warehouse)["fct_events"]
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(ws.warehouse)!r}, read_only=True)
            print(con.execute("select count(*) from marts.fct_events").fetchone()[0], flush=True)
            sys.stdin.readline()   # hold the connection open while the run goes on
            print(con.execute("select count(*) from marts.fct_events").fetchone()[0], flush=True)
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    first = int(reader.stdout.readline())
    (ws.raw_dir / "second period.txt").write_text(redated(SEED_TEXT, "2021-06-30"), encoding="utf-8")
    assert ws.run() == 0  # not blocked by the open reader
    second = int(reader.communicate("go\n", timeout=60)[0].strip())
    assert first == second == n_before  # the reader's view did not change under it
    assert counts(ws.warehouse)["fct_events"] == 2 * n_before  # new readers see the new file
    backup = ws.warehouse.with_name("pledge_activity.previous.duckdb")
    assert counts(backup)["fct_events"] == n_before  # the previous published file is kept


RUN_SCRIPT = "from pipeline.run import run_main; import sys; sys.exit(run_main(sys.argv[1:]))"


def _run_and_kill(ws: Workspace, marker: str, timeout: float = 240) -> bool:
    """Start `make run` as a process, SIGKILL it when `marker` appears in its log."""
    env = {**os.environ, "PLEDGE_LOG_LEVEL": "DEBUG"}
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN_SCRIPT, "--full"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline, killed = time.monotonic() + timeout, False
    for line in proc.stdout:
        if marker in line:
            proc.send_signal(signal.SIGKILL)
            killed = True
            break
        if time.monotonic() > deadline:
            break
    proc.kill()
    proc.wait()
    return killed


KILL_POINTS = (  # before the working copy is written, while dbt writes it, as it is published
    'STEP_START - Started execution of step "parsed_activities"',
    "START sql incremental model marts.fct_events",
    'STEP_START - Started execution of step "published_warehouse"',
)


def test_sigkill_at_any_point_leaves_the_published_warehouse_intact(ws):
    """Killed at each point in turn: each killed run starts from what the one before left, and gets
    as far as the next point; after the last, a run succeeds without any clean-up."""
    digest, before = file_digest(ws.warehouse), counts(ws.warehouse)
    (ws.raw_dir / "second period.txt").write_text(redated(SEED_TEXT, "2021-06-30"), encoding="utf-8")
    for marker in KILL_POINTS:
        assert _run_and_kill(ws, marker), f"never reached {marker!r}"
        # the published file is either untouched or (killed after the swap) the new complete one
        after = counts(ws.warehouse)
        assert file_digest(ws.warehouse) == digest or after["dim_period"] == 2
        assert after["dim_period"] in (1, 2)
        assert after["fct_events"] in (before["fct_events"], 2 * before["fct_events"])
    assert ws.run() == 0
    assert counts(ws.warehouse)["dim_period"] == 2
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    instance = DagsterInstance.from_config(str(ws.dagster_home))
    assert not instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTED]))
