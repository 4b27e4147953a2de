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
# Run tag of `make run ARGS=--full`: reload every period into staging and rebuild every dbt model.
FULL_REBUILD_TAG = "pledge/full_rebuild"
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
    rows = [(d, reason) for d in sorted(set(periods))]
    if rows:
        ensure_table(con)
        con.executemany(f"insert into {TABLE} (report_date, reason) values (?, ?)", rows)

