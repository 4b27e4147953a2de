"""raw report file -> parsed activities -> DuckDB staging tables, one partition per period.

The assets run all the partitions of a run in one step (single-run backfill
policy) and keep their data in explicit storage rather than an IO manager:
the raw bytes in a content-addressed snapshot, the parsed records as Parquet in a
cache keyed by (sha256, parser fingerprint), the staging rows in the run's
working database.
"""

import datetime as dt
import json
import os
import shutil
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from pipeline import settings
from pipeline.defs.partitions import reporting_periods
from pipeline.defs.warehouse_resource import WarehouseResource
from pipeline.load import changes, staging
from pipeline.raw.discover import discover_reports
from pipeline.report.preview import md_text
from pipeline.raw.report_file import RawReport, ReportFileError, decode_report

RAW_REPORT = AssetKey("raw_report")
PARSED_ACTIVITIES = AssetKey("parsed_activities")
STAGING_KEYS = {table: AssetKey(["staging", table]) for table in staging.STAGING_TABLES}
PARTITIONED_KEYS = {RAW_REPORT, PARSED_ACTIVITIES}

MIN_DATED_SHARE = 0.9  # below this share of activities with a start date, warn

# Dagster copies the metadata of a partitioned asset's result into the materialization event of
# every partition of the run, so a table with a row per period costs periods² in the event log
# (measured: a run of 2,000 reports wrote 460 MB of events for `raw_report` alone, 230 KB each).
# Above this many periods such a table is logged once instead.
PER_PERIOD_METADATA_MAX = 20


def per_period_metadata(context: AssetExecutionContext, name: str, n_periods: int, value: MetadataValue,
                        text: str) -> dict[str, MetadataValue]:
    """`{name: value}` for a run of few periods; else the table (`text`) goes in one log event and
    the metadata says where it is."""
    if n_periods <= PER_PERIOD_METADATA_MAX:
        return {name: value}
    context.log.info(f"{name}, {n_periods} periods:\n{text}")
    return {name: MetadataValue.text(f"{n_periods} periods: the table is in this run's log "
                                     f"(kept out of the per-partition events, which would each copy it)")}


def _snapshot_dir() -> Path:
    return settings.cache_dir() / "raw"


def _snapshot_info_path(partition_key: str) -> Path:
    return _snapshot_dir() / f"{partition_key}.json"


def load_snapshot(partition_key: str) -> tuple[RawReport, Path]:
    """The report file as ingested by `raw_report` for this period."""
    info_path = _snapshot_info_path(partition_key)
    if not info_path.exists():
        raise ReportFileError(f"period {partition_key}: raw_report has not been materialized")
    info = RawReport.model_validate_json(info_path.read_text())
    return info, _snapshot_dir() / f"{info.sha256}.bin"


def _refusals_dir() -> Path:
    return settings.build_dir() / "refused"


def record_refusal(partition_key: str, reason: str) -> None:
    """A period this run could not ingest: its previously published rows stay as they were."""
    _refusals_dir().mkdir(parents=True, exist_ok=True)
    (_refusals_dir() / f"{partition_key}.txt").write_text(reason)


def clear_refusal(partition_key: str) -> None:
    (_refusals_dir() / f"{partition_key}.txt").unlink(missing_ok=True)


def refusals(partition_keys) -> dict[str, str]:
    """Refusal reasons recorded for these periods (by the last run that covered them)."""
    found = {}
    for key in partition_keys:
        path = _refusals_dir() / f"{key}.txt"
        if path.exists():
            found[key] = path.read_text()
    return found


def parsed_cache_folder(info: RawReport) -> Path:
    from pipeline.parse.fingerprint import parser_fingerprint

    return settings.cache_dir() / "parsed" / f"{info.sha256}-{parser_fingerprint()}"


