"""`make bench` (`make bench SIZE=2000`): how the pipeline's cost grows with the data, on this machine.

In one run, in fresh temporary workspaces under `--work` (default `warehouse/bench/`), with synthetic
reports derived from the real one (bench/synthetic.py; never written to raw/):

1. parse throughput: the whole parser (`parse_report_text`) and its HTML step (`segment.cell_items`)
   against the floor of lxml parsing the same HTML cells (`etree.HTML`), MB/s and ratios; beside them
   the cost of the parser's output contract alone (validating the pydantic records it returns, from
   plain data, with no parsing): a ceiling on what any parser returning those records can reach;
2. `make run`-equivalent wall time (`python -m pipeline.run` in a subprocess, env vars pointing at
   the workspace): the real report alone (T1), 200 reports (T200, cold parse cache), and the run
   after adding a 201st report to the 200 already loaded (Tinc);
3. the floors: a trivial one-asset Dagster materialization run the same way, and a bare `dbt build`
   of dbt_project/ on a copy of the 1-report warehouse;
4. peak RSS of each run (the child and its children, e.g. the dbt subprocess: `os.wait4`), and with
   SIZE > 200 a cold run at SIZE reports;
5. latency of each example query of dbt_project/analyses/ on the 200-report warehouse.

Prints a table, writes `warehouse/bench.json` (per-step Dagster durations and the dbt timings of
every run included). Timings are wall-clock on a shared machine: compare the ratios of one run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import synthetic  # noqa: E402
from pipeline import settings  # noqa: E402

DBT_DIR = settings.DBT_PROJECT_DIR

MAIN_SIZE = 200  # T200 and Tinc are measured at this size (or at SIZE when smaller)
PARSE_SAMPLE = 10  # reports timed for parse throughput
GB = 1024 ** 3

TRIVIAL_DAGSTER = """\
import os, sys
from dagster import DagsterInstance, asset, define_asset_job, Definitions, in_process_executor

@asset
def one() -> int:
    return 1

