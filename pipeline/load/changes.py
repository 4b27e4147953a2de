"""`staging.run_history`: one row per build, the one record of what each build changed and why.

It answers the questions a user and a run ask of a build: which run made it and when, the change plan
that asked for it, the periods it loaded, re-keyed and retracted (and which files were retracted), and
the dbt project that built its marts. Two views read it:

- `staging.periods_changed`: the periods the newest build changed (loaded, re-keyed or retracted), each
  its municipality's (a new city's report of a date changes that city's period of the date, not every
  city's). The incremental dbt facts (`fct_events`, `fct_event_dates`, `fct_attendees`) rebuild only these,
  and the activity-grain models (`dim_event`, `fct_event_months`, ...) only these periods' municipalities.
- `staging.retracted_periods`: every period taken out by `--retract`, with its file and the run.

A build is a copy of the published warehouse, so its newest row is the published build's until the
staging load begins this build's row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import duckdb

from pipeline.raw.report_file import split_period_key

HISTORY_TABLE = "staging.run_history"
TABLE = "staging.periods_changed"
RETRACTED_TABLE = "staging.retracted_periods"
REASONS = ("loaded", "rekeyed", "retracted")  # why a period is in periods_changed: the column it comes from
# the periods as keys (`전주시/2020-12-31`, pipeline/raw/report_file.py); a build recorded before municipalities
# has its dates alone (`2020-12-31`), which stand for that date's period of every municipality
PERIOD_COLUMNS = tuple(f"periods_{reason}" for reason in REASONS)
_COLUMNS = {
    "run_id": "varchar not null",
    "recorded_at": "timestamp not null",
    "periods_loaded": "varchar[]",
    "plan": "json",
    "periods_rekeyed": "varchar[]",
    "periods_retracted": "varchar[]",
    "retracted": "json",
    "dbt_fingerprint": "varchar",
}
_LATEST = f"(select * from {HISTORY_TABLE} order by recorded_at desc limit 1)"


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """The table and its views, in this layout (a warehouse of an earlier layout is brought to it)."""
    con.execute("create schema if not exists staging")
    con.execute(f"create table if not exists {HISTORY_TABLE} (run_id varchar not null, recorded_at timestamp not null)")
    for column, kind in _COLUMNS.items():
        con.execute(f"alter table {HISTORY_TABLE} add column if not exists {column} {kind.replace(' not null', '')}")
    _fold_earlier_tables(con)
    for column in PERIOD_COLUMNS:  # dates before municipalities: kept as dates in the keys' column
        kind = con.execute(
            "select data_type from information_schema.columns where table_schema = 'staging' "
            "and table_name = 'run_history' and column_name = ?",
            [column],
        ).fetchone()[0]
        if kind == "DATE[]":
            con.execute(
                f"alter table {HISTORY_TABLE} alter column {column} set data type varchar[] "
                f"using list_transform({column}, lambda d: strftime(d, '%Y-%m-%d'))"
            )
    changed = " union all ".join(
        f"select unnest({column}) as period, '{reason}' as reason from {_LATEST}"
        for column, reason in zip(PERIOD_COLUMNS, REASONS)
    )
    con.execute(f"""create or replace view {TABLE} as
        select case when contains(period, '/') then regexp_extract(period, '^(.*)/[^/]*$', 1) end as municipality,
               string_split(period, '/')[-1]::date as report_date, reason
        from ({changed})""")
    con.execute(f"""create or replace view {RETRACTED_TABLE} as
        select (f->>'report_date')::date as report_date, f->>'source_file' as source_file,
               f->>'source_sha256' as source_sha256, recorded_at as retracted_at, run_id
        from (select unnest(from_json(retracted, '["json"]')) as f, recorded_at, run_id
              from {HISTORY_TABLE} where retracted is not null)""")


def _fold_earlier_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses published before this layout kept the same facts in tables of their own."""
    tables = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = "
            "'staging' and table_type = 'BASE TABLE'"
        ).fetchall()
    }
    if "retracted_periods" in tables:
        for day, source, sha, at, run in con.execute(f"select * from {RETRACTED_TABLE}").fetchall():
            files = json.dumps([{"report_date": str(day), "source_file": source, "source_sha256": sha}])
            con.execute(
                f"insert into {HISTORY_TABLE} (run_id, recorded_at, periods_retracted, retracted) "
                "values (?, ?, [?::date], ?)",
                [run, at, day, files],
            )
        con.execute(f"drop table {RETRACTED_TABLE}")
    if "dbt_build_state" in tables:
        con.execute(
            f"update {HISTORY_TABLE} set dbt_fingerprint = (select project_fingerprint from "
            "staging.dbt_build_state) where recorded_at = (select max(recorded_at) from staging.run_history)"
        )
        con.execute("drop table staging.dbt_build_state")
    if "periods_changed" in tables:
        con.execute(f"drop table {TABLE}")


