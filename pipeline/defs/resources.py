"""Resources of the code location: dbt (dagster-dbt's own resource) and the warehouse."""

import logging

from dagster import EnvVar
from dagster_dbt import DbtCliResource

from pipeline import settings
from pipeline.dbt_project import dbt_project
from pipeline.defs.warehouse_resource import WarehouseResource

ADAPTER_HANDLE_WARNING = "An error was encountered when creating a handle to the dbt adapter"


class _NoDbtCoreHere(logging.Filter):
    """dagster-dbt tries to import dbt-core in the Dagster process to fetch row counts and column
    schemas, and logs a warning with a traceback when it cannot. dbt-core lives in its own
    environment on purpose (dbt_project/requirements.txt) and this project fetches no such
    metadata, so exactly that ImportError is not a warning here; any other failure still is."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not (isinstance(exc, ImportError) and record.getMessage().startswith(ADAPTER_HANDLE_WARNING))


logging.getLogger("dagster.builtin").addFilter(_NoDbtCoreHere())


def resources() -> dict:
    return {
        # dbt from .venv-dbt, started in the run's build folder: see pipeline/defs/bin/dbt-in-build-dir
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=settings.dbt_in_build_dir()),
        # One setting names the warehouse: `make` and `pipeline.run` export PLEDGE_WAREHOUSE (absolute).
        "warehouse": WarehouseResource(database=EnvVar(settings.WAREHOUSE_ENV)),
    }
