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


def warehouse_path() -> Path:
    """The published DuckDB file analysts open (read-only)."""
    return _path("PLEDGE_WAREHOUSE", PROJECT_ROOT / "warehouse" / "pledge_activity.duckdb")


def build_dir() -> Path:
    """Working area of a run: the database being built, parse cache, lock."""
    return warehouse_path().parent / ".build"


def build_db_path() -> Path:
    return build_dir() / warehouse_path().name


def cache_dir() -> Path:
    """Content-addressed cache kept across runs: parsed reports by sha256."""
    return warehouse_path().parent / ".cache"


def dbt_executable() -> str:
    """dbt from the same environment as this Python (the project's .venv), found without PATH."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")
