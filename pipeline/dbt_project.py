"""The dbt project as Dagster sees it. The manifest is prepared at build time
(`make manifest`, i.e. `dbt parse`), never at import; under `dagster dev`,
`prepare_if_dev()` refreshes it."""
from dagster_dbt import DbtProject

from pipeline import settings

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
