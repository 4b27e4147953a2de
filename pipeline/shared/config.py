"""Which deployment a process is in, from two settings.

Nothing set: the embedded default (one DuckDB file, Dagster's SQLite storage), exactly as before.
Both set: the shared deployment. `PLEDGE_POSTGRES_DSN` is a libpq URI (or key=value string) naming one
Postgres database that holds Dagster's storage and the DuckLake catalog; `PLEDGE_LAKE_DATA_PATH` is
where the DuckLake writes its Parquet files (a shared folder here, object storage in production).
One set without the other is refused: a run that silently fell back to the embedded file would
publish where no analyst of the shared warehouse looks.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

POSTGRES_DSN_ENV = "PLEDGE_POSTGRES_DSN"
LAKE_DATA_PATH_ENV = "PLEDGE_LAKE_DATA_PATH"


class SharedConfigError(ValueError):
    """The shared deployment is half configured; the message says what to set."""


@dataclass(frozen=True)
class SharedConfig:
    postgres_dsn: str
    lake_data_path: str  # a local folder (made absolute) or an object-store URL (s3://, gs://, az://)

    @property
    def lake_uri(self) -> str:
        """What `ATTACH` takes: the DuckLake whose catalog is in this Postgres database."""
        return f"ducklake:postgres:{self.postgres_dsn}"


def _is_url(path: str) -> bool:
    return "://" in path


def shared_config(environ: os._Environ | dict | None = None) -> SharedConfig | None:
    """The shared deployment's settings, or None for the embedded default."""
    env = os.environ if environ is None else environ
    dsn = (env.get(POSTGRES_DSN_ENV) or "").strip()
    data = (env.get(LAKE_DATA_PATH_ENV) or "").strip()
    if not dsn and not data:
        return None
    if not (dsn and data):
        have, missing = (POSTGRES_DSN_ENV, LAKE_DATA_PATH_ENV) if dsn else (LAKE_DATA_PATH_ENV, POSTGRES_DSN_ENV)
        raise SharedConfigError(
            f"{have} is set but {missing} is not: set both for the shared deployment (`make shared-up` prints "
            "them), or neither for the embedded warehouse file")
    if not dsn.startswith(("postgresql://", "postgres://")):
        # Dagster's storage takes a URI (SQLAlchemy), the DuckLake catalog any libpq string: a URI serves both.
        raise SharedConfigError(f"{POSTGRES_DSN_ENV} must be a libpq URI, postgresql://user[:password]@host:port/"
                                f"database, not {dsn.split()[0]!r}...")
    if not _is_url(data):
        data = os.path.abspath(os.path.expanduser(data))
    # DuckLake stores the data path with a trailing slash and compares it on every writer's attach.
    return SharedConfig(postgres_dsn=dsn, lake_data_path=data.rstrip("/") + "/")


def enabled() -> bool:
    return shared_config() is not None
