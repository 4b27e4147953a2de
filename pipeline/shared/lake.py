"""The shared warehouse as a DuckLake: catalog in Postgres, data as Parquet under the data path.

Write-audit-publish on DuckLake. A run builds and tests in its own local DuckDB file, exactly as the
embedded deployment does (staging load, activity keys, `dbt build` with every test); no analyst reads
that file. Only then does `publish_build` copy every schema of the build into the lake in ONE DuckLake
transaction: DuckLake writes the Parquet files first and commits the catalog rows in one Postgres
transaction, so that commit is one snapshot, and a reader in another process sees the previous
snapshot or the new one, never a mix. A run killed before the commit leaves the published snapshot as
it was (its Parquet files are orphans no snapshot names).

Why not let dbt write the lake directly (dbt-duckdb can attach it)? Every dbt model is its own
statement and commit, so a reader would see half a build, and a model published before a failing test
stays published: the contract is broken before the audit even runs.

Each publish is recorded in the snapshot itself (DuckLake's commit author, message and extra info:
the run id and the periods it changed), so "the warehouse as it was after run X" is
`AT (VERSION => n)` with n read from `snapshots()`. The build's own DDL (tables with their
constraints, views with their SQL) is published beside the data in `pledge_meta.build_objects`, so a
run on another machine can restore an exact working copy from any snapshot (`restore_into`); in the
lake, the build's views are published as tables (their SQL names the build file's catalog, and a
snapshot should not change when its sources do).

`rollback` restores an earlier publish's tables as a new snapshot; nothing is deleted, so a rollback
can itself be rolled back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.shared import extensions, pg
from pipeline.shared.config import SharedConfig

LAKE = "pledge_lake"  # the lake's catalog name in the pipeline's own connections
READER_ALIAS = "pledge"  # the name analysts attach it as (README)
META_SCHEMA = "pledge_meta"
OBJECTS_TABLE = f"{META_SCHEMA}.build_objects"
AUTHOR = "pledge-warehouse"  # commit author of every snapshot this project writes
SKIP_SCHEMAS = {"information_schema", "pg_catalog"}


class LakeError(RuntimeError):
    """The lake cannot be read or written as asked; the message says why."""


class LakeMissingError(LakeError):
    """No DuckLake in that Postgres database yet (nothing was ever published)."""


class LakeMovedError(LakeError):
    """The lake changed since this run started building (another writer): nothing was published."""


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: int
    snapshot_time: dt.datetime
    author: str | None
    message: str | None
    info: dict

    @property
    def kind(self) -> str | None:
        return self.info.get("kind")

    @property
    def token(self) -> str:
        """Identifies this snapshot of this lake: ids restart at 0 in a re-created lake, times do not."""
        return f"{self.snapshot_id}@{self.snapshot_time.isoformat()}"


def _q(value: object) -> str:
    return str(value).replace("'", "''")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def attach(
    con: duckdb.DuckDBPyConnection,
    cfg: SharedConfig,
    *,
    alias: str = LAKE,
    read_only: bool = False,
    as_reader: bool = False,
) -> None:
    """Attach the lake. A writer names the data path (DuckLake creates the lake on first attach and
    refuses a data path other than the one in its catalog); a reader takes it from the catalog.
    `as_reader`: through the read-only role's DSN (PLEDGE_READER_DSN) when one is set."""
    dsn = cfg.read_dsn if as_reader else cfg.postgres_dsn
    uri = f"ducklake:postgres:{dsn}"
    if read_only:
        sql = f"ATTACH '{_q(uri)}' AS {_ident(alias)} (READ_ONLY)"
    else:
        if "://" not in cfg.lake_data_path:
            _private_dir(Path(cfg.lake_data_path))
        sql = f"ATTACH '{_q(uri)}' AS {_ident(alias)} (DATA_PATH '{_q(cfg.lake_data_path)}')"
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        text = str(exc)
        if read_only and "does not exist" in text and "creating a new DuckLake" in text:
            raise LakeMissingError(f"no DuckLake in {redact(dsn)} yet: nothing was published") from None
        if pg.is_access_error(text):
            raise LakeError(pg.explain(dsn, text)) from None  # one line, no driver trace, no DSN echo
        raise LakeError(f"cannot attach the DuckLake in {redact(dsn)}: {first_line(text)}") from exc


