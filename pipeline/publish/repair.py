"""Damage found at the start of a run is repaired, not fatal: the published warehouse is checked (it
opens, and every table reads whole, which makes DuckDB verify the checksum of every block), and a
damaged one is moved aside so that the run rebuilds it from `raw/`, the source of truth; a Dagster
instance whose SQLite files no longer open is moved aside and made anew (its run history is not the
data). Each repair is one line that names the file, where it went and what happens next."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import duckdb


def _aside(path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")


def published_reads(path: Path) -> str | None:
    """Why the published file at `path` does not read whole (None: it does)."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            tables = con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = current_database()"
            ).fetchall()
            if not any(schema == "marts" for schema, _ in tables):
                return "it holds no marts"
            for schema, table in tables:
                # every value of every column hashed: every block is read (and its checksum verified), on
                # DuckDB's threads, with nothing handed to Python (five times faster than reading the rows)
                con.execute(f'select bit_xor(hash(columns(*))) from "{schema}"."{table}"').fetchall()
    except (duckdb.Error, OSError) as exc:
        return str(exc).strip().splitlines()[0]
    return None


def repair_published(path: Path) -> str | None:
    """Move a damaged published warehouse (and its log) aside; returns the line that says so, or None."""
    if not path.exists():
        return None
    why = published_reads(path)
    if why is None or "could not set lock" in why.lower():  # a writer holding it: the publish refuses that
        return None
    aside = _aside(path)
    os.replace(path, aside)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        os.replace(wal, aside.with_name(aside.name + ".wal"))
    return (
        f"REPAIRED {path}: it does not read ({why}); moved aside to {aside.name}, and this run rebuilds the "
        "warehouse from raw/"
    )


def repair_instance(home: Path) -> str | None:
    """Move aside Dagster's SQLite storage under `home` if a file of it is not a database; None if sound."""
    damaged = []
    for db in sorted(p for folder in ("history", "schedules") for p in (home / folder).rglob("*.db")):
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
                con.execute("select count(*) from sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            damaged.append(f"{db.relative_to(home)} ({exc})")
    if not damaged:
        return None
    moved = []
    for folder in ("history", "schedules", "storage"):
        if (home / folder).exists():
            aside = _aside(home / folder)
            os.replace(home / folder, aside)
            moved.append(aside.name)
    return (
        f"REPAIRED Dagster's instance in {home}: {', '.join(damaged)} did not open; moved aside to "
        f"{', '.join(moved)} and made anew (its run history is not the data: the warehouse is unchanged)"
    )
