"""`make run`: materialize every asset for the reports in `raw/`, through Dagster.

Discovers the report files, registers one dynamic partition per period in the
project's Dagster instance (DAGSTER_HOME=.dagster), runs the `build_warehouse`
job over the periods whose file (or the parser) changed since the published
warehouse was built, and prints a summary. The run is recorded in the instance,
so `make dev` shows it afterwards.

Exit status (the same through `bin/pledge-run`, which is not behind make, so a scheduler sees it):
0 when everything was published; 1 when an input file was refused (the good periods are still
published); 2 when the run failed or was refused as a whole (nothing new was published; the last
good warehouse stays in place); 3 when everything was published but the parser reported
error-level issues (listed in the summary); 4 when the warehouse was published but something after the
publish failed (an export, the previous copy not kept, a signal): named in the output; the next run
makes again what is behind.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

import duckdb

from pipeline import settings
from pipeline.plan import PlanError, make_plan
from pipeline.publish.warehouse import BuildLockedError, holding_lock, lock_wait
from pipeline.raw.discover import Discovery, discover_reports

# One "materialization planned" event per asset for the run's whole partition range, instead of
# one per partition and asset (400 SQLite writes at 200 reports, ~20 ms each). Dagster's
# documented trade-off: if the run fails, its partitions show as missing, not as failed.
# The Makefile exports it too, for runs launched from `dagster dev`.
PLANNED_EVENTS_AS_SUBSET = ("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")


EXIT_OK, EXIT_REFUSED_INPUT, EXIT_FAILED, EXIT_PARSE_ERRORS, EXIT_EXPORT_FAILED = 0, 1, 2, 3, 4


def ensure_dagster_home() -> Path:
    from pipeline.defs.instance import ensure_dagster_yaml

    home = Path(os.environ.get("DAGSTER_HOME") or settings.PROJECT_ROOT / ".dagster").resolve()
    ensure_dagster_yaml(home)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault(*PLANNED_EVENTS_AS_SUBSET)
    # The warehouse resource reads its path from this one setting, always absolute.
    os.environ[settings.WAREHOUSE_ENV] = str(settings.warehouse_path())
    return home


def published_fingerprints() -> dict[str, tuple[str, str]]:
    """period -> (sha256, parser fingerprint) of what the published warehouse holds."""
    from pipeline.load.staging import loaded_fingerprints
    from pipeline.shared import open_published  # the file, or the DuckLake

    try:
        con = open_published(settings.warehouse_path())
        if con is None:
            return {}
        with con:
            return loaded_fingerprints(con)
    except duckdb.Error:
        return {}


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
    parser.add_argument(
        "--retract",
        action="append",
        default=[],
        metavar="MUNICIPALITY/YYYY-MM-DD",
        help="take a period whose file was removed from raw/ out of the warehouse (recorded "
        "in staging.retracted_periods); the date alone when one municipality holds it",
    )
    parser.add_argument(
        "--accept-truncated",
        action="append",
        default=[],
        metavar="FILE",
        help="load this report file of raw/ although it ends inside a row or list (its period is marked "
        "truncated in marts.dim_period)",
    )
    args = parser.parse_args(argv)

    ensure_dagster_home()
    from pipeline.shared import open_warehouse  # the embedded file, or the DuckLake when shared

    raw_dir = settings.raw_dir()
    if not raw_dir.is_dir():
        print(
            f"REFUSED {raw_dir}: the folder of input reports is missing (or a dangling link); nothing was changed",
            file=sys.stderr,
        )
        return EXIT_FAILED
    warehouse = open_warehouse(settings.warehouse_path())
    try:
        wait = lock_wait(warehouse)
    except ValueError as exc:
        print(f"REFUSED: {exc}; nothing was started.", file=sys.stderr)
        return EXIT_FAILED
    try:
        # The lock is taken (after waiting for it, if PLEDGE_LOCK_WAIT allows) before anything is read for the
        # plan: a run that waited plans from what the run before it published.
        with holding_lock(warehouse, wait, say=lambda line: print(line, file=sys.stderr, flush=True)):
            return _run(args, warehouse)
    except BuildLockedError as exc:  # one line, and no Dagster run for a run that never started
        print(f"REFUSED: {exc}; nothing was started.", file=sys.stderr)
        return EXIT_FAILED


def _run(args: argparse.Namespace, warehouse) -> int:
    """`make run` under the build lock: plan, run the job, report."""
    from dagster import DagsterInstance

    from pipeline.definitions import defs
    from pipeline.defs.assets.exports import EXPORT_KEYS
    from pipeline.defs.automation import run_request_for
    from pipeline.defs.warehouse_resource import process_tags
    from pipeline.publish.repair import repair_instance, repair_published
    from pipeline.raw.store import refusals
    from pipeline.shared import shared_config

    repairs = [repair_instance(Path(os.environ["DAGSTER_HOME"]))]
    if shared_config() is None:  # the lake's snapshots are Postgres's and DuckLake's to keep whole
        repairs.append(repair_published(warehouse.path))
    for line in filter(None, repairs):
        print(line, file=sys.stderr)
    found = discover_reports(settings.raw_dir())
    instance = DagsterInstance.get()
    mark_stale_runs_failed(instance)
    ordered = sync_partitions(instance, found)
    try:
        plan = make_plan(
            found,
            warehouse.path,
            full=args.full,
            retract=args.retract,
            accept_truncated=[Path(f).name for f in args.accept_truncated],
        )
    except PlanError as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if plan.nothing_to_do:
        print(f"{plan.describe()}; the published warehouse was left as it is")
        for reason in sorted(found.refused.values()):
            print(f"REFUSED {reason}", file=sys.stderr)
        return EXIT_REFUSED_INPUT if found.refused else EXIT_OK
    to_load = plan.to_load
    job = defs.resolve_job_def("build_warehouse")

    print(
        f"raw/: {len(found.reports)} readable report(s), {len(found.refused)} refused; {plan.describe()}; "
        f"{len(to_load)} period(s) to (re)load: {', '.join(to_load[:8]) or 'none'}"
        + (f" and {len(to_load) - 8} more" if len(to_load) > 8 else "")
    )
    log_file = new_log_file()
    print(f"log: {log_file} (every Dagster event and dbt line of this run)")
    fan_out_parse(instance, to_load, log_file)
    request = run_request_for(plan, found, ordered)
    refused, failed, published = dict(found.refused), {}, not plan.builds
    if found.reports or plan.retract:
        # dagster-dbt echoes every dbt line to stdout: into the run's log file, with the rest (printed as
        # they come with PLEDGE_LOG_LEVEL, which asks for the full log on the console)
        with (
            open(log_file, "a", encoding="utf-8", buffering=1) as raw_lines,
            contextlib.redirect_stdout(sys.stdout if os.environ.get("PLEDGE_LOG_LEVEL") else raw_lines),
        ):
            result = job.execute_in_process(
                instance=instance,
                tags={**request.tags, **process_tags()},
                asset_selection=request.asset_selection,
                raise_on_error=False,
                run_config={"loggers": loggers_config(log_file), **request.run_config},
            )
        failed = {e.step_key: root_cause(e.step_failure_data.error) for e in result.all_events if e.is_step_failure}
        if not result.success and not failed:
            failed = {"run": next((e.message.strip() for e in result.all_events if e.is_failure and e.message), "")}
        # Published is what the published warehouse says, not how the run ended: a fault after the replace
        # (a signal, an export, the previous copy not kept) leaves this run's build published.
        published = published or published_build() == result.run_id
        if result.success and not published:
            print(
                f"FAILED check: the published warehouse is not this run's build ({published_build()}): the "
                "publish did not replace it",
                file=sys.stderr,
            )
        positions = [ordered.index(k) for k in to_load]
        in_run = ordered[min(positions) : max(positions) + 1] if to_load else []
        for key, reason in refusals(in_run).items():
            refused[f"period {key}"] = reason
        if published and plan.builds:
            missing = unpublished(found, [k for k in to_load if f"period {k}" not in refused])
            if missing:
                published = False
                print(
                    f"FAILED check: the published warehouse lacks period(s) this run planned: {', '.join(missing)}",
                    file=sys.stderr,
                )
    n_parse_errors = print_summary(refused, found.warnings, log_file)
    export_steps = {key.to_python_identifier(): name for name, key in EXPORT_KEYS.items()}
    for step, why in failed.items():
        print(
            f"FAILED {'export ' + export_steps[step] if step in export_steps else 'step ' + step}: {why}",
            file=sys.stderr,
        )
    if not published:
        print("run failed: nothing new was published; the last good warehouse is unchanged.", file=sys.stderr)
        return EXIT_FAILED
    if failed:
        print(
            f"the warehouse is published{' with this run' if plan.builds else ''}, with the problem above; "
            "the next run makes again what is behind it.",
            file=sys.stderr,
        )
        return EXIT_EXPORT_FAILED
    if refused:
        return EXIT_REFUSED_INPUT
    return EXIT_PARSE_ERRORS if n_parse_errors else EXIT_OK


def published_build() -> str | None:
    """The run that built the published warehouse (None: none published, or it does not open)."""
    from pipeline.export import freshness
    from pipeline.shared import open_published

    try:
        con = open_published(settings.warehouse_path())
        if con is None:
            return None
        with con:
            return freshness.published_build(con)
    except duckdb.Error:
        return None


def root_cause(error) -> str:
    """What the step raised, under Dagster's wrappers: `Type: message`."""
    while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    return error.message.strip()


