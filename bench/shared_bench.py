"""The shared deployment beside the embedded one: `python -m bench.shared_bench`.

Starts its own Postgres cluster (pipeline/shared/cluster.py, a temporary folder, a free port) and measures,
in fresh workspaces, `python -m pipeline.run` (the `make run` of both deployments):

- T1: the real report alone, embedded and shared interleaved, `--repeat` times each (medians), every shared
  run on a fresh database and lake (its first publish);
- with `--size N`: a cold run of N reports (the real one and N-1 synthetic, testkit/bench_reports.py) and the run
  after adding one more report (Tinc), in each deployment;
- with `--cities N`: the multi-city run of bench/run_bench.py (the real report and N cities x `--city-reports`
  synthetic ones, testkit/cities.py) cold, and the run after a new city's first report is added, in each
  deployment;
- per run: wall time, peak RSS (dbt included), Dagster's per-step durations (the publish step holds the lake
  transaction and the exports), the time outside the Dagster run (imports, instance, plan, summary);
- the lake's own operations on the largest embedded build: its first publish into a new lake, a second
  publish (every table rewritten), restoring a working copy from the lake, a rollback;
- reads: opening the warehouse read-only (a DuckDB file; the lake: attach through Postgres) and each example
  query of queries/, on the largest warehouse built.

Prints a table and writes warehouse/bench_shared.json. Timings are wall-clock on this machine: compare the
two deployments within one run of the script, not across days.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.measure import Workspace, run_breakdown_or_error  # noqa: E402
from pipeline.shared.cluster import Cluster, free_port  # noqa: E402
from pipeline.shared.config import LAKE_DATA_PATH_ENV, POSTGRES_DSN_ENV, SharedConfig  # noqa: E402
from testkit import bench_reports as synthetic  # noqa: E402
from testkit import cities  # noqa: E402


class SharedWorkspace(Workspace):
    def __init__(self, root: Path, cfg: SharedConfig):
        super().__init__(root)
        self.cfg = cfg

    def env(self) -> dict[str, str]:
        from pipeline.defs.instance import dagster_postgres_url

        return {
            **super().env(),
            POSTGRES_DSN_ENV: self.cfg.postgres_dsn,
            LAKE_DATA_PATH_ENV: self.cfg.lake_data_path,
            "PLEDGE_DAGSTER_POSTGRES_URL": dagster_postgres_url(self.cfg.postgres_dsn),
        }


def measured(ws: Workspace, label: str) -> dict:
    child = ws.run(label)
    if isinstance(ws, SharedWorkspace):  # the breakdown reads Dagster's storage: this workspace's Postgres
        os.environ["PLEDGE_DAGSTER_POSTGRES_URL"] = ws.env()["PLEDGE_DAGSTER_POSTGRES_URL"]
    breakdown = run_breakdown_or_error(ws, child)
    return {
        "label": label,
        "wall_s": round(child.wall_s, 2),
        "max_rss_mb": round(child.max_rss_bytes / 2**20),
        "steps_s": breakdown.get("steps_s", {}),
        "outside_run_s": breakdown.get("outside_run_s"),
        "run_span_s": breakdown.get("run_span_s"),
        "n_events": breakdown.get("n_events"),
        "dbt": breakdown.get("dbt"),
        "log": child.log,
    }


def new_embedded(work: Path, name: str, n: int, write=None) -> Workspace:
    """A fresh workspace with reports 0..n-1 of testkit/bench_reports.py, or what `write(raw_dir)` writes."""
    ws = Workspace(work / name)
    shutil.rmtree(ws.root, ignore_errors=True)
    if write:
        write(ws.raw_dir)
    else:
        synthetic.write_reports(ws.raw_dir, 0, n - 1)
    return ws


def new_shared(work: Path, name: str, n: int, cluster: Cluster, write=None) -> SharedWorkspace:
    cluster.create_database(name)
    lake_dir = work / f"{name}-lake"
    shutil.rmtree(lake_dir, ignore_errors=True)
    ws = SharedWorkspace(work / name, SharedConfig(cluster.dsn(name), str(lake_dir) + "/"))
    shutil.rmtree(ws.root, ignore_errors=True)
    if write:
        write(ws.raw_dir)
    else:
        synthetic.write_reports(ws.raw_dir, 0, n - 1)
    return ws


def read_latency(ws: Workspace, repeat: int = 5) -> dict:
    """Opening the published warehouse read-only, and each example query, median of `repeat` (ms)."""
    import duckdb

    from pipeline.shared import lake

    def connect():
        if isinstance(ws, SharedWorkspace):
            return lake.connect_reader(ws.cfg)
        return duckdb.connect(str(ws.warehouse), read_only=True)

    opens = []
    for _ in range(repeat):
        t = time.perf_counter()
        connect().close()
        opens.append((time.perf_counter() - t) * 1000)
    # the first open in a process loads the extensions and attaches; later ones reuse that (lake.connect_reader)
    out = {"first_open_ms": round(opens[0], 1), "open_ms": round(statistics.median(opens[1:]), 1), "queries_ms": {}}
    with connect() as con:
        for path in sorted((REPO / "queries").glob("*.sql")):
            sql = path.read_text()
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                con.execute(sql).fetchall()
                times.append((time.perf_counter() - t) * 1000)
            out["queries_ms"][path.stem] = round(statistics.median(times), 1)
    return out


def lake_ops(cluster: Cluster, build: Path, work: Path) -> dict:
    """Seconds of publish_build (new lake, then again), restore_into and restore_snapshot on `build`."""
    from pipeline.shared import lake

    cluster.create_database("bench_lake_ops")
    cfg = SharedConfig(cluster.dsn("bench_lake_ops"), str(work / "lake-ops") + "/")
    copy = work / "lake-ops-build" / build.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(build, copy)
    out = {}
    t = time.perf_counter()
    first = lake.publish_build(cfg, copy, base_token=None, info={"kind": "publish"}, message="bench 1")
    out["publish_new_lake_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    second = lake.publish_build(cfg, copy, base_token=first.token, info={"kind": "publish"}, message="bench 2")
    out["publish_again_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    lake.restore_into(cfg, copy, second.snapshot_id)
    out["restore_working_copy_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    lake.restore_snapshot(cfg, first.snapshot_id, by="bench")
    out["rollback_s"] = round(time.perf_counter() - t, 2)
    out["data_mb_after_3_versions"] = round(
        sum(p.stat().st_size for p in (work / "lake-ops").rglob("*") if p.is_file()) / 2**20, 1
    )
    out["build_file_mb"] = round(build.stat().st_size / 2**20, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="T1 runs per deployment (medians)")
    parser.add_argument("--size", type=int, default=0, help="also a cold run of SIZE reports and Tinc (+1)")
    parser.add_argument(
        "--cities", type=int, default=0, help="also the multi-city run of CITIES cities, cold, and +1 city"
    )
    parser.add_argument("--city-reports", type=int, default=4, help="yearly reports of each city")
    parser.add_argument("--out", default=str(REPO / "warehouse" / "bench_shared.json"))
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="pledge-shared-bench-"))
    pg_root = Path(tempfile.mkdtemp(prefix="pledge-shared-bench-pg-"))  # its own: the server runs as postgres
    cluster = Cluster(pg_root, free_port())
    cluster.start()
    result: dict = {"t1": {"embedded": [], "shared": []}}
    try:
        for i in range(args.repeat):
            result["t1"]["embedded"].append(measured(new_embedded(work, f"emb_t1_{i}", 1), f"embedded T1 #{i + 1}"))
            result["t1"]["shared"].append(
                measured(new_shared(work, f"shared_t1_{i}", 1, cluster), f"shared T1 #{i + 1}")
            )
            print(
                f"T1 #{i + 1}: embedded {result['t1']['embedded'][-1]['wall_s']} s, "
                f"shared {result['t1']['shared'][-1]['wall_s']} s",
                file=sys.stderr,
                flush=True,
            )
        largest = {"embedded": Workspace(work / "emb_t1_0"), "shared": None}
        if args.size > 1:
            result["size"] = args.size
            emb = new_embedded(work, "emb_big", args.size)
            shr = new_shared(work, "shared_big", args.size, cluster)
            for name, ws in (("embedded", emb), ("shared", shr)):
                result[f"cold_{name}"] = measured(ws, f"{name} T{args.size}")
                synthetic.write_report(args.size, ws.raw_dir)  # one more period
                result[f"inc_{name}"] = measured(ws, f"{name} Tinc")
                print(
                    f"T{args.size} {name}: {result[f'cold_{name}']['wall_s']} s; "
                    f"Tinc {result[f'inc_{name}']['wall_s']} s",
                    file=sys.stderr,
                    flush=True,
                )
            largest = {"embedded": emb, "shared": shr}
        if args.cities > 0:
            result["cities"] = {"cities": args.cities, "city_reports": args.city_reports}

            def write(raw_dir: Path):
                cities.write_bench_cities(raw_dir, args.cities, args.city_reports)

            emb = new_embedded(work, "emb_cities", 0, write)
            shr = new_shared(work, "shared_cities", 0, cluster, write)
            n = args.cities * args.city_reports
            for name, ws in (("embedded", emb), ("shared", shr)):
                result[f"cities_cold_{name}"] = measured(ws, f"{name} T{n} cities")
                cities.write_new_bench_city(ws.raw_dir, args.cities)
                result[f"cities_new_{name}"] = measured(ws, f"{name} Tcity")
                print(
                    f"T{n} {name}: {result[f'cities_cold_{name}']['wall_s']} s; "
                    f"Tcity {result[f'cities_new_{name}']['wall_s']} s",
                    file=sys.stderr,
                    flush=True,
                )
        if largest["shared"] is None:
            largest["shared"] = SharedWorkspace(
                work / "shared_t1_0", SharedConfig(cluster.dsn("shared_t1_0"), str(work / "shared_t1_0-lake") + "/")
            )
        result["reads"] = {name: read_latency(ws) for name, ws in largest.items()}
        result["lake_ops"] = lake_ops(cluster, largest["embedded"].warehouse, work)
    finally:
        cluster.stop()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2, default=str))
    print(render(result))
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(pg_root, ignore_errors=True)
    return 0


def _median(runs: list[dict], key) -> float:
    return round(statistics.median(key(r) for r in runs), 2)


def render(r: dict) -> str:
    lines = ["| run | embedded | shared | shared / embedded |", "|---|---|---|---|"]
    emb, shr = r["t1"]["embedded"], r["t1"]["shared"]

    def row(label, e, s):
        lines.append(f"| {label} | {e} | {s} | {s / e:.2f} × |" if e else f"| {label} | {e} | {s} | |")

    row(f"T1 wall, median of {len(emb)} (s)", _median(emb, lambda x: x["wall_s"]), _median(shr, lambda x: x["wall_s"]))
    for step in ("staging_tables", "pledge_dbt_models", "published_warehouse", "analyst_report"):
        row(
            f"T1 step {step} (s)",
            _median(emb, lambda x: x["steps_s"].get(step, 0)),
            _median(shr, lambda x: x["steps_s"].get(step, 0)),
        )
    row(
        "T1 outside the Dagster run (s)",
        _median(emb, lambda x: x["outside_run_s"] or 0),
        _median(shr, lambda x: x["outside_run_s"] or 0),
    )
    row(
        "T1 Dagster events written",
        _median(emb, lambda x: x["n_events"] or 0),
        _median(shr, lambda x: x["n_events"] or 0),
    )
    row("T1 peak RSS (MB)", _median(emb, lambda x: x["max_rss_mb"]), _median(shr, lambda x: x["max_rss_mb"]))
    if "size" in r:
        for kind, label in (("cold", f"T{r['size']} cold"), ("inc", "Tinc (+1)")):
            e, s = r[f"{kind}_embedded"], r[f"{kind}_shared"]
            row(f"{label} wall (s)", e["wall_s"], s["wall_s"])
            row(
                f"{label} publish step (s)",
                e["steps_s"].get("published_warehouse", 0),
                s["steps_s"].get("published_warehouse", 0),
            )
            row(f"{label} peak RSS (MB)", e["max_rss_mb"], s["max_rss_mb"])
    if "cities" in r:
        c = r["cities"]
        t1_emb, t1_shr = _median(emb, lambda x: x["wall_s"]), _median(shr, lambda x: x["wall_s"])
        n = c["cities"] * c["city_reports"]
        for kind, label in (("cold", f"T{n} ({c['cities']} cities x {c['city_reports']}) cold"), ("new", "Tcity (+1)")):
            e, s = r[f"cities_{kind}_embedded"], r[f"cities_{kind}_shared"]
            row(f"{label} wall (s)", e["wall_s"], s["wall_s"])
            row(f"{label} wall / T1 of its deployment", round(e["wall_s"] / t1_emb, 2), round(s["wall_s"] / t1_shr, 2))
            row(
                f"{label} publish step (s)",
                e["steps_s"].get("published_warehouse", 0),
                s["steps_s"].get("published_warehouse", 0),
            )
            row(f"{label} peak RSS (MB)", e["max_rss_mb"], s["max_rss_mb"])
    reads = r["reads"]
    row("first open read-only in a process (ms)", reads["embedded"]["first_open_ms"], reads["shared"]["first_open_ms"])
    row("later opens (ms)", reads["embedded"]["open_ms"], reads["shared"]["open_ms"])
    for q, ms in reads["embedded"]["queries_ms"].items():
        row(f"query {q} (ms)", ms, reads["shared"]["queries_ms"][q])
    ops = r.get("lake_ops", {})
    if ops:
        lines.append("")
        lines.append(
            f"lake operations on the largest build ({ops['build_file_mb']} MB DuckDB file): "
            + ", ".join(f"{k} {v}" for k, v in ops.items() if k != "build_file_mb")
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
