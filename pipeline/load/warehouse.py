"""Write-audit-publish for the DuckDB warehouse.

A run never writes the published file analysts read. It copies the published
file into a working database (`warehouse/.build/`), loads and builds there, and
only after every test and check passed swaps it in with an atomic `os.replace()`.
DuckDB allows one writer or many readers, so readers holding the old file keep a
consistent view and new readers see the new one. The previous file is kept as a
backup. A run that dies leaves the published file untouched; the next run starts
from a fresh copy, so no manual clean-up is needed.
"""
from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import duckdb

from pipeline import settings

_MARKER = "RUN_ID"
_held_locks: dict[str, int] = {}  # build dir -> fd of the lock this process holds


class BuildLockedError(RuntimeError):
    pass


def _lock(build_dir: Path) -> None:
    """Hold an exclusive lock on the build dir for the life of this process.

    flock is released by the kernel when the process dies, so a killed run
    leaves no stale lock behind.
    """
    key = str(build_dir)
    if key in _held_locks:
        return
    build_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(build_dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise BuildLockedError(
            f"another run is building the warehouse in {build_dir}; wait for it to finish"
        ) from None
    _held_locks[key] = fd


def begin_lock_check() -> None:
    """Raise BuildLockedError if another process is building; take nothing."""
    build_dir = settings.build_dir()
    if str(build_dir) in _held_locks:
        return
    _lock(build_dir)
    release_lock()


def release_lock() -> None:
    for key, fd in list(_held_locks.items()):
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        del _held_locks[key]


def _remove_db(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)


def begin_build(run_id: str) -> Path:
    """Make sure this run has its working database; returns its path.

    The first step of a run copies the published warehouse; later steps of the
    same run reuse it. Anything left by an earlier (crashed) run is discarded.
    """
    build_dir, build_db, published = settings.build_dir(), settings.build_db_path(), settings.warehouse_path()
    _lock(build_dir)
    marker = build_dir / _MARKER
    if marker.exists() and marker.read_text() == run_id and build_db.exists():
        return build_db
    _remove_db(build_db)
    marker.unlink(missing_ok=True)
    if published.exists():
        tmp = build_db.with_name(build_db.name + ".copying")
        shutil.copyfile(published, tmp)
        os.replace(tmp, build_db)
    marker.write_text(run_id)
    return build_db


def connect_build(run_id: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(begin_build(run_id)))


def publish(run_id: str) -> Path:
    """Swap the audited working database in as the published warehouse."""
    build_db, published = begin_build(run_id), settings.warehouse_path()
    # Fold the write-ahead log into the file so the single file is complete.
    with duckdb.connect(str(build_db)) as con:
        con.execute("CHECKPOINT")
    build_db.with_name(build_db.name + ".wal").unlink(missing_ok=True)
    published.parent.mkdir(parents=True, exist_ok=True)
    if published.exists():
        backup = published.with_name(published.stem + ".previous" + published.suffix)
        tmp = backup.with_name(backup.name + ".tmp")
        tmp.unlink(missing_ok=True)
        os.link(published, tmp)
        os.replace(tmp, backup)
    os.replace(build_db, published)
    (settings.build_dir() / _MARKER).unlink(missing_ok=True)
    return published
