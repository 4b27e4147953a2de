"""The dbt models as Dagster assets. dbt sources `staging.<table>` map onto the
Python staging assets (same asset keys), so the lineage is one graph; groups come
from the dbt folder names (staging, intermediate, marts)."""

import json
import os
import shutil
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipeline import settings
from pipeline.dbt_project import dbt_project
from pipeline.dbt_state import built_project_fingerprint, project_fingerprint, record_project_fingerprint
from pipeline.load import changes
from pipeline.defs.warehouse_resource import WarehouseResource


class PledgeDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "marts"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else None


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=PledgeDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
)
def pledge_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """dbt build (models, seeds and tests) in the run's working database."""
    build_db = warehouse.build_path()
    # dbt runs from the build folder and names the database relative to it: see
    # pipeline/defs/bin/dbt-in-build-dir for why the profile must not hold an absolute path.
    os.environ.update(
        PLEDGE_DBT_WORKDIR=str(build_db.parent),
        PLEDGE_DBT_DATABASE=build_db.name,
        PLEDGE_DBT_BIN=settings.dbt_executable(),
    )
    # The incremental facts keep the rows of unchanged periods; if the dbt project changed since the
    # published warehouse was built, those rows may be stale, so everything is rebuilt.
    fingerprint = project_fingerprint(json.loads(dbt_project.manifest_path.read_text()))
    with duckdb.connect(str(build_db)) as con:  # closed before dbt opens the file
        built_with = built_project_fingerprint(con)
    full_refresh = built_with != fingerprint or context.run.tags.get(changes.FULL_REBUILD_TAG) == "true"
    if built_with != fingerprint:
        context.log.info(f"dbt project {fingerprint[:12]} differs from the build's {str(built_with)[:12]}: "
                         "full refresh of the incremental models")
    # Old dbt target folders are removed while dbt runs (deleting a few hundred files each is
    # I/O the step need not wait for); the step ends after both.
    pruning = threading.Thread(target=prune_invocation_folders, name="prune-dbt-targets",
                               args=(dbt_project.project_dir / dbt_project.target_path,))
    pruning.start()
    try:
        yield from dbt.cli(["build", *(["--full-refresh"] if full_refresh else [])], context=context).stream()
    finally:
        pruning.join()
    with duckdb.connect(str(build_db)) as con:
        record_project_fingerprint(con, fingerprint)


KEEP_INVOCATIONS = 20  # dagster-dbt gives every dbt call its own target folder; keep the latest ones
KEEP_YOUNGER_THAN_S = 3600  # never touch a folder that a run elsewhere may still be writing


def prune_invocation_folders(target: Path, now: float | None = None) -> list[Path]:
    """Remove old per-invocation dbt target folders (manifest, compiled SQL, logs: ~2 MB each),
    which would otherwise pile up with every run. Returns the folders removed."""
    now = time.time() if now is None else now
    folders = sorted((p for p in target.glob("pledge_dbt_models-*") if p.is_dir()),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for folder in folders[KEEP_INVOCATIONS:]:
        if now - folder.stat().st_mtime > KEEP_YOUNGER_THAN_S:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