job = define_asset_job("trivial", selection="*", executor_def=in_process_executor)
defs = Definitions(assets=[one], jobs=[job])
result = defs.get_job_def("trivial").execute_in_process(instance=DagsterInstance.get())
sys.exit(0 if result.success else 2)
"""


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
    return ChildRun(argv=[Path(argv[0]).name, *argv[1:]], wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
                    max_rss_bytes=usage.ru_maxrss * 1024, returncode=proc.returncode, log=str(log))


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PLEDGE_", "DAGSTER_"))}
    env.update({"DBT_PROFILES_DIR": str(DBT_DIR), "DO_NOT_TRACK": "1", "PYTHONUNBUFFERED": "1"})
    return env


# --------------------------------------------------------------------------------------------------
# Workspaces: `make run` pointed at a temp folder


@dataclass
class Workspace:
    root: Path

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "pledge_activity.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / ".dagster"

    def env(self) -> dict[str, str]:
        return {**base_env(), "PLEDGE_RAW_DIR": str(self.raw_dir), "PLEDGE_WAREHOUSE": str(self.warehouse),
                "DAGSTER_HOME": str(self.dagster_home)}

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
    dbt = dbt_timings(run.run_id, starts.get("pledge_dbt_models"), steps.get("pledge_dbt_models"))
    if dbt:
        out["dbt"] = dbt
    return out


def run_breakdown_or_error(ws: Workspace, child: ChildRun) -> dict:
    """The breakdown, read right after the run (before the next run in the same folder)."""
    try:
        return run_breakdown(ws, child)
    except Exception as exc:  # the timing stands without its breakdown
        return {"error": repr(exc)}


def dbt_timings(run_id: str, step_start: float | None, step_s: float | None) -> dict:
    """From the dbt target folder dagster-dbt made for this run: startup, parse, node execution."""
    folders = sorted((DBT_DIR / "target").glob(f"pledge_dbt_models-{run_id[:7]}-*"))
    if not folders:
        return {}
    folder = folders[-1]
    out: dict = {"target": str(folder)}
    results_path = folder / "run_results.json"
    if results_path.exists():
        results = json.loads(results_path.read_text())
        nodes = results["results"]
        out["dbt_elapsed_s"] = round(results["elapsed_time"], 3)
        out["n_nodes"] = len(nodes)
        out["sum_node_s"] = round(sum(n["execution_time"] for n in nodes), 3)
        out["sum_model_s"] = round(sum(n["execution_time"] for n in nodes if n["unique_id"].startswith("model.")), 3)
        out["sum_test_s"] = round(sum(n["execution_time"] for n in nodes if n["unique_id"].startswith("test.")), 3)
        out["slowest_nodes_s"] = {n["unique_id"].split(".", 2)[-1]: round(n["execution_time"], 3)
                                  for n in sorted(nodes, key=lambda n: -n["execution_time"])[:8]}
    log = folder / "dbt.log"
    if log.exists():
        first = parsed = last = None
        full_parse_reason = None
        for line in log.read_text(errors="replace").splitlines():
            try:
                info = json.loads(line)["info"]
            except (ValueError, KeyError):
                continue
            ts = dt.datetime.fromisoformat(info["ts"].replace("Z", "+00:00")).timestamp()
            first = first or ts
            last = ts
            msg = info.get("msg", "")
            if parsed is None and msg.startswith("Concurrency:"):
                parsed = ts
            if "Unable to do partial parsing" in msg:
                full_parse_reason = msg
        if first and step_start:
            out["launch_s"] = round(first - step_start, 3)  # step start -> dbt's first log line
        if first and parsed:
            out["startup_parse_s"] = round(parsed - first, 3)  # adapter, project, (partial) parse
        if parsed and last:
            out["execute_s"] = round(last - parsed, 3)  # seeds, models, tests
        if last and step_start and step_s:
            out["after_dbt_s"] = round(step_start + step_s - last, 3)  # Dagster handling dbt's events
        out["full_parse_reason"] = full_parse_reason
    return out


# --------------------------------------------------------------------------------------------------
# 1. Parse throughput


def parse_throughput(n_reports: int, repeat: int) -> dict:
    from lxml import etree

    from pipeline.parse.models import ParsedReport
    from pipeline.parse.report import parse_report_text
    from pipeline.parse.segment import cell_items
    from pipeline.raw.report_file import find_report_date

    texts = [(synthetic.file_name(0), synthetic.SEED_REPORT.read_text(encoding="utf-8-sig"))]
    texts += [(synthetic.file_name(k), synthetic.synthetic_text(k)) for k in range(1, n_reports)]
    jobs = [(name, text, find_report_date(text, name)[0]) for name, text in texts]
    cells = []
    for _, text, _ in jobs:  # the HTML cells exactly as the parser cuts them out of the rows
        for line in text.split("\n"):
            parts = line.rstrip("\r").split("\t")
            if len(parts) >= 5 and parts[0].strip().isdigit():
                html = "\t".join(parts[4:])
                if html.strip():
                    cells.append(html)
    text_bytes = sum(len(t.encode()) for _, t, _ in jobs)
    html_bytes = sum(len(c.encode()) for c in cells)

    def timed(fn):
        def once():
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start
        return once

    def whole():
        for name, text, day in jobs:
            parse_report_text(text, source_file=name, report_date=day)

    def html_step():
        for c in cells:
            cell_items(c)

    def lxml_floor():
        for c in cells:
            etree.HTML(c)

    # The parser's output as plain data (dicts, lists, dates): validating it into the pydantic
    # records is what any parser that keeps this contract pays on top of its reading.
    plain = [parse_report_text(text, source_file=name, report_date=day).model_dump() for name, text, day in jobs]

    def records_only():
        for data in plain:
            ParsedReport.model_validate(data)

    whole()  # warm-up: imports, regex compilation, vocabularies
    t_whole, all_whole = median_of(repeat, timed(whole))
    t_html, all_html = median_of(repeat, timed(html_step))
    t_lxml, all_lxml = median_of(repeat, timed(lxml_floor))
    t_records, all_records = median_of(repeat, timed(records_only))
    mb = 1e6
    return {
        "n_reports": len(jobs),
        "n_cells": len(cells),
        "text_mb": round(text_bytes / mb, 3),
        "html_mb": round(html_bytes / mb, 3),
        "whole_parser_s": round(t_whole, 4),
        "html_step_s": round(t_html, 4),
        "lxml_floor_s": round(t_lxml, 4),
        "whole_parser_mb_s": round(html_bytes / mb / t_whole, 3),  # on the same HTML bytes as the floor
        "whole_parser_text_mb_s": round(text_bytes / mb / t_whole, 3),
        "html_step_mb_s": round(html_bytes / mb / t_html, 3),
        "lxml_floor_mb_s": round(html_bytes / mb / t_lxml, 3),
        "whole_vs_lxml": round(t_lxml / t_whole, 4),
        "html_step_vs_lxml": round(t_lxml / t_html, 4),
        "n_records": sum(_count_records(data) for data in plain),
        "records_only_s": round(t_records, 4),
        "records_only_vs_lxml": round(t_lxml / t_records, 4),  # the ceiling of whole_vs_lxml
        "samples_s": {"whole": all_whole, "html_step": all_html, "lxml": all_lxml, "records_only": all_records},
    }


def _count_records(data) -> int:
    """Pydantic records in a dumped `ParsedReport`: the report, its rows, events, issues and what
    the events hold."""
    events = data["events"]
    return (1 + len(data["rows"]) + len(data["issues"]) + len(events)
            + sum(len(e["details"]) + len(e["attendees"]) + len(e["dates"]) for e in events))


# --------------------------------------------------------------------------------------------------
# 3. Floors


def trivial_dagster(work: Path, repeat: int) -> dict:
    from pipeline.defs.instance import ensure_dagster_yaml

    folder = work / "floor_dagster"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    script = folder / "trivial_job.py"
    script.write_text(TRIVIAL_DAGSTER)
    runs = []
    for i in range(repeat):
        home = folder / f"dagster_home_{i}"
        ensure_dagster_yaml(home)  # the same instance configuration as `make run`
        child = run_child([sys.executable, str(script)], {**base_env(), "DAGSTER_HOME": str(home)}, folder,
                          folder / f"run_{i}.log")
        if child.returncode != 0:
            raise RuntimeError(f"trivial Dagster job failed, see {child.log}")
        runs.append(child)
    return {"wall_s": statistics.median(r.wall_s for r in runs), "cpu_s": statistics.median(r.cpu_s for r in runs),
            "samples_s": [round(r.wall_s, 3) for r in runs], "max_rss_bytes": max(r.max_rss_bytes for r in runs)}


def bare_dbt_build(work: Path, warehouse: Path, repeat: int) -> dict:
    """`dbt build` of dbt_project/ on a copy of a built warehouse, as dagster-dbt starts it: with the
    project's partial-parse file copied into a fresh target folder. The floor is the median of the
    builds after the first (the first may differ: it writes the target folder's parse state)."""
    folder = work / "floor_dbt"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "target").mkdir(parents=True)
    db = folder / warehouse.name  # same file stem: same DuckDB catalog name as the pipeline's
    shutil.copyfile(warehouse, db)
    partial = DBT_DIR / "target" / "partial_parse.msgpack"
    if partial.exists():
        shutil.copyfile(partial, folder / "target" / partial.name)
    # Started as the pipeline starts it: from the database's folder, with the database named
    # relative to it (pipeline/defs/bin/dbt-in-build-dir), so the project's parse is reused.
    env = {**base_env(), "PLEDGE_DBT_DATABASE": db.name, "DBT_PROJECT_DIR": str(DBT_DIR),
           "DBT_PROFILES_DIR": str(DBT_DIR)}
    argv = [settings.dbt_executable(), "build", "--target-path", str(folder / "target"), "--log-path", str(folder / "logs")]
    runs = []
    for i in range(repeat + 1):
        child = run_child(argv, env, folder, folder / f"build_{i}.log")
        if child.returncode != 0:
            raise RuntimeError(f"bare dbt build failed, see {child.log}")
        runs.append(child)
    warm = runs[1:]
    return {
        "wall_s": statistics.median(r.wall_s for r in warm),  # the floor: parse state reused
        "cpu_s": statistics.median(r.cpu_s for r in warm),
        "first_wall_s": round(runs[0].wall_s, 3),
        "samples_s": [round(r.wall_s, 3) for r in runs],
        "max_rss_bytes": max(r.max_rss_bytes for r in runs),
    }


