"""The DuckDB extensions, loaded from their registry packages by path: the shared deployment's two, and fts.

`ducklake` (the lakehouse format) and `postgres_scanner` (its catalog in Postgres) come from the PyPI
packages `duckdb-extension-ducklake` and `duckdb-extension-postgres-scanner`, whose version is the
pinned DuckDB's (pyproject.toml). DuckDB would otherwise download a missing extension from its
extension repository the first time a statement needs it; here nothing is downloaded at run time:
every connection turns auto-install and auto-load off and LOADs the packaged binaries.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

# extension name -> the Python package that ships its binary
PACKAGES = {"postgres_scanner": "duckdb_extension_postgres_scanner", "ducklake": "duckdb_extension_ducklake"}
# Only for a data path in object storage (s3://, gs://, https://): `pip install '.[object-storage]'`.
# Not exercised here (no object store is reachable from this machine); the local folder is.
OBJECT_STORAGE = {"httpfs": "duckdb_extension_httpfs"}
# The full-text index of search (pipeline/search/index.py), in every deployment.
SEARCH = {"fts": "duckdb_extension_fts"}

# Off in every connection of the shared deployment, so a missing binary is an error, never a download.
NO_DOWNLOADS = {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


class ExtensionMissingError(RuntimeError):
    pass


def extension_path(name: str) -> Path:
    """The binary of extension `name` for this DuckDB version, from its installed package."""
    package = {**PACKAGES, **OBJECT_STORAGE, **SEARCH}[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        raise ExtensionMissingError(
            f"the DuckDB extension {name} is not installed (PyPI package {package.replace('_', '-')}=="
            f"{duckdb.__version__}); `make prepare` installs it"
        )
    path = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise ExtensionMissingError(
            f"{path} is missing: the installed {package} does not match duckdb "
            f"{duckdb.__version__}; reinstall it at that version"
        )
    return path


def needed(data_path: str | None = None) -> list[str]:
    """The extensions a lake with this data path needs."""
    remote = data_path is not None and "://" in data_path
    return list(PACKAGES) + (list(OBJECT_STORAGE) if remote else [])


def load_statements(data_path: str | None = None) -> list[str]:
    """SQL that makes any DuckDB client of the pinned version (Python or the CLI) ready to attach the lake."""
    return [f"SET {k} = {v}" for k, v in NO_DOWNLOADS.items()] + [
        f"LOAD '{_sql_str(extension_path(name))}'" for name in needed(data_path)
    ]


def connect(
    database: str = ":memory:", *, read_only: bool = False, data_path: str | None = None
) -> duckdb.DuckDBPyConnection:
    # No replacement scans: a table missing from the lake is an error, never a Python variable of that name.
    con = duckdb.connect(database, read_only=read_only, config={**NO_DOWNLOADS, "python_enable_replacements": "false"})
    for name in needed(data_path):
        con.execute(f"LOAD '{_sql_str(extension_path(name))}'")
    return con


def _sql_str(value: object) -> str:
    return str(value).replace("'", "''")
