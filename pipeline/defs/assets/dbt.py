"""The dbt models as Dagster assets. dbt sources `staging.<table>` map onto the
Python staging assets (same asset keys), so the lineage is one graph; groups come
from the dbt folder names (staging, intermediate, marts)."""

import json
import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetObservation, Config
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipeline import settings
from pipeline.dbt_project import dbt_project
from pipeline.dbt_state import project_fingerprint, prune_invocation_folders
from pipeline.defs.warehouse_resource import WarehouseResource
from pipeline.load.changes import built_dbt_fingerprint, record_dbt_fingerprint


class PledgeDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "marts"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else None


class DbtBuildConfig(Config):
    """Run configuration of the dbt build (`make run ARGS=--full` sets it)."""

    full_refresh: bool = False  # rebuild the incremental models from scratch


# dbt's tests are the audit of write-audit-publish: they run inside `dbt build`, and a failing one
# fails the step, so nothing is published. They are not Dagster asset checks, and a passing test
# writes no event: at ~20 ms per event in the SQLite event log, Dagster's handling of the tests'
# events (three per check, or dagster-dbt's observation on each model a test reads) competed with
# dbt for the machine's cores and cost a run of the real report 5-9 s (make bench: T1 32.7 s with
# 749 events, 27.2 s with 399, 20 s with 182). A test that warns or fails is an asset observation on
# the models it reads (its status and failed rows); the step's log counts the tests by status.
# dbt's unit tests check the models' SQL on fixed inputs, not the data: as dbt advises, they run in development
# and CI (`make test`: tests/test_dbt_unit_tests.py), not in every build.
BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=PledgeDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=False)),
)
def pledge_dbt_models(
    context: AssetExecutionContext, config: DbtBuildConfig, dbt: DbtCliResource, warehouse: WarehouseResource
):
    """dbt build (models, seeds and data tests) in the run's working database."""
    build_db = warehouse.build_path()
    # dbt's launcher (pipeline/defs/bin/dbt-in-build-dir) finds the build folder from the same
    # setting as the warehouse resource; a resource configured with another path would build one
    # database and publish another.
    if build_db != settings.build_db_path():
        raise RuntimeError(
            f"the warehouse resource builds {build_db} but dbt would build "
            f"{settings.build_db_path()} ({settings.WAREHOUSE_ENV}): configure one path"
        )
    # The incremental facts keep the rows of unchanged periods; if the dbt project changed since the
    # published warehouse was built, those rows may be stale, so everything is rebuilt.
    fingerprint = project_fingerprint(json.loads(dbt_project.manifest_path.read_text()))
    with warehouse.connect_build() as con:  # closed before dbt opens the file
        built_with = built_dbt_fingerprint(con)
    full_refresh = config.full_refresh or built_with != fingerprint
    if built_with != fingerprint:
        context.log.info(
            f"dbt project {fingerprint[:12]} differs from the build's {str(built_with)[:12]}: "
            "full refresh of the incremental models"
        )
    # Old dbt target folders are removed while dbt runs (deleting a few hundred files each is
    # I/O the step need not wait for); the step ends after both.
    pruning = threading.Thread(
        target=prune_invocation_folders,
        name="prune-dbt-targets",
        args=(dbt_project.project_dir / dbt_project.target_path,),
    )
    pruning.start()
    try:
        tests: dict[str, str] = {}  # unique_id -> status
        for event in dbt.cli([*BUILD_ARGS, *(["--full-refresh"] if full_refresh else [])], context=context).stream():
            status = event.metadata.get("status") if isinstance(event, AssetObservation) else None
            if status is not None:  # a test's outcome (dagster-dbt's event for a test that is not a check)
                tests[str(event.metadata["unique_id"].value)] = str(status.value)
                if status.value == "pass":
                    continue
            yield event
        context.log.info(
            "dbt tests: " + ", ".join(f"{n} {status}" for status, n in sorted(Counter(tests.values()).items()))
        )
    finally:
        pruning.join()
    with warehouse.connect_build() as con:
        record_dbt_fingerprint(con, fingerprint)