def fan_out_parse(instance, periods: list[str], log_file: Path) -> None:
    """With PLEDGE_PARSE_WORKERS >= 2 and uncached periods, parse them first through the `parse_reports`
    job on Dagster's multiprocess executor (into the parse cache only); else the build parses them."""
    from dagster import execute_job, reconstructable

    from pipeline.defs import parse_fanout
    from pipeline.load import parse_cache

    workers = settings.parse_workers()
    uncached = [k for k in periods if not parse_cache.is_cached(k)]
    if workers < 2 or len(uncached) < 2:
        return
    run_config = {
        "ops": {"period_chunks": {"config": {"periods": uncached, "chunks": 2 * workers}}},
        "execution": {"config": {"max_concurrent": workers}},
        "loggers": loggers_config(log_file),
    }
    with execute_job(
        reconstructable(parse_fanout.parse_reports), instance=instance, run_config=run_config, raise_on_error=False
    ) as result:
        print(
            f"parse: {len(uncached)} period(s) in {workers} worker processes: "
            f"{'done' if result.success else 'FAILED (the build parses what is missing)'}"
        )


def unpublished(found: Discovery, planned: list[str]) -> list[str]:
    """The planned periods that the published warehouse does not hold as this run read them (its
    snapshot of the file: a file saved again after the plan was read as it was then)."""
    from pipeline.raw.report_file import ReportFileError
    from pipeline.raw.store import load_snapshot

    held, missing = published_fingerprints(), []
    for key in planned:
        try:
            read = load_snapshot(key)[0].sha256
        except ReportFileError:
            read = found.reports[key].sha256
        if read != found.reports[key].sha256:
            print(
                f"WARNING {found.reports[key].file_name}: changed after this run's plan; the run published the "
                "content it read",
                file=sys.stderr,
            )
        if held.get(key, ("",))[0] != read:
            missing.append(key)
    return missing


