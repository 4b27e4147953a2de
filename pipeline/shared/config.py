"""Which deployment a process is in, from two settings.

Nothing set: the embedded default (one DuckDB file, Dagster's SQLite storage), exactly as before.
Both set: the shared deployment. `PLEDGE_POSTGRES_DSN` is a libpq URI (or key=value string) naming one
Postgres database that holds Dagster's storage and the DuckLake catalog; `PLEDGE_LAKE_DATA_PATH` is
where the DuckLake writes its Parquet files (a shared folder here, object storage in production).
One set without the other is refused: a run that silently fell back to the embedded file would
publish where no analyst of the shared warehouse looks.

`PLEDGE_READER_DSN` (optional) names the same database as the read-only role (`pledge_reader`, see
roles.sql): every read of the published warehouse (`make sql`, `make mf`, the report, the exports,
the run's own checks after its publish) goes through it when it is set, so a reader that tried to
write would be refused by Postgres itself. An analyst's machine needs only it and the data path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

POSTGRES_DSN_ENV = "PLEDGE_POSTGRES_DSN"
LAKE_DATA_PATH_ENV = "PLEDGE_LAKE_DATA_PATH"
READER_DSN_ENV = "PLEDGE_READER_DSN"


class SharedConfigError(ValueError):
    """The shared deployment is half configured; the message says what to set."""


@dataclass(frozen=True)
class SharedConfig:
    postgres_dsn: str
    lake_data_path: str  # a local folder (made absolute) or an object-store URL (s3://, gs://, az://)
    reader_dsn: str | None = None  # the read-only role's DSN, if set

    @property
    def lake_uri(self) -> str:
        """What `ATTACH` takes: the DuckLake whose catalog is in this Postgres database."""
        return f"ducklake:postgres:{self.postgres_dsn}"

    @property
    def read_dsn(self) -> str:
        """The DSN readers of the published warehouse connect with: the reader's, else the writer's."""
        return self.reader_dsn or self.postgres_dsn

    @property
    def reader_uri(self) -> str:
        return f"ducklake:postgres:{self.read_dsn}"


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
            "them), or neither for the embedded warehouse file"
        )
    _check_uri(POSTGRES_DSN_ENV, dsn)
    reader = (env.get(READER_DSN_ENV) or "").strip() or None
    if reader:
        _check_uri(READER_DSN_ENV, reader)
    return SharedConfig(postgres_dsn=dsn, lake_data_path=_data_path(data), reader_dsn=reader)


def reader_config(environ: os._Environ | dict | None = None) -> SharedConfig | None:
    """The settings an analyst's tool reads the shared warehouse with: PLEDGE_READER_DSN (the data path
    then optional: a reader takes it from the catalog), else the pipeline's own settings, else None."""
    env = os.environ if environ is None else environ
    reader = (env.get(READER_DSN_ENV) or "").strip()
    if not reader:
        return shared_config(env)
    _check_uri(READER_DSN_ENV, reader)
    data = (env.get(LAKE_DATA_PATH_ENV) or "").strip()
    return SharedConfig(
        postgres_dsn=(env.get(POSTGRES_DSN_ENV) or "").strip() or reader,
        lake_data_path=_data_path(data) if data else "",
        reader_dsn=reader,
    )


def _check_uri(name: str, dsn: str) -> None:
    if not dsn.startswith(("postgresql://", "postgres://")):
        # Dagster's storage takes a URI (SQLAlchemy), the DuckLake catalog any libpq string: a URI serves both.
        # the value itself is not repeated: it may hold a password
        raise SharedConfigError(
            f"{name} must be a libpq URI, postgresql://user@host:port/database?passfile=... (the value set is not one)"
        )


def _data_path(data: str) -> str:
    if not _is_url(data):
        data = os.path.abspath(os.path.expanduser(data))
    # DuckLake stores the data path with a trailing slash and compares it on every writer's attach.
    return data.rstrip("/") + "/"


def enabled() -> bool:
    return shared_config() is not None