@asset(
    key=RAW_REPORT,
    partitions_def=reporting_periods,
    backfill_policy=BackfillPolicy.single_run(),
    group_name="raw",
    description=(
        "보고서 원본 — the report file of the period in `raw/`: its bytes (snapshotted by SHA-256), "
        "encoding and header date. The period is read from the file's own header `【YYYY. MM. DD.】`."
    ),
)
def raw_report(context: AssetExecutionContext) -> MaterializeResult:
    found = discover_reports(settings.raw_dir())
    _snapshot_dir().mkdir(parents=True, exist_ok=True)
    rows = []
    for key in context.partition_keys:
        clear_refusal(key)
        if key not in found.reports:
            refused = "; ".join(found.refused.values())
            reason = f"period {key}: no readable report file for it in {settings.raw_dir()}" + (
                f" (refused: {refused})" if refused else ""
            )
            context.log.error(reason)
            record_refusal(key, reason)
            continue
        info = found.reports[key]
        snapshot = _snapshot_dir() / f"{info.sha256}.bin"
        if not snapshot.exists():
            tmp = snapshot.with_suffix(".tmp")
            shutil.copyfile(info.path, tmp)
            tmp.replace(snapshot)
        _snapshot_info_path(key).write_text(info.model_dump_json(indent=2))
        rows.append(info)  # per-period details go in the metadata table: one log event per run, not per period
    context.log.info(f"{len(rows)} report file(s) snapshotted")
    files = "| period | file | bytes | encoding | sha256 |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {r.report_date} | {md_text(r.file_name)} | {r.n_bytes} | {r.encoding} | `{r.sha256[:12]}` |" for r in rows
    )
    return MaterializeResult(
        metadata={
            "n_reports": len(rows),
            **per_period_metadata(context, "files", len(rows), MetadataValue.md(files), files),
        }
    )


