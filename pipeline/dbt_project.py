"""The dbt project as Dagster sees it. The manifest is prepared at build time
(`make manifest`, i.e. `dbt parse`), never at import; under `dagster dev`,
`prepare_if_dev` refreshes it with the same dbt and the same profile as the runs."""

import os
import subprocess

from dagster_dbt import DbtProject, DbtProjectPreparer

from pipeline import settings


class PledgeDbtProjectPreparer(DbtProjectPreparer):
    """`dbt parse` with dbt from its own environment (settings.dbt_executable) and the database
    named as every run names it, so the runs reuse this parse (see pipeline/defs/bin/dbt-in-build-dir).
    dagster-dbt's default preparer would start `dbt` from this environment, where dbt is not."""

    def prepare_if_dev(self, project: DbtProject) -> None:
        if self.using_dagster_dev():
            self.prepare(project)

    def prepare(self, project: DbtProject) -> None:
        env = {
            **os.environ,
            "PLEDGE_DBT_DATABASE": settings.build_db_path().name,
            "DBT_PROFILES_DIR": str(project.profiles_dir),
        }
        subprocess.run([settings.dbt_executable(), "parse", "--quiet"], cwd=project.project_dir, env=env, check=True)


dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
PledgeDbtProjectPreparer().prepare_if_dev(dbt_project)
