"""Whether each export was made from the warehouse as it is published now. Each export leaves a stamp
naming the build it was made from (the run that built the published warehouse, the last row of
`staging.run_history`) and the files it wrote; an export whose stamp names another build, or whose
files are gone, is behind, and the next run makes it again even when no report changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from pipeline import settings

EXPORTS = ("workbook", "csv", "parquet", "report")  # in the order a run makes them


def published_build(con: duckdb.DuckDBPyConnection) -> str | None:
    """The run that built the warehouse `con` reads (None for a warehouse without run history)."""
    try:
        row = con.execute("select run_id from staging.run_history order by recorded_at desc limit 1").fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def _stamp(name: str) -> Path:
    return settings.cache_dir() / "exports" / f"{name}.json"


def _relative(path: Path) -> str:
    """Paths beside the warehouse are kept relative to its folder: a copied workspace checks its own."""
    try:
        return str(Path(path).relative_to(settings.warehouse_path().parent))
    except ValueError:
        return str(path)


def record(name: str, build: str | None, outputs: list[Path], cities: dict[str, str] | None = None) -> None:
    """Export `name` now holds build `build`, in these files; `cities`: the fingerprint of each
    municipality's rows its own files were made from (pipeline/export/cities.py)."""
    path = _stamp(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    stamp = {"build": build, "outputs": [_relative(p) for p in outputs], "cities": cities or {}}
    tmp.write_text(json.dumps(stamp, ensure_ascii=False))
    os.replace(tmp, path)


def made_from(name: str) -> dict[str, str]:
    """municipality -> the fingerprint its files of export `name` were made from (empty: none known)."""
    try:
        return json.loads(_stamp(name).read_text()).get("cities") or {}
    except (OSError, ValueError):
        return {}


def behind(build: str | None) -> list[str]:
    """The exports not made from build `build`, or whose files are missing."""
    stale = []
    for name in EXPORTS:
        try:
            stamp = json.loads(_stamp(name).read_text())
        except (OSError, ValueError):
            stale.append(name)
            continue
        folder = settings.warehouse_path().parent
        if stamp.get("build") != build or not all((folder / p).exists() for p in stamp.get("outputs", [])):
            stale.append(name)
    return stale
