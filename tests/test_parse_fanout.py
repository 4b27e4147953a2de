"""Parsing fanned out through Dagster's multiprocess executor (PLEDGE_PARSE_WORKERS): the steps run
in separate worker processes and write only the parse cache; the build job then parses nothing and
publishes the same warehouse as a run that parsed in-process. SYNTHETIC reports (testkit)."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb

from testkit import bench_reports
from testkit.workspace import REPO, Workspace

N_REPORTS = 2


def _run(ws: Workspace, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PLEDGE_", "DAGSTER_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.run"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**environ, **ws.settings_env(), **env},
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def _marts(path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            t: con.execute(f"select * exclude (ingested_at) from marts.{t} order by all").fetchall()
            if t == "dim_period"
            else con.execute(f"select * from marts.{t} order by all").fetchall()
            for t in ("dim_period", "fct_events", "dim_event", "fct_attendees", "fct_event_lifecycle")
        }


def test_fanned_out_parse_runs_in_worker_processes_and_builds_the_same_warehouse(tmp_path):
    from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus

    fanned, plain = Workspace(tmp_path / "fanned"), Workspace(tmp_path / "plain")
    for ws in (fanned, plain):
        bench_reports.write_reports(ws.raw_dir, 0, N_REPORTS - 1)
    out = _run(fanned, PLEDGE_PARSE_WORKERS="2").stdout
    assert f"parse: {N_REPORTS} period(s) in 2 worker processes: done" in out, out
    plain_out = _run(plain).stdout

    with DagsterInstance.from_config(str(fanned.dagster_home)) as instance:
        runs = {r.job_name: r for r in instance.get_runs()}
        assert runs["parse_reports"].status == DagsterRunStatus.SUCCESS
        starts = instance.get_records_for_run(runs["parse_reports"].run_id, of_type=DagsterEventType.STEP_START).records
        pids = {
            r.event_log_entry.dagster_event.pid for r in starts if r.event_log_entry.step_key.startswith("parse_chunk")
        }
        assert len(pids) >= 2 and os.getpid() not in pids  # separate worker processes
        parsed = instance.get_latest_materialization_event(AssetKey("parsed_activities")).asset_materialization.metadata
    assert parsed["n_cached"].value == N_REPORTS  # the build job parsed nothing itself
    assert _marts(fanned.warehouse) == _marts(plain.warehouse)
    assert "worker processes" not in plain_out, "without PLEDGE_PARSE_WORKERS the build parses in its own process"