# --------------------------------------------------------------------------------------------------
# 5. Example queries


def query_latency(work: Path, warehouse: Path, repeat: int) -> dict:
    import duckdb

    folder = work / "analyses"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    env = {**base_env(), "PLEDGE_DBT_DATABASE": str(folder / warehouse.name)}  # compiled refs name the catalog
    child = run_child([settings.dbt_executable(), "compile", "--quiet", "--no-partial-parse", "--select", "resource_type:analysis",
                       "--target-path", str(folder / "target"), "--log-path", str(folder / "logs")],
                      env, DBT_DIR, folder / "compile.log")
    if child.returncode != 0:
        raise RuntimeError(f"dbt compile of the analyses failed, see {child.log}")
    compiled = sorted((folder / "target" / "compiled").glob("*/analyses/*.sql"))
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for path in compiled:
            sql = path.read_text()
            rows = len(con.execute(sql).fetchall())  # warm-up

            def once():
                start = time.perf_counter()
                con.execute(sql).fetchall()
                return time.perf_counter() - start

            median, samples = median_of(repeat, once)
            out[path.stem] = {"ms": round(median * 1000, 2), "rows": rows,
                              "samples_ms": [round(s * 1000, 2) for s in samples]}
    return out


# --------------------------------------------------------------------------------------------------
# The table


