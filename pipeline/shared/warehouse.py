"""The shared warehouse behind the same interface as the embedded one (`pipeline.publish.warehouse.Warehouse`):
lock, working copy, publish. The Dagster resource and `make run` pick one by configuration
(`open_warehouse`) and do not otherwise know which deployment they run in.

- **Lock**: a Postgres advisory lock (pipeline/shared/lock.py) instead of a `flock` on a local folder.
- **Working copy**: the run's local DuckDB build file (the same path as in the embedded deployment, so
  staging, activity keys and dbt run unchanged) starts from the lake's current snapshot: a copy of this
  machine's last published build when that is still the lake's current snapshot (the common case,
  as fast as the embedded copy), else restored from the lake (a new machine, another machine's run,
  a rollback). The snapshot it started from is written beside it (`LAKE_BASE`).
- **Publish**: one DuckLake transaction (pipeline/shared/lake.py), refused if the lake moved since the
  build started or if this run no longer holds the lock; then verified from a fresh read-only connection.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from pipeline.publish.warehouse import (
    _MARKER,
    BuildLockedError,
    PublishRefusedError,
    Warehouse,
    WarehouseError,
    periods_held,
    wal_of,
)
from pipeline.shared import lake, lock
from pipeline.shared.config import SharedConfig

BASE_FILE = "LAKE_BASE"  # {"run_id", "token"}: the snapshot this run's working copy started from
CACHE_NAME = "lake_published"  # this machine's copy of its last published build, and its snapshot


class SharedWarehouse(Warehouse):
    """The DuckLake named by `cfg`, built in a local working copy under `path`'s folder.

    `path` is the local warehouse path of the embedded deployment (PLEDGE_WAREHOUSE); in the shared
    deployment no file is published there: it only names the folder of the working copy, the parse
    cache and the exports, and stands for "the published warehouse" in `connect_published`.
    """

    def __init__(self, path: Path, cfg: SharedConfig):
        super().__init__(path)
        self.cfg = cfg
        self.cache_db = self.build_dir / f"{CACHE_NAME}.duckdb"
        self.cache_meta = self.build_dir / f"{CACHE_NAME}.json"
        self._lock: lock.AdvisoryLock | None = None

    # Several machines publish to one lake, each from its own raw/: a run refused because another holds
    # the lock would leave its machine's reports out until that machine runs again. So it waits (a run
    # takes about 20-35 s; ten minutes is a queue of many, or a stuck holder worth an exit 2).
    LOCK_WAIT_DEFAULT = 600.0

    def __str__(self) -> str:
        return f"the shared warehouse ({lake.redact(self.cfg.lake_uri)}, data under {self.cfg.lake_data_path})"

    # -- the lock -----------------------------------------------------------------------------
    def acquire_lock(self, what: str = "build") -> BothLocks:
        """The lake's advisory lock, and the local folder's `flock` too: the working copy lives in the
        same local folder as an embedded run's, and two runs must never share it."""
        local = self.local_lock()
        try:
            self._lock = lock.try_acquire(self.cfg.postgres_dsn, what)
        except lock.LockHeldError as exc:
            local.release()
            raise BuildLockedError(
                f"another run is building {self}: {exc}; wait for it to finish and run again", exc.holder
            ) from None
        except BaseException:
            local.release()
            raise
        return BothLocks(local, self._lock)

    def lock_holder(self) -> str | None:
        """Who holds the lake's lock (or this machine's local one), asked without taking the advisory
        lock: two runs starting at once must not refuse each other because one's check held it."""
        held_by = lock.holder(self.cfg.postgres_dsn, lock.lock_key())
        if held_by is not None:
            return f"the lock is held by {held_by}"
        return super().lock_holder()

    # -- the working copy ---------------------------------------------------------------------
    def start_build(self, run_id: str) -> Path:
        self.build_dir.mkdir(parents=True, exist_ok=True)
        for leftover in self.build_dir.glob("*.copying"):
            leftover.unlink(missing_ok=True)
        for p in (self.build_db, wal_of(self.build_db), self.build_dir / _MARKER, self.build_dir / BASE_FILE):
            p.unlink(missing_ok=True)
        try:
            con = lake.connect(self.cfg, read_only=True)
        except lake.LakeMissingError:
            con = None  # a new lake: the first run builds from nothing
        if con is None:
            token = None
        else:
            with con:
                current = lake.current_snapshot(con)
                token = current.token if lake.has_publish(con) else None
            if token is not None:
                if self._cached_token() == token:
                    tmp = self.build_db.with_name(self.build_db.name + ".copying")
                    try:
                        shutil.copyfile(self.cache_db, tmp)
                    except BaseException:
                        tmp.unlink(missing_ok=True)
                        raise
                    os.replace(tmp, self.build_db)
                else:
                    lake.restore_into(self.cfg, self.build_db, current.snapshot_id)
        (self.build_dir / BASE_FILE).write_text(json.dumps({"run_id": run_id, "token": token}))
        (self.build_dir / _MARKER).write_text(run_id)
        return self.build_db

    def _cached_token(self) -> str | None:
        try:
            meta = json.loads(self.cache_meta.read_text())
        except (OSError, ValueError):
            return None
        same_lake = meta.get("lake") == self.cfg.lake_uri and meta.get("data_path") == self.cfg.lake_data_path
        return meta.get("token") if same_lake and self.cache_db.is_file() else None

    def base_token(self, run_id: str) -> str | None:
        meta = json.loads((self.build_dir / BASE_FILE).read_text())
        if meta.get("run_id") != run_id:
            raise WarehouseError(f"the working copy in {self.build_dir} belongs to run {meta.get('run_id')}")
        return meta["token"]

    # -- publishing ---------------------------------------------------------------------------
    def publish(self, run_id: str) -> Path:
        build_db = self.build_path(run_id)
        base = self.base_token(run_id)
        with duckdb.connect(str(build_db)) as con:
            con.execute("CHECKPOINT")
            expected = periods_held(con)
            changed = _periods_changed(con)
        wal_of(build_db).unlink(missing_ok=True)
        if self._lock is not None and not self._lock.still_held():
            raise PublishRefusedError(
                f"this run no longer holds the build lock of {self} (its Postgres session "
                "ended), so another run may be building: nothing was published. Run again."
            )
        info = {
            "kind": "publish",
            "run_id": run_id,
            "periods_changed": changed,
            "periods": sorted(str(d) for d in expected),
        }
        try:
            snap = lake.publish_build(self.cfg, build_db, base_token=base, info=info, message=f"publish run {run_id}")
        except lake.LakeMovedError as exc:
            raise PublishRefusedError(str(exc)) from None
        try:
            verify_lake(self.cfg, expected, run_id)
        except WarehouseError:
            # Committed but not what this run built: put the snapshot it started from back, as the
            # embedded publish puts the previous file back, so a failed run publishes nothing.
            if base is not None:
                lake.restore_snapshot(self.cfg, int(base.split("@")[0]), by=f"run {run_id}: failed verification")
            raise
        # This machine's copy of what it published, for the next run here (start_build checks the token).
        self.cache_meta.unlink(missing_ok=True)
        os.replace(build_db, self.cache_db)
        self.cache_meta.write_text(
            json.dumps(
                {"token": snap.token, "lake": self.cfg.lake_uri, "data_path": self.cfg.lake_data_path, "run_id": run_id}
            )
        )
        for p in (self.build_dir / _MARKER, self.build_dir / BASE_FILE):
            p.unlink(missing_ok=True)
        return self.path


