"""`staging.periods_changed`: the periods whose staging rows or activity keys the current build
changed. The incremental dbt facts (`fct_events`, `fct_event_dates`, `fct_attendees`) rebuild only
these periods; everything else in them is kept from the published warehouse.

The staging load starts the list afresh in every build (a build is a copy of the published
warehouse, whose list is the previous build's), and the activity keys add the periods they rewrite.
A dbt run without a staging load (an asset selection in the UI) rebuilds the previous build's
periods again, which is harmless: the rows come out the same.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import duckdb

TABLE = "staging.periods_changed"
REASONS = ("loaded", "rekeyed", "retracted")  # why a period is in it (the staging load, the keys, --retract)
_DDL = f"create table if not exists {TABLE} (report_date date not null, reason varchar not null)"


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists staging")
    con.execute(_DDL)


def start(con: duckdb.DuckDBPyConnection, periods: Iterable[dt.date], reason: str) -> None:
    """This build's list begins with `periods` (the previous build's list is dropped)."""
    ensure_table(con)
    con.execute(f"delete from {TABLE}")
    add(con, periods, reason)


def add(con: duckdb.DuckDBPyConnection, periods: Iterable[dt.date], reason: str) -> None:
    dates = sorted(set(periods))
    if dates:
        ensure_table(con)
        # one statement (executemany runs one per row: 0.15 s for 200 periods)
        con.execute(f"insert into {TABLE} (report_date, reason) select unnest(?::date[]), ?", [dates, reason])



HISTORY_TABLE = "staging.run_history"
_HISTORY_DDL = (f"create table if not exists {HISTORY_TABLE} (run_id varchar not null, recorded_at timestamp not null, "
                "periods_loaded date[] not null, plan json)")


def record_run(con: duckdb.DuckDBPyConnection, run_id: str, periods_loaded: Iterable[dt.date],
               plan_json: str | None) -> None:
    """One row per build: which run, which periods it loaded, and the change plan that asked for them
    (`select * from staging.run_history` answers why a period was rebuilt, and by which run)."""
    ensure_table(con)
    con.execute(_HISTORY_DDL)
    con.execute(f"insert into {HISTORY_TABLE} values (?, current_timestamp, ?, ?)",
                [run_id, sorted(set(periods_loaded)), plan_json])


RETRACTED_TABLE = "staging.retracted_periods"
_RETRACTED_DDL = (f"create table if not exists {RETRACTED_TABLE} (report_date date not null, source_file varchar, "
                  "source_sha256 varchar, retracted_at timestamp not null, run_id varchar not null)")


def retract(con: duckdb.DuckDBPyConnection, periods: Iterable[dt.date], run_id: str) -> list[dt.date]:
    """Remove these periods from every staging table and record it in `staging.retracted_periods`;
    the incremental facts then drop their rows (they are in this build's `periods_changed`).
    Returns the periods that were there to retract."""
    from pipeline.load.staging import SCHEMA, STAGING_TABLES

    dates = sorted(set(periods))
    if not dates:
        return []
    con.execute(_RETRACTED_DDL)
    held = {r[0]: r[1:] for r in con.execute(
        f"select report_date, source_file, sha256 from {SCHEMA}.report_files where report_date in "
        "(select unnest(?::date[]))", [dates]).fetchall()}
    con.execute("begin transaction")
    try:
        for table in STAGING_TABLES:
            con.execute(f"delete from {SCHEMA}.{table} where report_date in (select unnest(?::date[]))", [dates])
        con.executemany(f"insert into {RETRACTED_TABLE} values (?, ?, ?, current_timestamp, ?)",
                        [(d, *held[d], run_id) for d in dates if d in held])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    add(con, dates, "retracted")
    return [d for d in dates if d in held]
