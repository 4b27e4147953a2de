"""Every activity of each period parsed into pydantic records, through the parse cache
(pipeline/load/parse_cache.py), with the checks that nothing of the input was lost.

Not partitioned, like the staging tables: it parses the periods of the run's partition range (the
partitions of `raw_report` in the run) in one step and writes one materialization, where a
partitioned asset writes one per period (at ~20 ms each in the SQLite event log, 4-5 s of a run of
200 reports). What was parsed per period is in the `per_period` metadata."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from pipeline.defs.assets.raw import RAW_REPORT
from pipeline.defs.partitions import periods_of_run
from pipeline.load import parse_cache
from pipeline.raw.store import record_refusal, refusals

PARSED_ACTIVITIES = AssetKey("parsed_activities")
# The assets that read raw/: a run with no period to load (a new matcher, a changed dbt project, a
# retraction) leaves them out.
INGEST_KEYS = {RAW_REPORT, PARSED_ACTIVITIES}

MIN_DATED_SHARE = 0.9  # below this share of activities with a start date, warn


class ParseConfig(Config):
    """Run configuration of the parse (`make run ARGS="--accept-truncated FILE"`)."""

    accept_truncated: list[str] = []  # file names loaded as they are although they end inside a row or list
    full_refresh: bool = False  # parse every report of the run again from its file, cached or not


@asset(
    key=PARSED_ACTIVITIES,
    deps=[RAW_REPORT],
    group_name="staging",
    description=(
        "파싱된 활동 — every activity of the report parsed into pydantic records (dates with precision, "
        "people, sessions, venue, format), cached as Arrow IPC files by the file's SHA-256 and the parser version."
    ),
    check_specs=[
        AssetCheckSpec(
            "every_period_parsed",
            asset=PARSED_ACTIVITIES,
            description="Every period of the run was read and parsed; a refused one keeps its "
            "previously published rows and is reported by `make run`.",
        ),
        AssetCheckSpec(
            "every_activity_has_a_pledge",
            asset=PARSED_ACTIVITIES,
            blocking=True,
            description="Every parsed activity belongs to a pledge row of its report.",
        ),
        AssetCheckSpec(
            "list_items_accounted_for",
            asset=PARSED_ACTIVITIES,
            blocking=True,
            description="Every <li> of the input became an activity, a detail or a parse issue.",
        ),
        AssetCheckSpec(
            "share_of_activities_with_a_date",
            asset=PARSED_ACTIVITIES,
            description=f"At least {MIN_DATED_SHARE:.0%} of activities have a start or end date.",
        ),
    ],
)
def parsed_activities(context: AssetExecutionContext, config: ParseConfig):
    periods = periods_of_run(context)
    refused = refusals(periods)
    summaries = []
    for key in [k for k in periods if k not in refused]:
        outcome = parse_cache.parse_checked(key, config.accept_truncated, reread=config.full_refresh)
        if isinstance(outcome, str):
            context.log.error(outcome)
            record_refusal(key, outcome)
            refused[key] = outcome
            continue
        if outcome.get("repaired"):
            context.log.warning(outcome["repaired"])
        summaries.append(outcome)  # per-period figures go in the `per_period` metadata, not in per-period logs
    context.log.info(
        f"{len(summaries)} period(s) parsed ({sum(s['cached'] for s in summaries)} from the cache), "
        f"{len(refused)} refused"
    )
    t = parse_cache.totals(summaries)
    per_period = {
        s["period"]: {k: s[k] for k in ("n_events", "n_list_items", "n_items_as_issue", "cached")} for s in summaries
    }

    yield MaterializeResult(
        metadata={
            "n_periods": t.n_periods,
            "n_activities": t.n_events,
            "n_pledges": t.n_pledges,
            "n_parse_issues": t.n_issues,
            "parse_coverage": MetadataValue.float(round(t.coverage, 4)),
            "n_cached": t.n_cached,
            "per_period": MetadataValue.json(per_period),  # one event: no per-partition copies
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
        passed=t.n_orphans == 0,
        metadata={"n_activities_without_pledge": t.n_orphans},
    )
    yield AssetCheckResult(
        check_name="list_items_accounted_for",
        passed=t.n_accounted == t.n_list_items,
        metadata={
            "n_list_items": t.n_list_items,
            "n_accounted": t.n_accounted,
            "share_as_activity_or_detail": MetadataValue.float(round(t.coverage, 4)),
        },
    )
    yield AssetCheckResult(
        check_name="share_of_activities_with_a_date",
        passed=t.dated_share >= MIN_DATED_SHARE,
        severity=AssetCheckSeverity.WARN,
        metadata={"share_with_date": MetadataValue.float(round(t.dated_share, 4)), "n_activities": t.n_events},
    )
