"""The project's Dagster instance: its `dagster.yaml`, Dagster's own storage configured by its
public settings only.

Run, event log and schedule storage are Dagster's SQLite defaults under DAGSTER_HOME (the same
files `dagster dev` reads); in the shared deployment (PLEDGE_POSTGRES_DSN set, see
pipeline/shared/config.py) they are dagster-postgres's, in that Postgres database, so the webserver,
the daemon and runs can be processes on different machines. The file names the environment variable,
never the DSN itself, so no password is written to disk. A run's cost in events is kept down where
events are made, not by replacing the storage: one planned event per asset for the partition range
(DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS, see pipeline/run.py), per-period tables as one
materialization's metadata. `make bench` measures what the event log costs a run.
"""

from __future__ import annotations

import os
from pathlib import Path

HEADER = "# Project-local Dagster instance (written by pipeline/defs/instance.py; git-ignored)."


POSTGRES_DSN_ENV = "PLEDGE_POSTGRES_DSN"  # the same setting as pipeline/shared/config.py's
# What dagster.yaml reads: the same DSN with SQLAlchemy's psycopg2 driver named. SQLAlchemy 2.1 maps a
# bare `postgresql://` to psycopg 3, on which dagster-postgres 0.29's `NOTIFY run_events, %s` fails
# (psycopg 3 binds server-side); psycopg2 is the driver dagster-postgres installs. Set from the DSN by
# `export_dagster_postgres_url` (pipeline/run.py) and by the Makefile (make dev).
DAGSTER_URL_ENV = "PLEDGE_DAGSTER_POSTGRES_URL"


def dagster_postgres_url(dsn: str) -> str:
    for scheme in ("postgresql://", "postgres://"):
        if dsn.startswith(scheme):
            return "postgresql+psycopg2://" + dsn[len(scheme) :]
    return dsn  # already names a driver, or not a URI (Dagster then says so)


def export_dagster_postgres_url() -> None:
    dsn = os.environ.get(POSTGRES_DSN_ENV, "").strip()
    if dsn:
        os.environ[DAGSTER_URL_ENV] = dagster_postgres_url(dsn)


def dagster_yaml(home: Path, *, postgres: bool | None = None) -> str:
    """The instance configuration for a DAGSTER_HOME folder: SQLite storage under `home` (or Postgres
    storage from PLEDGE_POSTGRES_DSN when `postgres`, by default when that variable is set), one run
    at a time from the queue (the warehouse has one writer), no telemetry."""
    if postgres is None:
        postgres = bool(os.environ.get(POSTGRES_DSN_ENV, "").strip())
    storage = (
        f"""\
storage:
  postgres:
    postgres_url:
      env: {DAGSTER_URL_ENV}
"""
        if postgres
        else f"""\
storage:
  sqlite:
    base_dir: {home}
"""
    )
    return f"""\
{HEADER}
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
{storage}"""


def ensure_dagster_yaml(home: Path) -> Path:
    """Write `home/dagster.yaml`, or bring one this project wrote earlier up to date.
    A dagster.yaml written by someone else is left as it is."""
    home.mkdir(parents=True, exist_ok=True)
    export_dagster_postgres_url()
    config = home / "dagster.yaml"
    wanted = dagster_yaml(home)
    if not config.exists() or (config.read_text().startswith(HEADER[:30]) and config.read_text() != wanted):
        tmp = config.with_name("dagster.yaml.tmp")
        tmp.write_text(wanted)
        os.replace(tmp, config)
    return config
