"""What dbt project built a warehouse: its fingerprint, kept in `staging.run_history`.

The incremental facts keep the rows of unchanged periods; if the dbt project changed since the
warehouse was built, those rows may be stale, so the change plan asks for a full refresh.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def project_fingerprint(manifest: Mapping[str, Any]) -> str:
    """What the dbt models compute: the dbt version, the checksums of the project's models, seeds and
    snapshots and the text of its macros (tests and docs left out). A change in any of them calls for a
    full refresh."""
    project = manifest["metadata"].get("project_name")
    parts = [f"dbt={manifest['metadata'].get('dbt_version')}"] + sorted(
        f"{uid}={node['checksum']['checksum']}"
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed", "snapshot")
    )
    parts += sorted(
        f"{uid}={hashlib.sha256(macro['macro_sql'].encode()).hexdigest()}"
        for uid, macro in manifest["macros"].items()
        if macro.get("package_name") == project
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def prepared_project_fingerprint() -> str | None:
    """The fingerprint of the dbt project as prepared (`make manifest`); None if not prepared."""
    import json

    from pipeline import settings

    manifest = settings.DBT_PROJECT_DIR / "target" / "manifest.json"
    return project_fingerprint(json.loads(manifest.read_text())) if manifest.exists() else None


KEEP_INVOCATIONS = 10  # dagster-dbt gives every dbt call its own target folder; keep the latest ones
# A folder past the latest ones goes once its dbt call has finished: dbt writes run_results.json as
# it ends, and dagster-dbt reads the artifacts right after, so a finished folder is left alone for
# FINISHED_GRACE_S more. Without it only the age rule removed folders, so a test suite's fifty runs
# within the hour kept ~11 MB each (dbt.log, manifest, parse cache, compiled SQL) and the target
# folder grew past 500 MB.
FINISHED_GRACE_S = 120
KEEP_YOUNGER_THAN_S = 3600  # a folder with no run_results.json (a dbt call still running, or one that crashed)
FINISHED_MARK = "run_results.json"


def _finished_before(folder: Path, moment: float) -> bool:
    try:
        return (folder / FINISHED_MARK).stat().st_mtime < moment
    except FileNotFoundError:
        return False


def prune_invocation_folders(target: Path, now: float | None = None) -> list[Path]:
    """Remove the per-invocation dbt target folders past the latest KEEP_INVOCATIONS: a finished one
    (its run_results.json older than FINISHED_GRACE_S), and any older than KEEP_YOUNGER_THAN_S (a call
    that never finished). A folder whose dbt call is still running is never touched, so runs in other
    processes are safe. Returns the folders removed."""
    now = time.time() if now is None else now
    folders = sorted(
        (p for p in target.glob("pledge_dbt_models-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    removed = []
    for folder in folders[KEEP_INVOCATIONS:]:
        if now - folder.stat().st_mtime > KEEP_YOUNGER_THAN_S or _finished_before(folder, now - FINISHED_GRACE_S):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
