"""Where things live. One place for every path; each can be overridden by an
environment variable so tests and benchmarks point the same code at temporary
directories. Paths are made absolute when read."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def _path(var: str, default: Path) -> Path:
    return Path(os.environ.get(var) or default).expanduser().resolve()


def raw_dir() -> Path:
    """Folder of input reports, one file per reporting period."""
    return _path("PLEDGE_RAW_DIR", PROJECT_ROOT / "raw")


WAREHOUSE_ENV = "PLEDGE_WAREHOUSE"


def warehouse_path() -> Path:
    """The published DuckDB file analysts open (read-only)."""
    return _path(WAREHOUSE_ENV, PROJECT_ROOT / "warehouse" / "pledge_activity.duckdb")


def build_dir() -> Path:
    """Working area of a run: the database being built, parse cache, lock."""
    return warehouse_path().parent / ".build"


def build_db_path() -> Path:
    return build_dir() / warehouse_path().name


def cache_dir() -> Path:
    """Content-addressed cache kept across runs: parsed reports by sha256. PLEDGE_CACHE_DIR puts it
    elsewhere, e.g. on storage that the parse workers of a fanned-out run all reach."""
    override = os.environ.get("PLEDGE_CACHE_DIR")
    return Path(override).resolve() if override else warehouse_path().parent / ".cache"


def dbt_executable() -> str:
    """PLEDGE_DBT_EXECUTABLE if set; else dbt from its own environment `.venv-dbt/` (made by the
    Makefile; see dbt_project/requirements.txt); else dbt beside this Python, or on PATH."""
    import shutil
    import sys

    if os.environ.get("PLEDGE_DBT_EXECUTABLE"):
        return os.environ["PLEDGE_DBT_EXECUTABLE"]
    for candidate in (PROJECT_ROOT / ".venv-dbt" / "bin" / "dbt", Path(sys.executable).parent / "dbt"):
        if candidate.exists():
            return str(candidate)
    return shutil.which("dbt") or "dbt"


def dbt_in_build_dir() -> str:
    """Launcher that starts dbt from the run's build folder (see the script's header)."""
    return str(PROJECT_ROOT / "pipeline" / "defs" / "bin" / "dbt-in-build-dir")


def parse_workers() -> int:
    """PLEDGE_PARSE_WORKERS: with 2 or more, `make run` parses the uncached periods through Dagster's
    multiprocess executor (pipeline/defs/parse_fanout.py) in that many worker processes first."""
    return int(os.environ.get("PLEDGE_PARSE_WORKERS") or 0)


LOCK_WAIT_ENV = "PLEDGE_LOCK_WAIT"


def lock_wait(default: float) -> float:
    """PLEDGE_LOCK_WAIT: how many seconds a run that finds the build lock held waits for it before it is
    refused (0: refused at once). `default` is the deployment's (see Warehouse.LOCK_WAIT_DEFAULT)."""
    import math

    text = (os.environ.get(LOCK_WAIT_ENV) or "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"{LOCK_WAIT_ENV}={text!r} is not a number of seconds (0 or more; 0: refuse at once)")
    return seconds


def export_dir() -> Path:
    """The workbook and the CSV files (`csv/`), beside the published warehouse."""
    return warehouse_path().parent / "export"


def parquet_dir() -> Path:
    return warehouse_path().parent / "parquet"


def report_path() -> Path:
    """The offline HTML report."""
    return warehouse_path().parent / "report" / "index.html"
