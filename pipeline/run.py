"""`make run`: materialize every asset for the reports in `raw/`, through Dagster.

Discovers the report files, registers one dynamic partition per period in the
project's Dagster instance (DAGSTER_HOME=.dagster), runs the `build_warehouse`
job over the periods whose file (or the parser) changed since the published
warehouse was built, and prints a summary. The run is recorded in the instance,
so `make dev` shows it afterwards.

Exit status: 0 when everything was published; 1 when an input file was refused
(the good periods are still published); 2 when the run failed (nothing new was
published; the last good warehouse stays in place).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

from pipeline import settings
from pipeline.raw.discover import Discovery, discover_reports

# One "materialization planned" event per asset for the run's whole partition range, instead of
# one per partition and asset (400 SQLite writes at 200 reports, ~20 ms each). Dagster's
# documented trade-off: if the run fails, its partitions show as missing, not as failed.
# The Makefile exports it too, for runs launched from `dagster dev`.
PLANNED_EVENTS_AS_SUBSET = ("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")


def ensure_dagster_home() -> Path:
    from pipeline.defs.instance import ensure_dagster_yaml

    home = Path(os.environ.get("DAGSTER_HOME") or settings.PROJECT_ROOT / ".dagster").resolve()
    ensure_dagster_yaml(home)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault(*PLANNED_EVENTS_AS_SUBSET)
    return home


def published_fingerprints() -> dict[str, tuple[str, str]]:
    """period -> (sha256, parser fingerprint) of what the published warehouse holds."""
    from pipeline.load.staging import loaded_fingerprints

    path = settings.warehouse_path()
    if not path.exists():
        return {}
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return {d.isoformat(): fp for d, fp in loaded_fingerprints(con).items()}
    except duckdb.Error:
        return {}


def periods_to_load(found: Discovery, full: bool) -> list[str]:
    from pipeline.parse.fingerprint import parser_fingerprint

    if full:
        return sorted(found.reports)
    published = published_fingerprints()
    fingerprint = parser_fingerprint()
    return sorted(key for key, r in found.reports.items() if published.get(key) != (r.sha256, fingerprint))


def sync_partitions(instance, found: Discovery) -> list[str]:
    """Make the instance's periods exactly the readable files in raw/; returns them in instance order."""
    from pipeline.defs.partitions import reporting_periods

    name = reporting_periods.name
    for key in instance.get_dynamic_partitions(name):
        if key not in found.reports:
            instance.delete_dynamic_partition(name, key)
    known = set(instance.get_dynamic_partitions(name))
    new = sorted(set(found.reports) - known)
    if new:
        instance.add_dynamic_partitions(name, new)
    return list(instance.get_dynamic_partitions(name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="re-load every period, not only changed ones")
    args = parser.parse_args(argv)

    ensure_dagster_home()
    from dagster import DagsterInstance

    from pipeline.defs.assets.ingest import PARTITIONED_KEYS, refusals
    from pipeline.defs.automation import range_tags
    from pipeline.load import changes
    from pipeline.definitions import defs

    found = discover_reports(settings.raw_dir())
    instance = DagsterInstance.get()
    ordered = sync_partitions(instance, found)
    to_load = periods_to_load(found, args.full)
    job = defs.resolve_job_def("build_warehouse")

    print(f"raw/: {len(found.reports)} readable report(s), {len(found.refused)} refused; "
          f"{len(to_load)} period(s) to (re)load: {', '.join(to_load) or 'none'}")
    if to_load:
        positions = sorted(ordered.index(k) for k in to_load)
        tags = range_tags(ordered[positions[0]], ordered[positions[-1]])
        if args.full:
            tags = {**tags, changes.FULL_REBUILD_TAG: "true"}
        selection = None
    else:
        tags = {}
        # Nothing to parse: rebuild the marts from the staging rows already there.
        selection = [k for k in defs.resolve_all_asset_keys() if k not in PARTITIONED_KEYS]
    mark_stale_runs_failed(instance)
    ok, refused = True, dict(found.refused)
    if found.reports:
        result = job.execute_in_process(
            instance=instance,
            tags=tags,
            asset_selection=selection,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": os.environ.get("PLEDGE_LOG_LEVEL", "INFO")}}}},
        )
        ok = result.success
        if not ok:
            for event in result.all_events:
                if event.is_step_failure:
                    print(f"FAILED step {event.step_key}: {event.event_specific_data.error.message.strip()}",
                          file=sys.stderr)
        in_run = ordered[positions[0]: positions[-1] + 1] if to_load else []
        for key, reason in refusals(in_run).items():
            refused[f"period {key}"] = reason
    print_summary(refused)
    if not ok:
        print("run failed: nothing new was published; the last good warehouse is unchanged.", file=sys.stderr)
        return 2
    return 1 if refused else 0


def mark_stale_runs_failed(instance) -> None:
    """Runs left 'started' by a killed process are marked failed, so the UI tells the truth.

    Called while no other run can be building (this process is about to take the
    build lock), so any run still marked in progress is dead.
    """
    from dagster import DagsterRunStatus, RunsFilter

    from pipeline.load import warehouse

    try:
        warehouse.begin_lock_check()
    except warehouse.BuildLockedError:
        return
    stale = instance.get_runs(
        RunsFilter(job_name="build_warehouse", statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING])
    )
    for run in stale:
        instance.report_run_failed(run)  # appends a RUN_FAILURE event


def print_summary(refused: dict[str, str]) -> None:
    path = settings.warehouse_path()
    print(f"\n== summary: {path}")
    if path.exists():
        with duckdb.connect(str(path), read_only=True) as con:
            for row in con.execute(
                "select report_date, source_file, n_pledges, n_events, n_parse_issues from marts.dim_period order by 1"
            ).fetchall():
                print(f"published {row[0]}  {row[1]}: {row[2]} pledges, {row[3]} activities, {row[4]} parse issues")
    else:
        print("no warehouse published yet")
    for name, reason in sorted(refused.items()):
        print(f"REFUSED {reason}", file=sys.stderr)


def run_main(argv: list[str] | None = None) -> int:
    from pipeline.load import warehouse

    try:
        return main(argv)
    finally:
        warehouse.release_lock()


if __name__ == "__main__":
    sys.exit(run_main())
