"""One run at a time across machines: a Postgres session-level advisory lock.

The embedded warehouse's `flock` only works on one machine. In the shared deployment the run that
builds holds `pg_try_advisory_lock` on its own connection to the Postgres database that holds the
DuckLake catalog, from the start of its execution to its publish. A second run, on any machine, is
refused with the holder's name; `try_acquire` never blocks on a lock that may never be released (a run
that waits for it polls until a deadline: `pipeline.publish.warehouse.acquire_waiting`). Postgres
drops the lock when the holder's session ends: a killed process's socket closes and the server
releases it at once; a machine that vanishes is noticed by TCP keepalives (set below), after about a
minute. Before publishing, the run checks that its session still holds the lock (`still_held`), so a
run whose lock was lost (Postgres restarted) never publishes over a run that took it since.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass, field

import psycopg2

from pipeline.shared import pg

# One lock per Postgres database: the DuckLake catalog there has one writer.
LOCK_NAME = "pledge-warehouse/build"
APP_PREFIX = "pledge-run"
# A vanished holder's session ends after 30 s idle + 3 probes 10 s apart.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}


def lock_key(name: str = LOCK_NAME) -> int:
    """A stable signed 64-bit key for `pg_try_advisory_lock(bigint)`."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _split(key: int) -> tuple[int, int]:
    """(classid, objid) as pg_locks shows a bigint advisory key: its high and low 32 bits."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF


class LockHeldError(RuntimeError):
    """The lock is held; `holder` names the session that holds it."""

    def __init__(self, holder: str):
        super().__init__(f"the lock is held by {holder}")
        self.holder = holder


@dataclass
class AdvisoryLock:
    """A held lock; `release()` (or the end of the session) frees it."""

    dsn: str
    key: int
    conn: object | None = field(default=None, repr=False)

    def still_held(self) -> bool:
        if self.conn is None:
            return False
        classid, objid = _split(self.key)
        try:
            with self.conn.cursor() as cur:
                cur.execute(
                    "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() "
                    "and granted and classid = %s and objid = %s and objsubid = 1",
                    (classid, objid),
                )
                return cur.fetchone()[0] == 1
        except psycopg2.Error:
            return False

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()  # ends the session, which releases its advisory locks
            finally:
                self.conn = None


def holder(dsn: str, key: int) -> str | None:
    """Who holds the lock (its application name, client address, since when), or None."""
    classid, objid = _split(key)
    with pg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select a.application_name, coalesce(host(a.client_addr), 'local'), a.backend_start "
            "from pg_locks l join pg_stat_activity a on a.pid = l.pid "
            "where l.locktype = 'advisory' and l.granted and l.classid = %s and l.objid = %s and l.objsubid = 1",
            (classid, objid),
        )
        row = cur.fetchone()
    conn.close()
    return (
        None if row is None else f"{row[0] or 'an unnamed session'} (from {row[1]}, since {row[2]:%Y-%m-%d %H:%M:%S%z})"
    )


def try_acquire(dsn: str, what: str, *, key: int | None = None) -> AdvisoryLock:
    """Take the lock or raise LockHeldError naming its holder. `what` names this holder for others."""
    key = lock_key() if key is None else key
    app = f"{APP_PREFIX} {what} pid {os.getpid()}@{socket.gethostname()}"[:63]  # Postgres keeps 63 bytes
    conn = pg.connect(dsn, application_name=app, **KEEPALIVES)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("select pg_try_advisory_lock(%s)", (key,))
            got = cur.fetchone()[0]
    except BaseException:
        conn.close()
        raise
    if not got:
        conn.close()
        raise LockHeldError(holder(dsn, key) or "another session")
    return AdvisoryLock(dsn=dsn, key=key, conn=conn)
