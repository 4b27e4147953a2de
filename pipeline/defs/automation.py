"""How runs start: the job, a yearly schedule, and a sensor on `raw/`."""

import hashlib

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
from pipeline.defs.partitions import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG, reporting_periods
from pipeline.plan import PLAN_TAG, ChangePlan, make_plan
from pipeline.raw.discover import Discovery, discover_reports

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


def run_request_for(plan: ChangePlan, found: Discovery, ordered: list[str]) -> RunRequest:
    """The one run that carries out `plan` (`make run` and the sensor both start it): the partition
    range of the periods to load (`ordered`: the instance's periods in order); with none to load (the
    matcher or the dbt project changed, or a retraction), the unpartitioned assets only; with nothing to
    build, the exports that are behind. The plan in a line as a tag; the plan itself, full refresh and
    retractions as typed run configuration."""
    from pipeline.definitions import defs
    from pipeline.defs.assets.exports import EXPORT_KEYS
    from pipeline.defs.assets.parsed import INGEST_KEYS

    tags, selection = {PLAN_TAG: plan.tag()}, None
    if plan.to_load:
        positions = sorted(ordered.index(k) for k in plan.to_load)
        tags.update(range_tags(ordered[positions[0]], ordered[positions[-1]]))
    elif plan.builds:
        selection = [k for k in defs.resolve_all_asset_keys() if k not in INGEST_KEYS]
    else:
        selection = [EXPORT_KEYS[name] for name in plan.exports_behind]
    # the same plan over the same files is the same request: Dagster starts a run_key once
    what = plan.as_json() + "".join(f"{k}={found.reports[k].sha256}" for k in plan.to_load)
    config = (
        {
            "ops": {
                "staging_tables": {
                    "config": {"full_refresh": plan.full, "retract": plan.retract, "plan": plan.as_json()}
                },
                "pledge_dbt_models": {"config": {"full_refresh": plan.full}},
            }
        }
        if plan.builds
        else {}
    )
    if plan.to_load:  # the parse is in the run
        config["ops"]["parsed_activities"] = {
            "config": {"accept_truncated": plan.accept_truncated, "full_refresh": plan.full}
        }
    return RunRequest(
        run_key=hashlib.sha256(what.encode()).hexdigest()[:20], tags=tags, asset_selection=selection, run_config=config
    )


@sensor(
    job=build_warehouse_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Watches raw/ for new or changed report files: registers their period and requests the run "
    "that the change plan asks for (pipeline/plan.py), once per plan.",
)
def raw_reports_sensor(context: SensorEvaluationContext):
    found = discover_reports(settings.raw_dir())
    for name, reason in found.refused.items():
        context.log.warning(f"refused {name}: {reason}")
    for warning in found.warnings.values():
        context.log.warning(warning)
    known = context.instance.get_dynamic_partitions(reporting_periods.name)
    new_keys = sorted(set(found.reports) - set(known))
    plan = make_plan(found, settings.warehouse_path())
    if plan.nothing_to_do:
        return SkipReason(f"{settings.raw_dir()}: {plan.describe()}")
    return SensorResult(
        run_requests=[run_request_for(plan, found, [k for k in known if k in found.reports] + new_keys)],
        dynamic_partitions_requests=[reporting_periods.build_add_request(new_keys)] if new_keys else [],
    )