def start(con: duckdb.DuckDBPyConnection, run_id: str, periods_loaded: Iterable[str], plan_json: str | None) -> None:
    """This build's row: the run, its plan and the periods (`전주시/2020-12-31`) its staging load loaded."""
    ensure_table(con)
    con.execute(
        f"insert into {HISTORY_TABLE} (run_id, recorded_at, periods_loaded, plan, periods_rekeyed, "
        "periods_retracted) values (?, current_timestamp, ?, ?, [], [])",
        [run_id, sorted(set(periods_loaded)), plan_json],
    )


def add(con: duckdb.DuckDBPyConnection, periods: Iterable[str], reason: str) -> None:
    """This build also changed `periods` (`전주시/2020-12-31`), for `reason` (`rekeyed`, `retracted`)."""
    keys = sorted(set(periods))
    if keys:
        ensure_table(con)
        column = f"periods_{reason}"
        con.execute(
            f"update {HISTORY_TABLE} set {column} = list_distinct(list_concat({column}, ?::varchar[])) "
            f"where recorded_at = (select max(recorded_at) from {HISTORY_TABLE})",
            [keys],
        )


def record_dbt_fingerprint(con: duckdb.DuckDBPyConnection, fingerprint: str) -> None:
    ensure_table(con)
    con.execute(
        f"update {HISTORY_TABLE} set dbt_fingerprint = ? "
        f"where recorded_at = (select max(recorded_at) from {HISTORY_TABLE})",
        [fingerprint],
    )


def built_dbt_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The dbt project that last built this database's marts (None: never, or unknown)."""
    try:
        row = con.execute(
            f"select dbt_fingerprint from {HISTORY_TABLE} where dbt_fingerprint is not null "
            "order by recorded_at desc limit 1"
        ).fetchone()
    except duckdb.BinderException:  # a warehouse of an earlier layout: unknown, so a full refresh
        return None
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def retract(con: duckdb.DuckDBPyConnection, periods: Iterable[str]) -> list[str]:
    """Remove these periods (`전주시/2020-12-31`) from every staging table and record them, with their files,
    in this build's row; the incremental facts then drop their rows (rebuilding the other municipalities'
    of those dates). Returns the periods that were there to retract."""
    from pipeline.load.staging import PERIOD_KEY_SQL, SCHEMA, STAGING_TABLES

    keys = sorted(set(periods))
    if not keys:
        return []
    held = {
        r[0]: r[1:]
        for r in con.execute(
            f"select {PERIOD_KEY_SQL}, report_date, source_file, sha256 from {SCHEMA}.report_files "
            f"where {PERIOD_KEY_SQL} in (select unnest(?::varchar[]))",
            [keys],
        ).fetchall()
    }
    files = [
        {
            "report_date": str(held[k][0]),
            "municipality": split_period_key(k)[0],
            "source_file": held[k][1],
            "source_sha256": held[k][2],
        }
        for k in keys
        if k in held
    ]
    con.execute("begin transaction")
    try:
        for table in STAGING_TABLES:
            con.execute(f"delete from {SCHEMA}.{table} where {PERIOD_KEY_SQL} in (select unnest(?::varchar[]))", [keys])
        con.execute(
            f"update {HISTORY_TABLE} set retracted = ? "
            f"where recorded_at = (select max(recorded_at) from {HISTORY_TABLE})",
            [json.dumps(files)],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    add(con, [k for k in keys if k in held], "retracted")
    return [k for k in keys if k in held]
