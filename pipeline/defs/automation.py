"""How runs start: the job, a yearly schedule, and a sensor on `raw/`."""

import json

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleEvaluationContext,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    in_process_executor,
    schedule,
    sensor,
)

from pipeline import settings
from pipeline.defs.partitions import reporting_periods
from pipeline.raw.discover import discover_reports

# Dagster's documented run tags for a run over a range of partitions (what a single-run backfill sets).
ASSET_PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
ASSET_PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"

# Everything in one process, serially: DuckDB takes one writer at a time, and
# all partitions of a run share one step per asset.
build_warehouse_job = define_asset_job(
    "build_warehouse",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Parse the reports of the selected periods, load staging, build and test the dbt marts, publish.",
)


def range_tags(first_key: str, last_key: str) -> dict[str, str]:
    """Run tags that make one run cover the partitions first_key..last_key."""
    return {ASSET_PARTITION_RANGE_START_TAG: first_key, ASSET_PARTITION_RANGE_END_TAG: last_key}


@schedule(
    job=build_warehouse_job,
    cron_schedule="0 6 15 1 *",
    execution_timezone="Asia/Seoul",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Yearly rebuild on January 15, after the city publishes its year-end report.",
)
def yearly_rebuild(context: ScheduleEvaluationContext):
    keys = context.instance.get_dynamic_partitions(reporting_periods.name)
    if not keys:
        return SkipReason("no reporting period registered yet; drop a report into raw/")
    return RunRequest(run_key=f"yearly-{context.scheduled_execution_time:%Y}", tags=range_tags(keys[0], keys[-1]))


@sensor(
    job=build_warehouse_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Watches raw/ for new or changed report files: registers their period and requests a run for it.",
)
def raw_reports_sensor(context: SensorEvaluationContext):
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    found = discover_reports(settings.raw_dir())
    current = {key: report.sha256 for key, report in found.reports.items()}
    known = set(context.instance.get_dynamic_partitions(reporting_periods.name))
    new_keys = sorted(set(current) - known)
    changed = sorted(key for key, sha in current.items() if seen.get(key) != sha)
    for name, reason in found.refused.items():
        context.log.warning(f"refused {name}: {reason}")
    for warning in found.warnings.values():
        context.log.warning(warning)
    if not changed and not new_keys:
        return SkipReason(f"no new or changed report in {settings.raw_dir()}")
    return SensorResult(
        run_requests=[RunRequest(run_key=f"{key}:{current[key]}", partition_key=key) for key in changed],
        dynamic_partitions_requests=[reporting_periods.build_add_request(new_keys)] if new_keys else [],
        cursor=json.dumps(current, sort_keys=True),
    )