def mark_stale_runs_failed(instance) -> None:
    """Runs left 'started' by a killed process are marked failed, so the UI tells the truth.

    Only a run whose process is known (its `pledge/pid` tag, set when it starts executing) and gone
    from this host is touched: a queued run, or a live one, is left alone.
    """
    import socket

    from dagster import DagsterRunStatus, RunsFilter

    from pipeline.defs.warehouse_resource import HOST_TAG, PID_TAG

    in_progress = instance.get_runs(
        RunsFilter(job_name="build_warehouse", statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING])
    )
    for run in in_progress:
        pid, host = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if pid and host == socket.gethostname() and not process_alive(int(pid)):
            instance.report_run_failed(run)  # appends a RUN_FAILURE event


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


LOGS_KEPT = 20  # run logs kept beside the warehouse (warehouse/logs/)
PERIODS_LISTED = 10  # the summary lists the latest periods; the rest are in marts.dim_period


def new_log_file() -> Path:
    """A fresh log file for this run in warehouse/logs/, the oldest beyond LOGS_KEPT removed."""
    import datetime as dt

    folder = settings.warehouse_path().parent / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("run-*.log"))[: -LOGS_KEPT + 1]:
        old.unlink(missing_ok=True)
    return folder / f"run-{dt.datetime.now():%Y%m%d-%H%M%S-%f}.log"


def loggers_config(log_file: Path) -> dict:
    """`run_log` (pipeline/defs/loggers.py): the whole log in `log_file`, one line per step on the
    console. PLEDGE_LOG_LEVEL (DEBUG, INFO, ...) prints Dagster's own full console log instead."""
    level = os.environ.get("PLEDGE_LOG_LEVEL")
    if level:
        return {
            "console": {"config": {"log_level": level}},
            "run_log": {"config": {"log_file": str(log_file), "console": False}},
        }
    return {"run_log": {"config": {"log_file": str(log_file), "console_fd": console_fd()}}}


_CONSOLE_FD: list[int] = []


def console_fd() -> int:
    """A copy of this process's stderr descriptor, made once before any run captures stderr (-1 when
    stderr is not a file, e.g. under pytest's capture: the lines then go to sys.stderr)."""
    if not _CONSOLE_FD:
        try:
            _CONSOLE_FD.append(os.dup(sys.stderr.fileno()))
        except (AttributeError, OSError, ValueError):
            _CONSOLE_FD.append(-1)
    return _CONSOLE_FD[0]