@dataclass
class Target:
    name: str
    measured: str
    limit: str
    passed: bool | None  # None: not measured in this run


def targets(r: dict) -> list[Target]:
    out = []
    runs, floors, parse = r.get("runs", {}), r.get("floors", {}), r.get("parse")
    n = r["config"]["main_size"]
    t1 = runs.get("T1", {}).get("wall_s")
    if t1 and "Tn" in runs:
        ratio = runs["Tn"]["wall_s"] / t1
        out.append(Target(f"T{n} <= 2 x T1", f"{ratio:.2f} x T1", "2.00", ratio <= 2))
    if t1 and "Tinc" in runs:
        ratio = runs["Tinc"]["wall_s"] / t1
        out.append(Target("Tinc <= 1.2 x T1", f"{ratio:.2f} x T1", "1.20", ratio <= 1.2))
    if parse:
        ceiling = f" (ceiling {parse['records_only_vs_lxml']:.0%})" if "records_only_vs_lxml" in parse else ""
        out.append(Target("parse >= 50% of lxml floor", f"{parse['whole_vs_lxml']:.0%}{ceiling}", "50%",
                          parse["whole_vs_lxml"] >= 0.5))
    if t1 and "dagster" in floors and "dbt" in floors:
        base = floors["dagster"]["wall_s"] + floors["dbt"]["wall_s"]
        out.append(Target("T1 <= 1.3 x (Dagster + dbt floors)", f"{t1 / base:.2f} x", "1.30", t1 / base <= 1.3))
    big = runs.get("Tbig")
    if big and big["n_reports"] >= 2000:
        out.append(Target(f"peak RSS at {big['n_reports']} reports < 2 GB",
                          f"{big['max_rss_bytes'] / GB:.2f} GB", "2.00 GB", big["max_rss_bytes"] < 2 * GB))
    else:
        out.append(Target("peak RSS at 2000 reports < 2 GB", "not run (make bench SIZE=2000)", "2.00 GB", None))
    return out


