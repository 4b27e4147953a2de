"""The Dagster code location: `dagster dev` (make dev) and `make run` load this."""
from dagster import Definitions, EnvVar

from pipeline import settings
from pipeline.dbt_project import dbt_project
from pipeline.defs.assets.dbt import pledge_dbt_models
from pipeline.defs.assets.identity import event_keys
from pipeline.defs.assets.ingest import parsed_activities, raw_report, staging_tables
from pipeline.defs.assets.publish import published_warehouse
from pipeline.defs.assets.report import analyst_report
from pipeline.defs.resources import PledgeDbtCliResource
from pipeline.defs.warehouse_resource import WarehouseResource
from pipeline.defs.automation import build_warehouse_job, raw_reports_sensor, yearly_rebuild

defs = Definitions(
    assets=[raw_report, parsed_activities, staging_tables, event_keys, pledge_dbt_models, published_warehouse,
            analyst_report],
    jobs=[build_warehouse_job],
    schedules=[yearly_rebuild],
    sensors=[raw_reports_sensor],
    resources={
        "dbt": PledgeDbtCliResource(project_dir=dbt_project, dbt_executable=settings.dbt_in_build_dir()),
        # One setting names the warehouse: `make` and `pipeline.run` export PLEDGE_WAREHOUSE (absolute).
        "warehouse": WarehouseResource(database=EnvVar(settings.WAREHOUSE_ENV)),
    },
)
