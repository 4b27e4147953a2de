"""Write-audit-publish for the DuckDB warehouse.

A run never writes the published file analysts read. It copies the published
file into a working database (`warehouse/.build/`), loads and builds there, and
only after every test and check passed swaps it in with an atomic `os.replace()`.
DuckDB allows one writer or many readers, so readers holding the old file keep a
consistent view and new readers see the new one. The previous file is kept as a
backup, rotated only once the new file is in place and verified.

The build lock is a kernel `flock` on the folder that holds the published file:
a run never deletes or recreates that folder (it does delete `.build/`), and the
kernel releases the lock when the process dies, so a killed run leaves none behind.
A run that finds it held waits up to PLEDGE_LOCK_WAIT seconds (`holding_lock`), polling,
then is refused naming the holder; the embedded default is not to wait.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import re
import shutil
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

_MARKER = "RUN_ID"
HOLDER_FILE = ".build-lock-holder"  # beside the published file: who holds the build lock, since when

# The build locks this process holds, by published path: `make run` takes the lock before it plans, and
# the run's warehouse resource, in the same process, works under it rather than taking it again.
_HELD: dict[Path, object] = {}


class WarehouseError(RuntimeError):
    """The warehouse cannot be built or published; the message says why and what to do."""


class BuildLockedError(WarehouseError):
    """The build lock is held by another run; `holder` names it (process, host, since when)."""

    def __init__(self, message: str, holder: str | None = None):
        super().__init__(message)
        self.holder = holder or "another run"


class BuildLostError(WarehouseError):
    pass


class PublishRefusedError(WarehouseError):
    pass


def wal_of(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


@dataclass
class BuildLock:
    """An exclusive lock held by one run; `release()` or the death of the process frees it."""

    fd: int | None

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


# How often a run waiting for the build lock tries it again: short, so the waiting run starts soon after
# the holder is done; each try is a non-blocking flock (and, shared, one or two Postgres connections).
LOCK_POLL_SECONDS = 1.0


@contextlib.contextmanager
def holding_lock(warehouse: Warehouse, wait: float | None = None, say: Callable[[str], None] | None = None):
    """The build lock of `warehouse` for the block. If another run has it, wait up to `wait` seconds
    (None: PLEDGE_LOCK_WAIT, else the deployment's default) for it, trying again every LOCK_POLL_SECONDS,
    after saying so once through `say`; past the deadline BuildLockedError names the holder as then."""
    lock = acquire_waiting(warehouse, wait, say)
    _HELD[warehouse.path] = lock
    record_holder(warehouse.path)
    try:
        yield lock
    finally:
        _HELD.pop(warehouse.path, None)
        lock.release()


def lock_wait(warehouse: Warehouse) -> float:
    """How long a run on `warehouse` waits for a held build lock (ValueError for a bad PLEDGE_LOCK_WAIT)."""
    from pipeline import settings

    return settings.lock_wait(warehouse.LOCK_WAIT_DEFAULT)


def acquire_waiting(warehouse: Warehouse, wait: float | None = None, say: Callable[[str], None] | None = None):
    """`warehouse.acquire_lock()`, waiting for a held lock as `holding_lock` says. One polling loop for
    both deployments: the embedded `flock` and the shared advisory lock are both tried without blocking
    (a blocking `flock` or `pg_advisory_lock` could not give up at a deadline, nor name the holder)."""
    wait = lock_wait(warehouse) if wait is None else wait
    deadline = time.monotonic() + wait
    try:
        return warehouse.acquire_lock()
    except BuildLockedError as exc:
        if wait <= 0:
            raise
        until = dt.datetime.now() + dt.timedelta(seconds=wait)
        (say or print)(
            f"waiting for the run that holds the lock: {exc.holder}; giving up at {until:%H:%M:%S} "
            f"(PLEDGE_LOCK_WAIT={wait:g} s)"
        )
    while True:
        time.sleep(max(0.0, min(LOCK_POLL_SECONDS, deadline - time.monotonic())))
        try:
            return warehouse.acquire_lock()
        except BuildLockedError:
            if time.monotonic() >= deadline:
                raise  # names the holder as of this last try


def held_by_this_process(path: Path) -> bool:
    return Path(path).expanduser().resolve() in _HELD


def record_holder(path: Path) -> None:
    """Who holds the lock of the warehouse at `path`, for the message of a run it refuses."""
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    (path.parent / HOLDER_FILE).write_text(f"process {os.getpid()} on {socket.gethostname()} since {stamp}")


def holder_of(path: Path) -> str:
    try:
        return (path.parent / HOLDER_FILE).read_text().strip()
    except OSError:
        return "a run on this machine"


def writer_holding(path: Path) -> str | None:
    """What DuckDB says if another process holds `path` open for writing; None if no one does."""
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True):
            return None
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return str(exc)
        raise


class Warehouse:
    """The published DuckDB file and the working area beside it."""

    def __init__(self, path: Path):
        self.path = Path(path).expanduser().resolve()
        self.build_dir = self.path.parent / ".build"
        self.build_db = self.build_dir / self.path.name
        self.previous = self.path.with_name(self.path.stem + ".previous" + self.path.suffix)

    # Seconds a run waits for a held build lock unless PLEDGE_LOCK_WAIT says: on one machine both runs
    # read the same raw/, so the run that holds the lock publishes what the other would; refuse at once.
    LOCK_WAIT_DEFAULT = 0.0

    def __str__(self) -> str:
        return f"the warehouse {self.path}"

    # -- the lock -----------------------------------------------------------------------------
    def acquire_lock(self) -> BuildLock:
        """The build lock (the shared warehouse widens it to the lake)."""
        return self.local_lock()

    def local_lock(self) -> BuildLock:
        """This machine's lock: a `flock` on the warehouse's folder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = holder_of(self.path)
            raise BuildLockedError(
                f"another run is building the warehouse {self.path} ({holder}); wait for it to finish and run again",
                holder,
            ) from None
        return BuildLock(fd)

    def lock_holder(self) -> str | None:
        """Who holds the build lock, or None if it is free. Asked by trying the `flock` for an instant:
        it names no process, so the answer is 'another run on this machine'."""
        try:
            self.local_lock().release()
        except BuildLockedError:
            return f"another run on this machine (the lock on {self.path.parent} is held)"
        return None

    # -- the working copy ---------------------------------------------------------------------
    def start_build(self, run_id: str) -> Path:
        """A fresh working copy of the published file for this run (leftovers of others discarded)."""
        self.build_dir.mkdir(parents=True, exist_ok=True)
        for leftover in self.build_dir.glob("*.copying"):
            leftover.unlink(missing_ok=True)
        for p in (self.build_db, wal_of(self.build_db), self.build_dir / _MARKER):
            p.unlink(missing_ok=True)
        if self.path.exists():
            tmp = self.build_db.with_name(self.build_db.name + ".copying")
            try:
                shutil.copyfile(self.path, tmp)
            except BaseException:
                tmp.unlink(missing_ok=True)  # a disk-full copy must not keep the disk full
                raise
            os.replace(tmp, self.build_db)
        (self.build_dir / _MARKER).write_text(run_id)
        return self.build_db

    def build_path(self, run_id: str) -> Path:
        """This run's working database, which `start_build` made; never silently re-made."""
        marker = self.build_dir / _MARKER
        if not (marker.exists() and marker.read_text() == run_id):
            raise BuildLostError(
                f"the working copy of run {run_id} in {self.build_dir} is gone (deleted, or replaced by another "
                "process); nothing was published. Run again."
            )
        return self.build_db

    def connect_build(self, run_id: str) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.build_path(run_id)))

    # -- publishing ---------------------------------------------------------------------------
    def publish(self, run_id: str) -> Path:
        """Swap the audited working database in as the published warehouse, then verify it.

        Refused, with nothing changed, while another process holds the published file open for
        writing. A write-ahead log left beside the published file (by a writer that died) belongs
        to the old file: it moves with it to `.previous`, so it can never be replayed into the new one.
        """
        build_db = self.build_path(run_id)
        with duckdb.connect(str(build_db)) as con:  # fold the build's log into its file
            con.execute("CHECKPOINT")
            expected = periods_held(con)
        wal_of(build_db).unlink(missing_ok=True)
        holder = writer_holding(self.path)
        if holder:
            raise PublishRefusedError(
                f"{self.path} is open for writing in another process, so it was not replaced and nothing new "
                f"was published. Close that connection (analysts: open it read_only) and run again. DuckDB: "
                f"{_first_line(holder)}"
            )
        staged_prev = self.previous.with_name(self.previous.name + ".tmp")
        staged_prev_wal = wal_of(staged_prev)
        for p in (staged_prev, staged_prev_wal):
            p.unlink(missing_ok=True)
        had_published = self.path.exists()
        if had_published:
            os.link(self.path, staged_prev)
        if wal_of(self.path).exists():
            os.replace(wal_of(self.path), staged_prev_wal)
        os.replace(build_db, self.path)
        try:
            verify_published(self.path, expected)
        except BaseException:
            if had_published:
                os.replace(staged_prev, self.path)  # put the last good file back
                if staged_prev_wal.exists():
                    os.replace(staged_prev_wal, wal_of(self.path))
            raise
        if had_published:
            wal_of(self.previous).unlink(missing_ok=True)
            if staged_prev_wal.exists():
                os.replace(staged_prev_wal, wal_of(self.previous))
            os.replace(staged_prev, self.previous)
        (self.build_dir / _MARKER).unlink(missing_ok=True)
        return self.path


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def periods_held(con: duckdb.DuckDBPyConnection) -> dict[dt.date, tuple[str, str]]:
    """period -> (file sha256, parser fingerprint) of each period this database holds."""
    from pipeline.load.staging import loaded_fingerprints

    return loaded_fingerprints(con)


def verify_published(path: Path, expected: Mapping[dt.date, tuple[str, str]]) -> None:
    """The published file opens read-only, with no log beside it, and holds `expected` exactly."""
    if wal_of(path).exists():
        raise WarehouseError(f"{wal_of(path)} appeared beside the published warehouse while it was published")
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            held = periods_held(con)
            con.execute("select count(*) from marts.dim_period").fetchone()
    except duckdb.Error as exc:
        raise WarehouseError(f"the published warehouse {path} does not open: {_first_line(str(exc))}") from exc
    missing = [d for d, fp in expected.items() if held.get(d) != fp]
    if missing:
        raise WarehouseError(
            f"the published warehouse {path} lacks what this run built: periods "
            + ", ".join(str(d) for d in sorted(missing))
        )


def holder_pid(message: str) -> int | None:
    found = re.search(r"PID (\d+)", message)
    return int(found.group(1)) if found else None
