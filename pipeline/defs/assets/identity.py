"""Activity keys across reporting periods: `staging.event_keys`.

Unpartitioned: the key of an activity depends on every earlier report, so the keys are assigned over
all periods, oldest first, from the `staging.events` rows of the run's working database (matching
~400 activities a year takes milliseconds). Only the periods whose keys actually changed are
rewritten; a re-run with the same staging rows rewrites nothing, and adding a report in the middle
re-keys exactly the periods from it onwards that it affects.
"""

import datetime as dt
from collections import Counter, defaultdict

import duckdb
import pyarrow as pa
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipeline.identity.match import MATCH_METHODS, ActivityRecord, KeyedActivity, assign_keys
from pipeline.load import warehouse

EVENT_KEYS = AssetKey(["staging", "event_keys"])
STAGING_EVENTS = AssetKey(["staging", "events"])
SCHEMA = "staging"
TABLE = f"{SCHEMA}.event_keys"

EVENT_KEYS_SCHEMA = pa.schema([
    pa.field("report_date", pa.date32(), nullable=False),
    pa.field("pledge_code", pa.string(), nullable=False),
    pa.field("event_seq", pa.int64(), nullable=False),
    pa.field("event_key", pa.string(), nullable=False),
    pa.field("match_method", pa.string(), nullable=False),
    pa.field("matched_report_date", pa.date32()),
])
_DDL = f"""
create table if not exists {TABLE} (
    report_date date not null,
    pledge_code varchar not null,
    event_seq bigint not null,
    event_key varchar not null,
    match_method varchar not null,
    matched_report_date date
)"""
_COLUMNS = [f.name for f in EVENT_KEYS_SCHEMA]


def read_activities(con: duckdb.DuckDBPyConnection) -> list[ActivityRecord]:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'events'", [SCHEMA]
    ).fetchone()[0]
    if not exists:
        return []
    rows = con.execute(f"""
        select report_date, pledge_code, event_seq, title, start_date, start_precision,
               end_date, end_precision, raw_text
        from {SCHEMA}.events
        order by report_date, pledge_code, event_seq
    """).fetchall()
    return [ActivityRecord(*row[:8], raw_text=row[8] or "") for row in rows]


def _rows_by_period(keyed: list[KeyedActivity]) -> dict[dt.date, set[tuple]]:
    out: dict[dt.date, set[tuple]] = defaultdict(set)
    for k in keyed:
        out[k.report_date].add((k.report_date, k.pledge_code, k.event_seq, k.event_key, k.match_method,
                                k.matched_report_date))
    return out


def write_keys(con: duckdb.DuckDBPyConnection, keyed: list[KeyedActivity]) -> tuple[list[dt.date], list[dt.date]]:
    """Replace the keys of the periods whose keys changed (and remove periods gone from staging).

    Returns (periods rewritten, periods kept as they were).
    """
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(_DDL)
    wanted = _rows_by_period(keyed)
    existing: dict[dt.date, set[tuple]] = defaultdict(set)
    for row in con.execute(f"select {', '.join(_COLUMNS)} from {TABLE}").fetchall():
        existing[row[0]].add(tuple(row))
    rewrite = sorted(d for d in set(wanted) | set(existing) if wanted.get(d) != existing.get(d))
    kept = sorted(d for d in wanted if d not in rewrite)
    if not rewrite:
        return [], kept
    incoming = pa.Table.from_pylist(
        [dict(zip(_COLUMNS, row)) for d in rewrite for row in sorted(wanted.get(d, ()))], schema=EVENT_KEYS_SCHEMA
    )
    con.execute("begin transaction")
    try:
        for d in rewrite:
            con.execute(f"delete from {TABLE} where report_date = ?", [d])
        con.register("incoming_event_keys", incoming)
        con.execute(f"insert into {TABLE} ({', '.join(_COLUMNS)}) select {', '.join(_COLUMNS)} from incoming_event_keys")
        con.unregister("incoming_event_keys")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return rewrite, kept


def continuity(keyed: list[KeyedActivity]) -> dict[str, float]:
    """Per pair of consecutive periods: share of the earlier period's keys found again in the later one."""
    keys: dict[dt.date, set[str]] = defaultdict(set)
    for k in keyed:
        keys[k.report_date].add(k.event_key)
    periods = sorted(keys)
    return {
        f"{a} -> {b}": round(len(keys[a] & keys[b]) / len(keys[a]), 4)
        for a, b in zip(periods, periods[1:]) if keys[a]
    }


@asset(
    key=EVENT_KEYS,
    deps=[STAGING_EVENTS],
    group_name="staging",
    description=(
        "활동 ID — `staging.event_keys`: the cross-period `event_key` of every activity of every report, "
        "and how it was matched to the previous report's activity (`exact`: same pledge, dates and "
        "normalised title; `title`; `dates`; `similar`; `new`). Assigned over all periods in date order; "
        "only periods whose keys changed are rewritten."
    ),
)
def event_keys(context: AssetExecutionContext) -> MaterializeResult:
    build_db = warehouse.begin_build(context.run.run_id)
    with duckdb.connect(str(build_db)) as con:
        records = read_activities(con)
        keyed = assign_keys(records)
        rewritten, kept = write_keys(con, keyed)
    methods = Counter(k.match_method for k in keyed)
    per_period: dict[str, Counter] = defaultdict(Counter)
    for k in keyed:
        per_period[str(k.report_date)][k.match_method] += 1
    context.log.info(
        f"{len(keyed)} activities keyed over {len(per_period)} period(s): "
        + ", ".join(f"{m} {methods[m]}" for m in MATCH_METHODS)
        + f"; rewritten {[str(d) for d in rewritten]}, kept {[str(d) for d in kept]}"
    )
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(keyed),
            "table": TABLE,
            **{f"n_{m}": methods[m] for m in MATCH_METHODS},
            "per_period": MetadataValue.json({p: dict(c) for p, c in sorted(per_period.items())}),
            "key_continuity": MetadataValue.json(continuity(keyed)),
            "periods_rewritten": MetadataValue.json([str(d) for d in rewritten]),
            "periods_kept": MetadataValue.json([str(d) for d in kept]),
        }
    )
