"""The dbt project as Dagster sees it. The manifest is prepared at build time
(`make manifest`, i.e. `dbt parse`), never at import; under `dagster dev`,
`prepare_if_dev` refreshes it with the same dbt and the same profile as the runs."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from dagster_dbt import DbtProject, DbtProjectPreparer

from pipeline import settings

PARTIAL_PARSE = "partial_parse.msgpack"


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
        # dbt writes its artifacts in place; a run's exports read the manifest meanwhile (the docs of every
        # column), so the parse goes to a folder of its own and each file is then moved over the old one
        target = Path(project.project_dir) / project.target_path
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".parse-", dir=target) as scratch:
            if (target / PARTIAL_PARSE).exists():  # dbt's parse cache: only what changed is parsed again
                shutil.copyfile(target / PARTIAL_PARSE, Path(scratch) / PARTIAL_PARSE)
            subprocess.run(
                [settings.dbt_executable(), "parse", "--quiet", "--target-path", scratch],
                cwd=project.project_dir,
                env=env,
                check=True,
            )
            for made in Path(scratch).iterdir():
                if made.is_file():
                    os.replace(made, target / made.name)


dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR, profiles_dir=settings.DBT_PROJECT_DIR)
PledgeDbtProjectPreparer().prepare_if_dev(dbt_project)
