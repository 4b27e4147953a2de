"""The Dagster code location: `dagster dev` (make dev) and `make run` load this."""

from dagster import Definitions, colored_console_logger

from pipeline.defs.assets.dbt import pledge_dbt_models
from pipeline.defs.assets.exports import export_assets
from pipeline.defs.assets.identity import event_keys
from pipeline.defs.assets.parsed import parsed_activities
from pipeline.defs.assets.publish import published_warehouse
from pipeline.defs.assets.raw import raw_report
from pipeline.defs.assets.search import search_index
from pipeline.defs.assets.staging import staging_tables
from pipeline.defs.automation import build_warehouse_job, raw_reports_sensor, yearly_rebuild
from pipeline.defs.loggers import run_log
from pipeline.defs.parse_fanout import parse_reports
from pipeline.defs.resources import resources

defs = Definitions(
    assets=[
        raw_report,
        parsed_activities,
        staging_tables,
        event_keys,
        pledge_dbt_models,
        search_index,
        published_warehouse,
        *export_assets,
    ],
    jobs=[build_warehouse_job, parse_reports],
    schedules=[yearly_rebuild],
    sensors=[raw_reports_sensor],
    resources=resources(),
    # `console` stays Dagster's default for runs started in the UI; `make run` configures `run_log`
    loggers={"console": colored_console_logger, "run_log": run_log},
)