def _parse_one(info: RawReport, snapshot: Path) -> dict:
    """Parse one report into the cache (unless cached); returns its summary."""
    folder = parsed_cache_folder(info)
    summary_path = folder / "summary.json"
    if summary_path.exists():
        return {**json.loads(summary_path.read_text()), "cached": True}
    from pipeline.parse.report import parse_report_text  # heavy: import on use

    text, _ = decode_report(snapshot.read_bytes(), info.file_name)
    parsed = parse_report_text(text, source_file=info.file_name, report_date=info.report_date)
    tables = staging.to_arrow(info, parsed, ingested_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    pledge_codes = {row.pledge_code for row in parsed.rows}
    summary = {
        "report_date": info.report_date.isoformat(),
        "file_name": info.file_name,
        "n_rows": len(parsed.rows),
        "n_pledges": len(pledge_codes),
        "n_events": len(parsed.events),
        "n_events_dated": sum(e.start_date is not None or e.end_date is not None for e in parsed.events),
        "n_events_orphan": sum(e.pledge_code not in pledge_codes for e in parsed.events),
        "n_issues": len(parsed.issues),
        "n_list_items": parsed.n_list_items,
        "n_items_as_event": parsed.n_items_as_event,
        "n_items_as_detail": parsed.n_items_as_detail,
        "n_items_as_issue": parsed.n_items_as_issue,
        "rows_per_table": {t: tables[t].num_rows for t in tables},
    }
    staging.write_parquet(tables, folder)
    summary_path.write_text(json.dumps(summary, indent=2))
    return {**summary, "cached": False}


def _parse_checked(key: str) -> dict | str:
    """Summary of one period's parse, or the reason it was refused."""
    try:
        info, snapshot = load_snapshot(key)
        summary = _parse_one(info, snapshot)
        if summary["n_rows"] == 0:
            raise ReportFileError(f"{info.file_name}: no data rows (연번/분야/관리번호/공약사업명/시민소통실적) found")
        return summary
    except Exception as exc:  # one bad report must not stop the good ones
        return str(exc) if isinstance(exc, ReportFileError) else f"period {key}: parsing failed: {exc!r}"


PARALLEL_PARSE_MIN = 8  # below this many uncached periods a process pool costs more than it saves


def _parse_all(keys: list[str]):
    """(key, summary or refusal reason) for each period; uncached ones parsed on every core.

    Parsing is pure and writes only its own cache folder, so periods parse in parallel;
    the warehouse itself is written later, by one process.
    """
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    uncached = [k for k in keys if not _is_cached(k)]
    workers = min(os.cpu_count() or 1, len(uncached))
    if len(uncached) < PARALLEL_PARSE_MIN or workers < 2:
        for key in keys:
            yield key, _parse_checked(key)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork")) as pool:
        parsed = dict(zip(uncached, pool.map(_parse_checked, uncached, chunksize=4)))
    for key in keys:
        yield key, parsed[key] if key in parsed else _parse_checked(key)


def _is_cached(key: str) -> bool:
    try:
        info, _ = load_snapshot(key)
    except ReportFileError:
        return False
    return (parsed_cache_folder(info) / "summary.json").exists()


@asset(
    key=PARSED_ACTIVITIES,
    deps=[RAW_REPORT],
    partitions_def=reporting_periods,
    backfill_policy=BackfillPolicy.single_run(),
    group_name="staging",
    description=(
        "파싱된 활동 — every activity of the report parsed into pydantic records (dates with precision, "
        "people, sessions, venue, format), cached as Parquet by the file's SHA-256 and the parser version."
    ),
    check_specs=[
        AssetCheckSpec("every_period_parsed", asset=PARSED_ACTIVITIES,
                       description="Every period of the run was read and parsed; a refused one keeps its "
                                   "previously published rows and is reported by `make run`."),
        AssetCheckSpec("every_activity_has_a_pledge", asset=PARSED_ACTIVITIES, blocking=True,
                       description="Every parsed activity belongs to a pledge row of its report."),
        AssetCheckSpec("list_items_accounted_for", asset=PARSED_ACTIVITIES, blocking=True,
                       description="Every <li> of the input became an activity, a detail or a parse issue."),
        AssetCheckSpec("share_of_activities_with_a_date", asset=PARSED_ACTIVITIES,
                       description=f"At least {MIN_DATED_SHARE:.0%} of activities have a start or end date."),
    ],
)
def parsed_activities(context: AssetExecutionContext):
    refused = refusals(context.partition_keys)
    summaries = []
    for key, outcome in _parse_all([k for k in context.partition_keys if k not in refused]):
        if isinstance(outcome, str):
            context.log.error(outcome)
            record_refusal(key, outcome)
            refused[key] = outcome
            continue
        summaries.append(outcome)  # per-period figures go in the `per_period` metadata, not in per-period logs
    context.log.info(
        f"{len(summaries)} period(s) parsed ({sum(s['cached'] for s in summaries)} from the cache), "
        f"{len(refused)} refused"
    )
    n_events = sum(s["n_events"] for s in summaries)
    n_items = sum(s["n_list_items"] for s in summaries)
    accounted = sum(s["n_items_as_event"] + s["n_items_as_detail"] + s["n_items_as_issue"] for s in summaries)
    n_dated = sum(s["n_events_dated"] for s in summaries)
    n_orphans = sum(s["n_events_orphan"] for s in summaries)
    coverage = (sum(s["n_items_as_event"] + s["n_items_as_detail"] for s in summaries) / n_items) if n_items else 1.0
    dated_share = n_dated / n_events if n_events else 1.0
    per_period = {s["report_date"]: {k: s[k] for k in ("n_events", "n_list_items", "n_items_as_issue", "cached")} for s in summaries}

    yield MaterializeResult(
        metadata={
            "n_periods": len(summaries),
            "n_activities": n_events,
            "n_pledges": sum(s["n_pledges"] for s in summaries),
            "n_parse_issues": sum(s["n_issues"] for s in summaries),
            "parse_coverage": MetadataValue.float(round(coverage, 4)),
            "n_cached": sum(s["cached"] for s in summaries),
            **per_period_metadata(context, "per_period", len(per_period), MetadataValue.json(per_period),
                                  json.dumps(per_period, indent=1)),
        }
    )
    yield AssetCheckResult(
        check_name="every_period_parsed",
        passed=not refused,
        severity=AssetCheckSeverity.ERROR,
        metadata={"refused": MetadataValue.json(refused)},
    )
    yield AssetCheckResult(
        check_name="every_activity_has_a_pledge",
        passed=n_orphans == 0,
        metadata={"n_activities_without_pledge": n_orphans},
    )
    yield AssetCheckResult(
        check_name="list_items_accounted_for",
        passed=accounted == n_items,
        metadata={
            "n_list_items": n_items,
            "n_accounted": accounted,
            "share_as_activity_or_detail": MetadataValue.float(round(coverage, 4)),
        },
    )
    yield AssetCheckResult(
        check_name="share_of_activities_with_a_date",
        passed=dated_share >= MIN_DATED_SHARE,
        severity=AssetCheckSeverity.WARN,
        metadata={"share_with_date": MetadataValue.float(round(dated_share, 4)), "n_activities": n_events},
    )


class StagingConfig(Config):
    """Run configuration of the staging load (`make run ARGS=--full`, `--retract PERIOD`)."""
    full_refresh: bool = False  # reload every period, whether or not it changed
    retract: list[str] = []  # periods (YYYY-MM-DD) to remove from the warehouse, recorded in staging.retracted_periods


@multi_asset(
    specs=[
        AssetSpec(
            key,
            deps=[PARSED_ACTIVITIES],
            group_name="staging",
            description=(
                f"적재 테이블 `staging.{table}` in the warehouse: every period's rows. Each period whose "
                "parsed file differs from what the table holds (new file, changed file, new parser) is "
                "replaced as a whole; the others are left as they are."
            ),
        )
        for table, key in STAGING_KEYS.items()
    ],
    can_subset=False,
)
def staging_tables(context: AssetExecutionContext, config: StagingConfig, warehouse: WarehouseResource):
    """Unpartitioned on purpose: one step and one event per table, however many periods a run
    loads (a partitioned asset writes events per partition, which dominated runs of hundreds of
    reports). What to load comes from comparing the parse cache with `staging.report_files`."""
    from pipeline.parse.fingerprint import parser_fingerprint

    periods = context.instance.get_dynamic_partitions(reporting_periods.name)
    full = config.full_refresh or context.run.tags.get(changes.FULL_REBUILD_TAG) == "true"
    retract = [dt.date.fromisoformat(p) for p in config.retract]
    with warehouse.connect_build() as con:
        held = staging.loaded_fingerprints(con)
        to_load: dict[dt.date, Path] = {}
        for key in periods:
            try:
                info, _ = load_snapshot(key)
            except ReportFileError:
                continue  # never ingested (refused): nothing to load
            folder = parsed_cache_folder(info)
            if not (folder / "summary.json").exists():
                continue  # refused at parsing, or not parsed with this parser yet
            if full or held.get(info.report_date) != (info.sha256, parser_fingerprint()):
                to_load[info.report_date] = folder
        loaded = staging.load_periods(con, to_load)
        changes.start(con, to_load, "loaded")  # read by the incremental dbt facts
        retracted = changes.retract(con, retract, context.run.run_id)
        if retracted:
            context.log.info(f"retracted {', '.join(map(str, retracted))}")
        changes.record_run(con, context.run.run_id, to_load, context.run.tags.get("pledge/plan"))
        totals = {
            t: con.execute(f"select count(*) from {staging.SCHEMA}.{t}").fetchone()[0] for t in staging.STAGING_TABLES
        }
    context.log.info(f"loaded {len(to_load)} period(s): {', '.join(str(d) for d in sorted(to_load)) or 'none'}")
    for table, key in STAGING_KEYS.items():
        yield MaterializeResult(
            asset_key=key,
            metadata={
                "periods_loaded": MetadataValue.json(sorted(str(d) for d in to_load)),
                "rows_loaded": loaded[table],
                "dagster/row_count": totals[table],
                "table": f"{staging.SCHEMA}.{table}",
            },
        )
