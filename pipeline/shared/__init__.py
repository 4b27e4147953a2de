"""The shared deployment: Dagster's storage on Postgres, the warehouse as a DuckLake (catalog in the same
Postgres database, Parquet files under a data path), selected by two settings (pipeline/shared/config.py).
Without them nothing here is used and the embedded deployment runs as it always has.

The seam is small on purpose: `open_warehouse` gives the Dagster warehouse resource and `make run` an
object with the embedded `Warehouse`'s interface (lock, working copy, publish); `connect_published`
gives every reader of the published warehouse (the run's plan and summary, the report, the exports)
a read-only connection on whichever warehouse is published. The rest lives in this package:
config.py (the two settings), extensions.py (DuckDB extensions by path), lock.py (advisory lock),
lake.py (publish, restore, rollback), warehouse.py (the shared `Warehouse`), cluster.py (a local
Postgres for `make shared-up` and the tests), __main__.py (`python -m pipeline.shared ...`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.shared.config import SharedConfig, SharedConfigError, enabled, shared_config  # noqa: F401


def _is_published_path(path: Path) -> bool:
    from pipeline import settings

    return Path(path).expanduser().resolve() == settings.warehouse_path()


def open_warehouse(path: Path):
    """The warehouse a run builds and publishes: the DuckLake when the shared deployment is configured,
    else the embedded DuckDB file at `path`."""
    from pipeline.publish.warehouse import Warehouse

    cfg = shared_config()
    if cfg is None:
        return Warehouse(path)
    from pipeline.shared.warehouse import SharedWarehouse

    return SharedWarehouse(path, cfg)


def open_published(path: Path) -> duckdb.DuckDBPyConnection | None:
    """`connect_published(path)`, or None when nothing is published there yet (one attach, not two)."""
    cfg = shared_config()
    if cfg is None or not _is_published_path(path):
        return duckdb.connect(str(path), read_only=True) if Path(path).exists() else None
    from pipeline.shared import lake

    try:
        return lake.connect_reader(cfg)
    except lake.LakeMissingError:
        return None
    except lake.LakeError as exc:  # Postgres unreachable, say: the same error type a bad file raises
        raise duckdb.IOException(str(exc)) from None


def published_label(path: Path) -> str:
    """What `path` stands for in messages: the file, or the shared warehouse."""
    cfg = shared_config()
    if cfg is None or not _is_published_path(path):
        return str(path)
    from pipeline.shared.lake import redact

    # the reader's URI when there is one: what `make sql` and analysts attach
    return f"the shared warehouse ({redact(cfg.reader_uri)}, data under {cfg.lake_data_path})"


def connect_published(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection on the published warehouse at `path`, where `marts.*` and `staging.*` read
    as in the embedded file. In the shared deployment the published warehouse is the DuckLake (attached
    read-only as catalog `pledge` and made the default), and `path`, the local warehouse path, names it;
    any other path is a DuckDB file, opened read-only as before."""
    cfg = shared_config()
    if cfg is None or not _is_published_path(path):
        return duckdb.connect(str(path), read_only=True)
    from pipeline.shared import lake

    try:
        return lake.connect_reader(cfg)
    except lake.LakeError as exc:
        # The same error type a missing DuckDB file raises, so callers handle both alike.
        raise duckdb.IOException(f"the shared warehouse cannot be read: {exc}") from None