_PERIOD_SUMMARY = """
    select p.municipality, p.term_number, p.report_date, p.source_file, p.n_pledges, p.n_events,
           count(*) filter (where l.status = 'new'), count(*) filter (where l.status = 'changed'),
           count(*) filter (where l.status = 'carried'), count(*) filter (where l.status = 'dropped')
    from marts.dim_period p left join marts.fct_event_lifecycle l using (municipality, term_number, report_date)
    group by all order by p.report_date desc, p.municipality
"""


def print_summary(refused: dict[str, str], warnings: dict[str, str] | None = None, log_file: Path | None = None) -> int:
    """Prints what the published warehouse holds and where everything is; returns its number of
    error-level parse issues."""
    from pipeline.shared import open_published, published_label  # the file, or the DuckLake when shared

    path = settings.warehouse_path()
    label = published_label(path)
    print("\n== summary")
    n_errors, published = 0, False
    try:
        con = open_published(path)
        published = con is not None
    except duckdb.Error as exc:
        print(f"cannot open the published warehouse: {str(exc).splitlines()[0]}", file=sys.stderr)
        con = None
    if con is not None:
        with con:
            rows = con.execute(_PERIOD_SUMMARY).fetchall()
            print(f"periods: {len(rows)} (activities of each report: new / changed / carried / dropped)")
            for city, term, d, source, n_pledges, n_events, new, changed, carried, dropped in rows[:PERIODS_LISTED]:
                print(
                    f"  {d}  {city} 민선{term}기  {source}: {n_pledges} pledges, {n_events} activities: "
                    f"{new} new, {changed} changed, {carried} carried, {dropped} dropped"
                )
            if len(rows) > PERIODS_LISTED:
                print(f"  ... and {len(rows) - PERIODS_LISTED} earlier: select * from marts.dim_period")
            severities = (
                dict(con.execute("select severity, count(*) from staging.stg_parse_issues group by 1").fetchall())
                if _has_table(con, "staging", "stg_parse_issues")
                else {}
            )
        n_errors = severities.get("error", 0)
        print(
            f"parse issues: {sum(severities.values())} (error {n_errors}, warning {severities.get('warning', 0)}, "
            f'info {severities.get("info", 0)}): make sql Q="select * from staging.stg_parse_issues"'
        )
        if n_errors:
            print(
                f"PARSE ERRORS: {n_errors} error-level parse issue(s); list them with: "
                "select * from staging.stg_parse_issues where severity = 'error'",
                file=sys.stderr,
            )
        export = path.parent / "export"
        for name, where in (
            ("warehouse", f"{label}  (make sql)"),
            ("report", path.parent / "report" / "index.html"),
            ("workbook", f"{export / 'pledge_activity.xlsx'}  (CSV in {export / 'csv'})"),
            ("docs", "make docs-serve (every table and column described)"),
        ):
            print(f"{name:<10}{where}")
    elif not published:
        print("no warehouse published yet")
    if log_file is not None:
        print(f"{'log':<10}{log_file}")
    for name, reason in sorted(refused.items()):
        print(f"REFUSED {reason}", file=sys.stderr)
    for name, warning in sorted((warnings or {}).items()):
        print(f"WARNING {warning}", file=sys.stderr)
    return n_errors


def _has_table(con, schema: str, table: str) -> bool:
    return (
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
        ).fetchone()[0]
        > 0
    )


class _Output:
    """A stream whose reader may go away (`make run | head`, a closed terminal): the run goes on and its
    outcome stays what it did, only the lines are lost."""

    def __init__(self, stream):
        self._stream, self.gone = stream, False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self.gone = True

    def __getattr__(self, name):
        return getattr(self._stream, name)


def run_main(argv: list[str] | None = None) -> int:
    """`main` with a crash reported as a failed run, and a reader of its output that went away never
    turning a run's outcome into a failure."""
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Output(sys.stdout), _Output(sys.stderr)
    try:
        return main(argv)
    except Exception as exc:  # a crash is a failed run to a caller, with its reason
        print(f"FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("run failed: nothing new was published; the last good warehouse is unchanged.", file=sys.stderr)
        return EXIT_FAILED
    finally:
        gone = sys.stdout.gone or sys.stderr.gone
        sys.stdout, sys.stderr = streams
        if gone:  # the interpreter's own flush at exit must not fail on the closed pipe either
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)


if __name__ == "__main__":
    sys.exit(run_main())
