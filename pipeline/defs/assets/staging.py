"""The staging tables of the run's working database: every period's parsed rows (pipeline/load/staging.py)."""

import json

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Config,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from pipeline.defs.assets.parsed import PARSED_ACTIVITIES
from pipeline.defs.partitions import reporting_periods
from pipeline.defs.warehouse_resource import WarehouseResource
from pipeline.load import changes, parse_cache, staging

STAGING_KEYS = {table: AssetKey(["staging", table]) for table in staging.STAGING_TABLES}


class StagingConfig(Config):
    """Run configuration of the staging load (`make run ARGS=--full`, `--retract PERIOD`)."""

    full_refresh: bool = False  # reload every period, whether or not it changed
    # periods (`전주시/2020-12-31`) to remove from the warehouse, recorded in staging.run_history
    retract: list[str] = []
    plan: str = "{}"  # the run's change plan (JSON, pipeline/plan.py), recorded in staging.run_history


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
    check_specs=[
        AssetCheckSpec(
            "staging_rows_keep_their_contract",
            asset=STAGING_KEYS["report_files"],
            blocking=True,
            description="Every staging row has its period, one report file per period with "
            "its SHA-256, change reasons from their list.",
        )
    ],
    can_subset=False,
)
def staging_tables(context: AssetExecutionContext, config: StagingConfig, warehouse: WarehouseResource):
    """Unpartitioned on purpose: one step and one event per table, however many periods a run
    loads (a partitioned asset writes events per partition, which dominated runs of hundreds of
    reports). What to load comes from comparing the parse cache with `staging.report_files`."""
    periods = context.instance.get_dynamic_partitions(reporting_periods.name)
    retract = list(config.retract)
    with warehouse.connect_build() as con:
        to_load = parse_cache.periods_to_load(periods, staging.loaded_fingerprints(con), config.full_refresh)
        loaded = staging.load_periods(con, to_load)
        # this build's row of staging.run_history, read by the incremental dbt facts
        changes.start(con, context.run.run_id, to_load, config.plan)
        retracted = changes.retract(con, retract)
        if retracted:
            context.log.info(f"retracted {', '.join(map(str, retracted))}")
        totals = staging.row_counts(con)
        violations = staging.contract_violations(con)
    context.log.info(f"loaded {len(to_load)} period(s): {', '.join(str(d) for d in sorted(to_load)) or 'none'}")
    for table, key in STAGING_KEYS.items():
        yield MaterializeResult(
            asset_key=key,
            metadata={
                "periods_loaded": MetadataValue.json(sorted(str(d) for d in to_load)),
                "change_plan": MetadataValue.json(json.loads(config.plan)),
                "rows_loaded": loaded[table],
                "dagster/row_count": totals[table],
                "table": f"{staging.SCHEMA}.{table}",
            },
        )
    yield AssetCheckResult(
        check_name="staging_rows_keep_their_contract",
        asset_key=STAGING_KEYS["report_files"],
        passed=not any(violations.values()),
        metadata={"violations": MetadataValue.json(violations)},
    )