def _private_dir(path: Path) -> None:
    """The lake's data folder: written by the pipeline's user only (others may read the Parquet files)."""
    path.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777
    if mode & 0o022 and path.stat().st_uid == os.geteuid():
        path.chmod(mode & ~0o022)


@contextlib.contextmanager
def _owner_writes_only():
    """While the lake's files are written: none of them group- or world-writable, whatever the caller's
    umask (the process's umask is global, so it is put back afterwards)."""
    old = os.umask(0o022)
    os.umask(old | 0o022)
    try:
        yield
    finally:
        os.umask(old)


def connect(
    cfg: SharedConfig, *, read_only: bool, alias: str = LAKE, use: bool = False, as_reader: bool = False
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the lake attached (and made the default catalog if `use`)."""
    con = extensions.connect(data_path=cfg.lake_data_path)
    try:
        attach(con, cfg, alias=alias, read_only=read_only, as_reader=as_reader)
        if use:
            con.execute(f"USE {_ident(alias)}")
    except BaseException:
        con.close()
        raise
    return con


# One read-only DuckDB instance per lake and process, handed out as cursors: loading the two extensions
# costs 170-300 ms per instance here (DuckDB verifies each binary's signature, 77 MB), the attach 60 ms,
# and a run reads the published warehouse some six times (plan, verification, exports, report, summary).
# Every cursor is a connection of its own, and each of its transactions reads the lake's latest snapshot.
_READERS: dict[SharedConfig, duckdb.DuckDBPyConnection] = {}
_READERS_LOCK = threading.Lock()


def connect_reader(cfg: SharedConfig) -> duckdb.DuckDBPyConnection:
    """What an analyst gets: the lake read-only as catalog `pledge`, the default, so `marts.dim_event`
    reads as in the embedded file; through the read-only role when PLEDGE_READER_DSN is set. Raises
    LakeMissingError if nothing was published yet."""
    with _READERS_LOCK:
        base = _READERS.get(cfg)
        if base is None:
            base = _READERS[cfg] = connect(cfg, read_only=True, alias=READER_ALIAS, as_reader=True)
    con = base.cursor()
    con.execute(f"USE {_ident(READER_ALIAS)}")
    if not has_publish(con, READER_ALIAS):
        con.close()
        raise LakeMissingError("the DuckLake exists but holds no published warehouse yet")
    return con


# -- snapshots --------------------------------------------------------------------------------------
def current_snapshot(con: duckdb.DuckDBPyConnection, alias: str = LAKE) -> Snapshot:
    row = con.execute(
        "select snapshot_id, snapshot_time, author, commit_message, commit_extra_info "
        f"from {_ident(alias)}.snapshots() "
        f"where snapshot_id = (select id from {_ident(alias)}.current_snapshot())"
    ).fetchone()
    return _snapshot(row)


def snapshots(con: duckdb.DuckDBPyConnection, alias: str = LAKE, *, ours_only: bool = True) -> list[Snapshot]:
    where = f"where author = '{AUTHOR}'" if ours_only else ""
    rows = con.execute(
        f"select snapshot_id, snapshot_time, author, commit_message, commit_extra_info "
        f"from {_ident(alias)}.snapshots() {where} order by snapshot_id"
    ).fetchall()
    return [_snapshot(r) for r in rows]


def _snapshot(row) -> Snapshot:
    info = {}
    if row[4]:
        try:
            info = json.loads(row[4])
        except ValueError:
            info = {"raw": row[4]}
    return Snapshot(snapshot_id=int(row[0]), snapshot_time=row[1], author=row[2], message=row[3], info=info)


def has_publish(con: duckdb.DuckDBPyConnection, alias: str = LAKE, version: int | None = None) -> bool:
    """Whether the lake (at `version`, default the current one) holds a published warehouse."""
    at = f" AT (VERSION => {int(version)})" if version is not None else ""
    try:
        con.execute(f"select count(*) from {_ident(alias)}.{OBJECTS_TABLE}{at}").fetchone()
        return True
    except duckdb.CatalogException:
        return False


def state_of(snap: Snapshot) -> int:
    """The publish whose tables a snapshot holds: itself for a publish, the restored one for a rollback."""
    return int(snap.info.get("state_of", snap.snapshot_id))


# -- the build's objects ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BuildObject:
    schema_name: str
    object_name: str
    object_kind: str  # 'table' | 'view' (published as a table)
    create_sql: str
    position: int


def build_objects(con: duckdb.DuckDBPyConnection, catalog: str) -> list[BuildObject]:
    """Every table and view of the build file attached as `catalog`, tables first, in creation order."""
    rows = con.execute(
        """select schema_name, table_name, 'table', sql, table_oid from duckdb_tables() where database_name = ?
           union all
           select schema_name, view_name, 'view', sql, view_oid from duckdb_views()
           where database_name = ? and not internal
           order by 3, 5""",
        [catalog, catalog],
    ).fetchall()
    return [BuildObject(s, n, k, sql, i) for i, (s, n, k, sql, _) in enumerate(rows) if s not in SKIP_SCHEMAS]


def _lake_tables(con: duckdb.DuckDBPyConnection, alias: str) -> list[tuple[str, str]]:
    return con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ?", [alias]
    ).fetchall()


def _lake_schemas(con: duckdb.DuckDBPyConnection, alias: str) -> set[str]:
    return {
        r[0]
        for r in con.execute("select schema_name from duckdb_schemas() where database_name = ?", [alias]).fetchall()
    }


def _write_objects_table(con: duckdb.DuckDBPyConnection, objects: list[BuildObject], alias: str) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(alias)}.{META_SCHEMA}")
    con.execute(
        f"CREATE OR REPLACE TABLE {_ident(alias)}.{OBJECTS_TABLE} (schema_name VARCHAR NOT NULL, "
        "object_name VARCHAR NOT NULL, object_kind VARCHAR NOT NULL, create_sql VARCHAR NOT NULL, "
        "position INTEGER NOT NULL)"
    )
    if objects:
        con.executemany(
            f"INSERT INTO {_ident(alias)}.{OBJECTS_TABLE} VALUES (?, ?, ?, ?, ?)",
            [(o.schema_name, o.object_name, o.object_kind, o.create_sql, o.position) for o in objects],
        )


def _read_objects_table(con: duckdb.DuckDBPyConnection, alias: str, version: int) -> list[BuildObject]:
    rows = con.execute(
        f"select schema_name, object_name, object_kind, create_sql, position "
        f"from {_ident(alias)}.{OBJECTS_TABLE} AT (VERSION => {int(version)}) order by position"
    ).fetchall()
    return [BuildObject(*r) for r in rows]


def _commit_info(con: duckdb.DuckDBPyConnection, alias: str, message: str, info: dict) -> None:
    con.execute(
        f"CALL {_ident(alias)}.set_commit_message(?, ?, extra_info => ?)",
        [AUTHOR, message, json.dumps(info, default=str, sort_keys=True)],
    )


def _replace_tables(con: duckdb.DuckDBPyConnection, alias: str, wanted: list[BuildObject], source_sql) -> None:
    """Inside an open transaction: make the lake's tables exactly `wanted`, each filled by
    `source_sql(obj)`; tables and schemas of the lake that are not wanted are dropped."""
    lake = _ident(alias)
    schemas = {o.schema_name for o in wanted}
    for schema in sorted(schemas - _lake_schemas(con, alias)):
        con.execute(f"CREATE SCHEMA {lake}.{_ident(schema)}")
    keep = {(o.schema_name, o.object_name) for o in wanted}
    for schema, table in _lake_tables(con, alias):
        if schema != META_SCHEMA and (schema, table) not in keep:
            con.execute(f"DROP TABLE {lake}.{_ident(schema)}.{_ident(table)}")
    for o in wanted:
        con.execute(
            f"CREATE OR REPLACE TABLE {lake}.{_ident(o.schema_name)}.{_ident(o.object_name)} AS {source_sql(o)}"
        )
    for schema in sorted(_lake_schemas(con, alias) - schemas - {META_SCHEMA, "main"}):
        con.execute(f"DROP SCHEMA {lake}.{_ident(schema)}")


# -- publish -----------------------------------------------------------------------------------------
def publish_build(cfg: SharedConfig, build_db: Path, *, base_token: str | None, info: dict, message: str) -> Snapshot:
    """Copy every schema of the audited build file into the lake as one snapshot; returns it.

    Refused (LakeMovedError, nothing written) if the lake's current snapshot is no longer the one the
    build started from (`base_token`, None for an empty lake): another writer published since.
    """
    catalog = build_db.stem  # the build's views name their tables through this catalog name
    con = extensions.connect(data_path=cfg.lake_data_path)
    try:
        con.execute(f"ATTACH '{_q(build_db)}' AS {_ident(catalog)} (READ_ONLY)")
        attach(con, cfg, alias=LAKE, read_only=False)
        now = current_snapshot(con)
        now_token = now.token if has_publish(con) else None
        if now_token != base_token:
            raise LakeMovedError(
                f"the shared warehouse changed while this run was building (now snapshot {now.snapshot_id}: "
                f"{now.message or 'not written by this project'}); nothing was published. Run again."
            )
        objects = build_objects(con, catalog)
        _replace_as_one_snapshot(
            con,
            objects,
            lambda o: f"FROM {_ident(catalog)}.{_ident(o.schema_name)}.{_ident(o.object_name)}",
            message,
            info,
        )
        return current_snapshot(con)
    finally:
        con.close()


def _replace_as_one_snapshot(con, objects, source, message: str, info: dict) -> None:
    """Every object of the lake replaced from `source(object)`, its list and the commit's message and info
    written, in one transaction: one new snapshot, or none (a publish and a rollback alike)."""
    with _owner_writes_only():
        con.execute("BEGIN TRANSACTION")
        try:
            _replace_tables(con, LAKE, objects, source)
            _write_objects_table(con, objects, LAKE)
            _commit_info(con, LAKE, message, info)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


# -- restore a working copy ------------------------------------------------------------------------------
def restore_into(cfg: SharedConfig, build_db: Path, version: int) -> None:
    """Write, at `build_db`, the build file that published snapshot `version`: the same tables (with
    their DDL: constraints, types), rows and views. Written beside it and moved in whole."""
    work = build_db.parent / ".restoring"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    target = work / build_db.name  # same file name: the views' SQL names the catalog after it
    try:
        con = extensions.connect(str(target), data_path=cfg.lake_data_path)
        try:
            attach(con, cfg, alias=LAKE, read_only=True)
            objects = _read_objects_table(con, LAKE, version)
            for schema in sorted({o.schema_name for o in objects} - {"main"}):
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
            con.execute("BEGIN TRANSACTION")
            for o in (o for o in objects if o.object_kind == "table"):
                con.execute(o.create_sql)
                con.execute(
                    f"INSERT INTO {_ident(o.schema_name)}.{_ident(o.object_name)} BY NAME "
                    f"FROM {_ident(LAKE)}.{_ident(o.schema_name)}.{_ident(o.object_name)} "
                    f"AT (VERSION => {int(version)})"
                )
            _create_views(con, [o for o in objects if o.object_kind == "view"])
            con.execute("COMMIT")
            con.execute(f"DETACH {_ident(LAKE)}")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(target, build_db)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _create_views(con: duckdb.DuckDBPyConnection, views: list[BuildObject]) -> None:
    """A view binds its sources when created: create each once the views it reads exist."""
    pending = list(views)
    while pending:
        failed: list[tuple[BuildObject, duckdb.Error]] = []
        for view in pending:
            try:
                con.execute(view.create_sql)
            except duckdb.CatalogException as exc:
                failed.append((view, exc))
        if len(failed) == len(pending):
            raise LakeError(
                f"cannot restore view {failed[0][0].schema_name}.{failed[0][0].object_name}: "
                f"{first_line(str(failed[0][1]))}"
            )
        pending = [v for v, _ in failed]


# -- rollback -------------------------------------------------------------------------------------------
def rollback_target(history: list[Snapshot], current: Snapshot) -> Snapshot:
    """The publish before the one whose tables the lake holds now."""
    publishes = [s for s in history if s.kind == "publish"]
    state = state_of(current) if current.author == AUTHOR else current.snapshot_id
    earlier = [s for s in publishes if s.snapshot_id < state]
    if not earlier:
        raise LakeError(
            f"snapshot {current.snapshot_id} holds the first publish of this lake: there is no "
            "earlier one to roll back to"
        )
    return earlier[-1]


def restore_snapshot(cfg: SharedConfig, version: int | None, *, by: str) -> tuple[Snapshot, Snapshot, Snapshot]:
    """Make the tables of an earlier publish (`version`; default: the one before the current state) the
    current ones, as a new snapshot. Returns (replaced, restored, new) snapshots."""
    con = connect(cfg, read_only=False)
    try:
        if not has_publish(con):
            raise LakeError("the shared warehouse holds no publish yet: nothing to roll back")
        current = current_snapshot(con)
        history = snapshots(con)
        if version is None:
            target = rollback_target(history, current)
        else:
            found = [s for s in snapshots(con, ours_only=False) if s.snapshot_id == int(version)]
            if not found or not has_publish(con, version=int(version)):
                raise LakeError(
                    f"snapshot {version} holds no published warehouse (list them: python -m pipeline.shared history)"
                )
            target = found[0]
        objects = _read_objects_table(con, LAKE, target.snapshot_id)
        before = _periods(con, None)
        after = _periods(con, target.snapshot_id)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        _replace_as_one_snapshot(
            con,
            objects,
            lambda o: (
                f"FROM {_ident(LAKE)}.{_ident(o.schema_name)}.{_ident(o.object_name)} "
                f"AT (VERSION => {target.snapshot_id})"
            ),
            f"rollback to snapshot {target.snapshot_id}",
            {
                "kind": "rollback",
                "by": by,
                "restored_snapshot": target.snapshot_id,
                "state_of": state_of(target),
                "replaced_snapshot": current.snapshot_id,
                "run_id": target.info.get("run_id"),
                "periods_changed": changed,
            },
        )
        return current, target, current_snapshot(con)
    finally:
        con.close()


def _periods(con: duckdb.DuckDBPyConnection, version: int | None) -> dict[str, tuple[str, str]]:
    """period key (`전주시/2020-12-31`) -> (sha256, parser fingerprint) of the lake at `version`. Keyed by the
    municipality too: two cities' reports of one date are two periods. A publish of the layout before
    municipalities is keyed by its date alone."""
    from pipeline.load.staging import PERIOD_KEY_SQL

    at = f" AT (VERSION => {int(version)})" if version is not None else ""
    table = f"{_ident(LAKE)}.staging.report_files{at}"
    try:
        rows = con.execute(f"select {PERIOD_KEY_SQL}, sha256, parser_fingerprint from {table}").fetchall()
    except duckdb.BinderException:
        rows = con.execute(f"select report_date, sha256, parser_fingerprint from {table}").fetchall()
    except duckdb.CatalogException:
        return {}
    return {str(k): (sha, fp) for k, sha, fp in rows}


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def redact(dsn: str) -> str:
    """The DSN without its password, for messages."""
    import re

    dsn = re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", dsn)
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", dsn)