def render_table(r: dict) -> str:
    lines = []
    add = lines.append
    add(f"== make bench  ({r['config']['started']}, {r['machine']['cpus']} CPUs, load {r['machine']['load_before']})")
    parse = r.get("parse")
    if parse:
        add(f"\n-- parse throughput ({parse['n_reports']} reports, {parse['html_mb']:.2f} MB of HTML cells; "
            f"median of {r['config']['repeat']})")
        add(f"{'':28}{'MB/s':>9}{'s':>9}{'vs lxml':>9}")
        add(f"{'lxml etree.HTML (floor)':28}{parse['lxml_floor_mb_s']:9.2f}{parse['lxml_floor_s']:9.3f}{1:9.0%}")
        add(f"{'HTML step (cell_items)':28}{parse['html_step_mb_s']:9.2f}{parse['html_step_s']:9.3f}"
            f"{parse['html_step_vs_lxml']:9.0%}")
        add(f"{'whole parser':28}{parse['whole_parser_mb_s']:9.2f}{parse['whole_parser_s']:9.3f}"
            f"{parse['whole_vs_lxml']:9.0%}")
        if "records_only_s" in parse:
            add(f"{'pydantic records alone':28}{'':9}{parse['records_only_s']:9.3f}"
                f"{parse['records_only_vs_lxml']:9.0%}  (validating the parser's {parse['n_records']:,d} output "
                f"records, no parsing: the ceiling of any parser keeping this contract)")
    runs = r.get("runs", {})
    if runs:
        add("\n-- runs (`python -m pipeline.run` in a fresh workspace; peak RSS includes the dbt subprocess)")
        add(f"{'':34}{'reports':>8}{'activities':>11}{'wall s':>9}{'cpu s':>8}{'peak RSS':>10}")
        for key, run in runs.items():
            add(f"{run['label']:34}{run['n_reports']:8d}{run.get('n_activities') or 0:11,d}{run['wall_s']:9.1f}"
                f"{run['cpu_s']:8.1f}{run['max_rss_bytes'] / 2**20:8.0f} MB"
                + (f"  (median of {run['samples_s']})" if run.get("samples_s") else ""))
    floors = r.get("floors", {})
    if floors:
        add("\n-- floors")
        if "dagster" in floors:
            f = floors["dagster"]
            add(f"{'trivial Dagster materialization':34}{f['wall_s']:9.1f} s  (samples {f['samples_s']})")
        if "dbt" in floors:
            f = floors["dbt"]
            add(f"{'bare dbt build, 1-report data':34}{f['wall_s']:9.1f} s  (samples {f.get('samples_s')})")
    for key, run in runs.items():
        b = run.get("breakdown") or {}
        if not b:
            continue
        steps = ", ".join(f"{k} {v:.1f}" for k, v in b["steps_s"].items())
        add(f"\n-- {run['label']}: steps (s): {steps}; outside the Dagster run {b['outside_run_s']:.1f}")
        d = b.get("dbt")
        if d:
            add(f"   dbt step: launch {d.get('launch_s', 0):.1f}, startup+parse {d.get('startup_parse_s', 0):.1f}"
                f"{' (full re-parse)' if d.get('full_parse_reason') else ''}, execute {d.get('execute_s', 0):.1f}"
                f" ({d.get('n_nodes', 0)} nodes: models {d.get('sum_model_s', 0):.1f}, tests "
                f"{d.get('sum_test_s', 0):.1f}), after dbt {d.get('after_dbt_s', 0):.1f}")
    queries = r.get("queries")
    if queries:
        add(f"\n-- example queries on the {r['config']['main_size']}-report warehouse (ms, median of "
            f"{r['config']['repeat']})")
        for name, q in queries.items():
            add(f"{name:40}{q['ms']:10.1f} ms{q['rows']:8d} rows")
    add("\n-- targets")
    for t in r.get("targets", []):
        verdict = "n/a" if t["passed"] is None else ("PASS" if t["passed"] else "FAIL")
        add(f"{t['name']:42}{t['measured']:>32}  limit {t['limit']:>8}  {verdict}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------


PHASES = ("parse", "runs", "floors", "queries", "big")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make bench: parse, run, floor, memory and query timings")
    parser.add_argument("--size", type=int, default=MAIN_SIZE,
                        help=f"reports for the memory run (>{MAIN_SIZE} adds a cold run at SIZE); "
                             f"below {MAIN_SIZE} also the size of T200/Tinc")
    parser.add_argument("--work", type=Path, default=REPO / "warehouse" / "bench",
                        help="folder for the synthetic workspaces (emptied first)")
    parser.add_argument("--out", type=Path, default=REPO / "warehouse" / "bench.json")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of the short measurements (median)")
    parser.add_argument("--parse-sample", type=int, default=PARSE_SAMPLE)
    parser.add_argument("--phases", default=",".join(PHASES), help=f"subset of {','.join(PHASES)}")
    args = parser.parse_args(argv)
    phases = set(args.phases.split(","))
    unknown = phases - set(PHASES)
    if unknown:
        parser.error(f"unknown phases {sorted(unknown)}")
    main_size = min(args.size, MAIN_SIZE)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)

    result: dict = {
        "config": {"size": args.size, "main_size": main_size, "repeat": args.repeat, "phases": sorted(phases),
                   "started": dt.datetime.now().isoformat(timespec="seconds"), "work": str(work)},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_before": [round(x, 2) for x in os.getloadavg()], "platform": platform.platform()},
        "runs": {}, "floors": {},
    }

    def save():
        result["targets"] = [asdict(t) for t in targets(result)]
        result["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str))

    def note(msg: str):
        print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    def record(key: str, label: str, ws: Workspace, child: ChildRun, n_reports: int, breakdown: dict | None = None):
        entry = {"label": label, "n_reports": n_reports, "wall_s": round(child.wall_s, 3),
                 "cpu_s": round(child.cpu_s, 3), "max_rss_bytes": child.max_rss_bytes, "log": child.log,
                 "n_activities": count_activities(ws.warehouse)}
        entry["breakdown"] = breakdown if breakdown is not None else run_breakdown_or_error(ws, child)
        result["runs"][key] = entry
        note(f"{label}: {child.wall_s:.1f} s wall, {child.cpu_s:.1f} s cpu, peak RSS {child.max_rss_bytes / 2**20:.0f} MB")
        save()

    if "parse" in phases:
        note(f"parse throughput over {args.parse_sample} reports")
        result["parse"] = parse_throughput(args.parse_sample, args.repeat)
        save()

    # T1 and T200 are cold runs in fresh workspaces, `repeat` of each, interleaved (T1, T200, T1, ...)
    # so that a slow spell of a shared machine weighs on both; each is the median of its samples.
    samples: dict[str, list] = {"T1": [], "Tn": []}
    t1_ws = main_ws = None
    if "runs" in phases or "floors" in phases:
        for i in range(args.repeat):
            t1_ws = fresh_workspace(work, "run_1", 1)
            note(f"T1: the real report alone ({i + 1}/{args.repeat})")
            child = t1_ws.run("T1")
            samples["T1"].append((t1_ws, child, run_breakdown_or_error(t1_ws, child)))
            if "runs" in phases:
                main_ws = fresh_workspace(work, f"run_{main_size}", main_size)
                note(f"T{main_size}: {main_size} reports, cold cache ({i + 1}/{args.repeat})")
                child = main_ws.run(f"T{main_size}")
                samples["Tn"].append((main_ws, child, run_breakdown_or_error(main_ws, child)))
        for key, label, n in (("T1", "T1   real report alone", 1),
                              ("Tn", f"T{main_size} {main_size} reports, cold", main_size)):
            if samples[key]:
                ordered = sorted(samples[key], key=lambda s: s[1].wall_s)
                ws, child, breakdown = ordered[len(ordered) // 2]
                record(key, label, ws, child, n, breakdown=breakdown)
                result["runs"][key]["samples_s"] = [round(c.wall_s, 3) for _, c, _ in samples[key]]
                save()

    if "runs" in phases:
        if "queries" in phases:
            note(f"example queries on the {main_size}-report warehouse")
            result["queries"] = query_latency(work, main_ws.warehouse, args.repeat)
            save()
        synthetic.write_report(main_size, main_ws.raw_dir)
        note(f"Tinc: report {main_size + 1} added")
        record("Tinc", f"Tinc +1 report to {main_size}", main_ws, main_ws.run("Tinc"), main_size + 1)

    if "floors" in phases:
        note("floor: trivial Dagster materialization")
        result["floors"]["dagster"] = trivial_dagster(work, args.repeat)
        save()
        note("floor: bare dbt build on the 1-report warehouse")
        result["floors"]["dbt"] = bare_dbt_build(work, t1_ws.warehouse, args.repeat)
        save()

    if "big" in phases and args.size > MAIN_SIZE:
        big_ws = fresh_workspace(work, f"run_{args.size}", args.size)
        note(f"T{args.size}: {args.size} reports, cold cache (peak memory)")
        record("Tbig", f"T{args.size} {args.size} reports, cold", big_ws, big_ws.run(f"T{args.size}"), args.size)

    save()
    print()
    print(render_table(result))
    print(f"\nwrote {args.out}")
    return 0


def count_activities(warehouse: Path) -> int | None:
    import duckdb

    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from marts.fct_events").fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
