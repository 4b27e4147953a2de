"""`make bench`: how the pipeline's cost grows with the data a city has, on this machine.

In one run, in fresh temporary workspaces under `--work` (default `warehouse/bench/`), with synthetic
reports derived from the real one (testkit/bench_reports.py; never written to raw/):

1. parse throughput: the whole parser (`parse_report_text`) and its HTML step (`segment.cell_items`)
   against the floor of lxml parsing the same HTML cells (`etree.HTML`), MB/s and ratios; beside them
   the cost of the parser's output contract alone (validating the pydantic records it returns, from
   plain data, with no parsing): a ceiling on what any parser returning those records can reach;
2. `make run`-equivalent wall time (`python -m pipeline.run` in a subprocess, env vars pointing at
   the workspace): the real report alone (T1), 21 yearly reports (T21: two decades of one city, cold
   parse cache), and the run after adding a 22nd report to the 21 just loaded (Tinc), `--repeat` of
   each, interleaved, each the median of its samples; then a run with nothing to do (Tnoop);
3. the floors: a trivial one-asset Dagster materialization run the same way, and a bare `dbt build`
   of dbt_project/ on a copy of the 1-report warehouse, each sampled right after a T1 run;
4. peak RSS of each run (the child and its children, e.g. the dbt subprocess: `os.wait4`), and with
   SIZE > 21 a cold run at SIZE reports;
5. latency of each example query of dbt_project/analyses/ on the 21-report warehouse;
6. the workbook export alone, of the real report and of the 21 reports;
7. many cities (`--cities`, `--city-reports`; 250 x 4 by default): the real report and CITIES x
   CITY_REPORTS synthetic ones, each the real report under a benchmark city's name, date and term
   (testkit/cities.py), cold (T1000 at the default size), then the run after a new city's first report
   is added (Tcity), each against T1; the peak RSS of the cold run;
8. search: the Korean analysis of the real report's texts in a fresh process (Kiwi's start included),
   against T1; the latency of the judged queries (tests/search_judgements.jsonl) on the real report's
   warehouse and on the many cities' one.

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
import sys
import time
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.measure import ChildRun, Workspace, fresh_workspace, run_breakdown_or_error, synthetic  # noqa: E402
from bench.phases import (  # noqa: E402
    bare_dbt_build,
    korean_analysis,
    parse_throughput,
    query_latency,
    search_latency,
    trivial_dagster,
)
from bench.table import render_table, targets  # noqa: E402
from testkit import cities  # noqa: E402

MAIN_SIZE = 21  # T21 and Tinc are measured at this size (or at SIZE when smaller)
CITIES, CITY_REPORTS = 250, 4  # the multi-city run: the real report and 250 cities x 4 yearly reports
PARSE_SAMPLE = 10  # reports timed for parse throughput

# --------------------------------------------------------------------------------------------------


PHASES = ("parse", "runs", "floors", "queries", "workbook", "search", "cities", "big")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make bench: parse, run, floor, memory and query timings")
    parser.add_argument(
        "--size",
        type=int,
        default=MAIN_SIZE,
        help=f"reports for the memory run (>{MAIN_SIZE} adds a cold run at SIZE); "
        f"below {MAIN_SIZE} also the size of T21/Tinc",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=REPO / "warehouse" / "bench",
        help="folder for the synthetic workspaces (emptied first)",
    )
    parser.add_argument("--cities", type=int, default=CITIES, help="cities of the multi-city run (0: none)")
    parser.add_argument("--city-reports", type=int, default=CITY_REPORTS, help="yearly reports of each city")
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
        "config": {
            "size": args.size,
            "main_size": main_size,
            "cities": args.cities,
            "city_reports": args.city_reports,
            "repeat": args.repeat,
            "phases": sorted(phases),
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "work": str(work),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": [round(x, 2) for x in os.getloadavg()],
            "platform": platform.platform(),
        },
        "runs": {},
        "floors": {},
    }

    def save():
        result["targets"] = [asdict(t) for t in targets(result)]
        result["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, default=str))

    def note(msg: str):
        print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    def record(
        key: str,
        label: str,
        ws: Workspace,
        child: ChildRun,
        n_reports: int,
        breakdown: dict | None = None,
        n_activities: int | None = None,
    ):
        entry = {
            "label": label,
            "n_reports": n_reports,
            "wall_s": round(child.wall_s, 3),
            "cpu_s": round(child.cpu_s, 3),
            "max_rss_bytes": child.max_rss_bytes,
            "log": child.log,
            "n_activities": n_activities if n_activities is not None else count_activities(ws.warehouse),
        }
        entry["breakdown"] = breakdown if breakdown is not None else run_breakdown_or_error(ws, child)
        result["runs"][key] = entry
        note(
            f"{label}: {child.wall_s:.1f} s wall, {child.cpu_s:.1f} s cpu, "
            f"peak RSS {child.max_rss_bytes / 2**20:.0f} MB"
        )
        save()

    if "parse" in phases:
        note(f"parse throughput over {args.parse_sample} reports")
        result["parse"] = parse_throughput(args.parse_sample, args.repeat)
        save()

    # T1 and T21 are cold runs in fresh workspaces, `repeat` of each, interleaved with the floors and
    # Tinc (T1, floors, T21, Tinc on that T21's workspace, T1, ...) so that a slow spell of a shared
    # machine weighs on every side of a ratio; each is the median of its samples.
    samples: dict[str, list] = {"T1": [], "Tn": [], "Tinc": []}
    floor_samples: dict[str, list[dict]] = {"dagster": [], "dbt": []}
    t1_ws = main_ws = None
    if "runs" in phases or "floors" in phases:
        for i in range(args.repeat):
            t1_ws = fresh_workspace(work, "run_1", 1)
            note(f"T1: the real report alone ({i + 1}/{args.repeat})")
            child = t1_ws.run("T1")
            samples["T1"].append(
                (t1_ws, child, run_breakdown_or_error(t1_ws, child), count_activities(t1_ws.warehouse))
            )
            if "floors" in phases:
                note(f"floors: trivial Dagster materialization, bare dbt build ({i + 1}/{args.repeat})")
                floor_samples["dagster"].append(trivial_dagster(work, 1, index=i))
                floor_samples["dbt"].append(bare_dbt_build(work, t1_ws.warehouse, 1))
            if "runs" in phases:
                main_ws = fresh_workspace(work, f"run_{main_size}", main_size)
                note(f"T{main_size}: {main_size} reports, cold cache ({i + 1}/{args.repeat})")
                child = main_ws.run(f"T{main_size}")
                samples["Tn"].append(
                    (main_ws, child, run_breakdown_or_error(main_ws, child), count_activities(main_ws.warehouse))
                )
                if "queries" in phases and i == args.repeat - 1:
                    note(f"example queries on the {main_size}-report warehouse")
                    result["queries"] = query_latency(work, main_ws.warehouse, args.repeat)
                    save()
                synthetic.write_report(main_size, main_ws.raw_dir)
                note(f"Tinc: report {main_size + 1} added ({i + 1}/{args.repeat})")
                child = main_ws.run("Tinc")
                samples["Tinc"].append(
                    (main_ws, child, run_breakdown_or_error(main_ws, child), count_activities(main_ws.warehouse))
                )
        for key, label, n in (
            ("T1", "T1   real report alone", 1),
            ("Tn", f"T{main_size} {main_size} reports, cold", main_size),
            ("Tinc", f"Tinc +1 report to {main_size}", main_size + 1),
        ):
            if samples[key]:
                # each sample's breakdown and activity count were read right after it: the next sample
                # reuses the workspace's folder
                ordered = sorted(samples[key], key=lambda s: s[1].wall_s)
                ws, child, breakdown, n_activities = ordered[len(ordered) // 2]
                record(key, label, ws, child, n, breakdown=breakdown, n_activities=n_activities)
                result["runs"][key]["samples_s"] = [round(sample[1].wall_s, 3) for sample in samples[key]]
                save()

    if "runs" in phases:
        note("Tnoop: the same raw/ again (nothing to do)")
        record(
            "Tnoop",
            f"Tnoop nothing changed, {main_size + 1}",
            main_ws,
            main_ws.run("Tnoop"),
            main_size + 1,
            breakdown={},
        )

    if "floors" in phases:
        result["floors"] = {name: median_sample(found) for name, found in floor_samples.items()}
        save()

    if "workbook" in phases:
        result["workbook"] = {}
        for key, ws in (("real report", t1_ws), (f"{main_size} reports", main_ws)):
            if ws is not None and ws.warehouse.exists():
                note(f"workbook export, {key}")
                result["workbook"][key] = workbook_export(work, ws.warehouse, args.repeat)
        save()

    if "search" in phases and t1_ws is not None and t1_ws.warehouse.exists():
        note("search: the Korean analysis of the real report, and searches on its warehouse")
        result["search"] = {
            "analysis": korean_analysis(work, args.repeat),
            "latency": {"real report": search_latency(t1_ws.warehouse)},
        }
        save()

    if "cities" in phases and args.cities > 0:
        if "T1" not in result["runs"]:  # the runs phase left out: one T1 to compare with
            t1_ws = fresh_workspace(work, "run_1", 1)
            note("T1: the real report alone")
            record("T1", "T1   real report alone", t1_ws, t1_ws.run("T1"), 1)
        n_synthetic = args.cities * args.city_reports
        cities_ws = Workspace(work / "run_cities")
        shutil.rmtree(cities_ws.root, ignore_errors=True)
        cities.write_bench_cities(cities_ws.raw_dir, args.cities, args.city_reports)
        note(f"T{n_synthetic}: the real report and {args.cities} cities x {args.city_reports} reports, cold cache")
        label = f"T{n_synthetic} {args.cities} cities x {args.city_reports}, cold"
        record("Tcities", label, cities_ws, cities_ws.run("Tcities"), n_synthetic + 1)
        cities.write_new_bench_city(cities_ws.raw_dir, args.cities)
        note("Tcity: a new city's first report added")
        label = f"Tcity a new city, +1 to {n_synthetic + 1}"
        record("Tcity", label, cities_ws, cities_ws.run("Tcity"), n_synthetic + 2)
        if "search" in phases:
            note(f"search on the {n_synthetic + 2} reports' warehouse")
            result.setdefault("search", {}).setdefault("latency", {})[f"{n_synthetic + 2} reports"] = search_latency(
                cities_ws.warehouse
            )
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


def median_sample(found: list[dict]) -> dict:
    """One floor from its samples (each a floor measured once): median times, samples listed, peak RSS."""
    return {
        "wall_s": statistics.median(f["wall_s"] for f in found),
        "cpu_s": statistics.median(f["cpu_s"] for f in found),
        "samples_s": [s for f in found for s in f["samples_s"]],
        "max_rss_bytes": max(f["max_rss_bytes"] for f in found),
    }


def workbook_export(work: Path, warehouse: Path, repeat: int) -> dict:
    """The workbook export alone (pipeline/export/workbook.py), in this process, `repeat` times."""
    from pipeline.export.workbook import export_workbook

    samples, rows = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        rows = export_workbook(warehouse, work / "workbook")["rows"]
        samples.append(round(time.perf_counter() - started, 3))
    return {"s": statistics.median(samples), "samples_s": samples, "rows": sum(rows.values())}


def count_activities(warehouse: Path) -> int | None:
    import duckdb

    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from marts.fct_events").fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
