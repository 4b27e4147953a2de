"""Measuring a `make run`-equivalent child process: wall and CPU time, peak RSS, and where the run
spent its time (Dagster's event log and dbt's own logs)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import testkit.workspace  # noqa: E402
from pipeline import settings  # noqa: E402
from testkit import bench_reports as synthetic  # noqa: E402

DBT_DIR = settings.DBT_PROJECT_DIR
GB = 1024**3


# --------------------------------------------------------------------------------------------------
# Measuring a child process


@dataclass
class ChildRun:
    argv: list[str]
    wall_s: float
    cpu_s: float  # user + system of the child and its reaped children
    max_rss_bytes: int  # the largest RSS among the child and its reaped descendants
    returncode: int
    log: str = ""


def run_child(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> ChildRun:
    """Run argv to completion; wall time, CPU time and peak RSS from wait4 (descendants included)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen.wait
    return ChildRun(
        argv=[Path(argv[0]).name, *argv[1:]],
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_bytes=usage.ru_maxrss * 1024,
        returncode=proc.returncode,
        log=str(log),
    )


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLEDGE_", "DAGSTER_"))}
    env.update({"DBT_PROFILES_DIR": str(DBT_DIR), "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"})
    return env


# --------------------------------------------------------------------------------------------------
# Workspaces: `make run` pointed at a temp folder


class Workspace(testkit.workspace.Workspace):
    """A workspace whose runs are timed child processes (`python -m pipeline.run`)."""

    def env(self) -> dict[str, str]:
        return {**base_env(), **self.settings_env()}

    def run(self, label: str) -> ChildRun:
        child = run_child([sys.executable, "-m", "pipeline.run"], self.env(), REPO, self.root / f"{label}.log")
        if child.returncode != 0:
            tail = Path(child.log).read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{label}: `python -m pipeline.run` exited {child.returncode}; log {child.log}:\n{tail}")
        return child


def fresh_workspace(work: Path, name: str, n_reports: int) -> Workspace:
    ws = Workspace(work / name)
    if ws.root.exists():
        shutil.rmtree(ws.root)
    synthetic.write_reports(ws.raw_dir, 0, n_reports - 1)
    return ws


def median_of(n: int, fn):
    values = [fn() for _ in range(n)]
    return statistics.median(values), values


# --------------------------------------------------------------------------------------------------
# Where a run spent its time: Dagster's event log and dbt's own logs


def run_breakdown(ws: Workspace, child: ChildRun) -> dict:
    """Per-step durations of the workspace's latest build_warehouse run, and dbt's timings inside it."""
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    with DagsterInstance.from_config(str(ws.dagster_home)) as instance:
        runs = instance.get_runs(RunsFilter(job_name="build_warehouse", statuses=[DagsterRunStatus.SUCCESS]), limit=1)
        if not runs:
            return {}
        run = runs[0]
        stats = instance.get_run_step_stats(run.run_id)
        records = instance.get_records_for_run(run.run_id, limit=100_000).records
    times = [r.event_log_entry.timestamp for r in records]
    steps = {s.step_key: round(s.end_time - s.start_time, 3) for s in stats if s.end_time and s.start_time}
    starts = {s.step_key: s.start_time for s in stats}
    out = {
        "run_id": run.run_id,
        "n_events": len(records),
        "run_span_s": round(max(times) - min(times), 3) if times else None,
        "steps_s": steps,
    }
    out["outside_run_s"] = round(child.wall_s - (out["run_span_s"] or 0), 3)  # imports, partition sync, summary
    logs = sorted((ws.warehouse.parent / "logs").glob("run-*.log"), key=lambda p: p.stat().st_mtime)
    dbt = dbt_timings(
        run.run_id, starts.get("pledge_dbt_models"), steps.get("pledge_dbt_models"), logs[-1] if logs else None
    )
    if dbt:
        out["dbt"] = dbt
    return out


def run_breakdown_or_error(ws: Workspace, child: ChildRun) -> dict:
    """The breakdown, read right after the run (before the next run in the same folder)."""
    try:
        return run_breakdown(ws, child)
    except Exception as exc:  # the timing stands without its breakdown
        return {"error": repr(exc)}


def dbt_timings(run_id: str, step_start: float | None, step_s: float | None, run_log: Path | None = None) -> dict:
    """From the dbt target folder dagster-dbt made for this run (its run_results.json): startup, parse, node
    execution; whether dbt parsed the project whole, from the run's log (dbt's own log file is off)."""
    folders = sorted((DBT_DIR / "target").glob(f"pledge_dbt_models-{run_id[:7]}-*"))
    if not folders:
        return {}
    folder = folders[-1]
    out: dict = {"target": str(folder)}
    results_path = folder / "run_results.json"
    if not results_path.exists():
        return out
    results = json.loads(results_path.read_text())
    nodes = results["results"]
    out["dbt_elapsed_s"] = round(results["elapsed_time"], 3)
    out["n_nodes"] = len(nodes)
    out["sum_node_s"] = round(sum(n["execution_time"] for n in nodes), 3)
    out["sum_model_s"] = round(sum(n["execution_time"] for n in nodes if n["unique_id"].startswith("model.")), 3)
    out["sum_test_s"] = round(sum(n["execution_time"] for n in nodes if n["unique_id"].startswith("test.")), 3)
    out["slowest_nodes_s"] = {
        n["unique_id"].split(".", 2)[-1]: round(n["execution_time"], 3)
        for n in sorted(nodes, key=lambda n: -n["execution_time"])[:8]
    }

    def at(stamp: str) -> float:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()

    began = at(results["metadata"]["invocation_started_at"])  # dbt's command began (its imports done)
    ended = at(results["metadata"]["generated_at"])
    timings = [t for n in nodes for t in n.get("timing", [])]
    first_node = min((at(t["started_at"]) for t in timings), default=None)
    if step_start:
        out["launch_s"] = round(began - step_start, 3)  # step start -> dbt's command (Python and dbt's imports)
    if first_node:
        out["startup_parse_s"] = round(first_node - began, 3)  # adapter, project, (partial) parse
        out["execute_s"] = round(ended - first_node, 3)  # seeds, models, tests
    if step_start and step_s:
        out["after_dbt_s"] = round(step_start + step_s - ended, 3)  # Dagster handling dbt's events
    said = run_log.read_text(errors="replace") if run_log and run_log.exists() else ""
    out["full_parse_reason"] = next(
        (line.strip() for line in said.splitlines() if "Unable to do partial parsing" in line), None
    )
    return out