class BothLocks:
    def __init__(self, local, shared: lock.AdvisoryLock):
        self.local, self.shared = local, shared

    def still_held(self) -> bool:
        return self.shared.still_held()

    def release(self) -> None:
        try:
            self.shared.release()
        finally:
            self.local.release()


def _periods_changed(con: duckdb.DuckDBPyConnection) -> list[dict]:
    try:
        rows = con.execute(
            "select municipality, report_date, reason from staging.periods_changed order by 2, 1, 3"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [{"municipality": m, "report_date": str(d), "reason": r} for m, d, r in rows]


def verify_lake(cfg: SharedConfig, expected, run_id: str) -> None:
    """A new reader sees this run's snapshot, holding exactly the periods it built."""
    try:
        with lake.connect_reader(cfg) as con:
            snap = lake.current_snapshot(con, lake.READER_ALIAS)
            held = periods_held(con)
            con.execute("select count(*) from marts.dim_period").fetchone()
    except duckdb.Error as exc:
        raise WarehouseError(
            f"the shared warehouse does not open after the publish: {lake.first_line(str(exc))}"
        ) from exc
    if snap.info.get("run_id") != run_id:
        raise WarehouseError(
            f"after the publish, the shared warehouse's current snapshot {snap.snapshot_id} is "
            f"not this run's ({snap.message})"
        )
    missing = [d for d, fp in expected.items() if held.get(d) != fp]
    if missing:
        raise WarehouseError(
            "the shared warehouse lacks what this run built: periods " + ", ".join(str(d) for d in sorted(missing))
        )
