"""One change plan: a run with nothing to do does nothing; what a run did is recorded with it."""

from __future__ import annotations

import shutil

import duckdb

from .conftest import make_workspace
from .test_operating import SEED_TEXT, file_digest, redated


def _published_copy(tmp_path, monkeypatch, built_warehouse):
    """The built workspace's warehouse folder: the published file, its exports and their stamps."""
    ws = make_workspace(tmp_path, monkeypatch)
    shutil.copytree(
        built_warehouse.warehouse.parent, ws.warehouse.parent, ignore=shutil.ignore_patterns(".build", "logs")
    )
    return ws


def test_a_run_with_nothing_to_do_publishes_nothing(tmp_path, monkeypatch, built_warehouse, capsys):
    ws = _published_copy(tmp_path, monkeypatch, built_warehouse)
    inode, digest = ws.warehouse.stat().st_ino, file_digest(ws.warehouse)
    assert ws.run() == 0
    out = capsys.readouterr().out
    assert "nothing to do" in out and len(out.strip().splitlines()) == 1, out
    assert ws.warehouse.stat().st_ino == inode and file_digest(ws.warehouse) == digest
    from dagster import DagsterInstance

    assert DagsterInstance.from_config(str(ws.dagster_home)).get_runs() == []  # no Dagster run either


def test_the_plan_is_recorded_with_the_run_and_in_the_warehouse(tmp_path, monkeypatch, built_warehouse):
    from dagster import DagsterInstance

    from pipeline.plan import make_plan
    from pipeline.raw.discover import discover_reports

    ws = _published_copy(tmp_path, monkeypatch, built_warehouse)
    (ws.raw_dir / "second.txt").write_text(redated(SEED_TEXT, "2021-06-30"), encoding="utf-8")
    plan = make_plan(discover_reports(ws.raw_dir), ws.warehouse)
    expected = (["전주시/2021-06-30"], [], ["전주시/2020-12-31"], [])
    assert (plan.new, plan.changed, plan.unchanged, plan.removed) == expected
    assert ws.run() == 0
    with duckdb.connect(str(ws.warehouse), read_only=True) as con:
        run_id, loaded, recorded = con.execute(
            "select run_id, periods_loaded::varchar[], plan->>'$.new' from staging.run_history "
            "order by recorded_at desc limit 1"
        ).fetchone()
    assert loaded == ["전주시/2021-06-30"] and "2021-06-30" in recorded
    run = DagsterInstance.from_config(str(ws.dagster_home)).get_run_by_id(run_id)
    assert run.tags["pledge/plan"] == plan.describe()  # the plan in a line, with the run
    assert '"new": ["전주시/2021-06-30"]' in run.run_config["ops"]["staging_tables"]["config"]["plan"]
    assert make_plan(discover_reports(ws.raw_dir), ws.warehouse).nothing_to_do
