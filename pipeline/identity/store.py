"""Storage of the activity keys across reporting periods: `staging.event_keys` and its state.

Unpartitioned: the key of an activity depends on every earlier report, so keys are assigned in date
order from the `staging.events` rows of the run's working database. They are assigned incrementally:
the keys of a period depend only on the periods before it, so when the earliest period whose staging
rows changed (or that has no keys yet, or that disappeared) is C, the keys of the periods before C are
kept as stored, the matcher's history is rebuilt from them in SQL (the report before C, and the latest
appearance of every key), and only the periods from C on are matched again. Which periods are still
valid is told by `staging.event_keys_state`: per period, a fingerprint of the `staging.events` columns
the matcher reads and of the matcher's code, as they were when its keys were derived. The result is the
same as assigning every period from the oldest (tests/test_identity_incremental.py).

Of the periods matched again, only those whose keys actually changed are rewritten; a re-run with the
same staging rows matches nothing and rewrites nothing, and adding a report in the middle re-keys the
periods from it onwards and rewrites those it affects.

Published keys are kept: `staging.event_key_registry` holds every key ever written here, with each
report's activities as they were when it was keyed (one row per key and report, replaced when the
report is keyed again, never deleted). It lives in the warehouse, which every run copies before
building, so it holds what was published (a failed run publishes nothing of it) and survives `--full`
and retractions. Matching reads it first (pipeline/identity/match.py): re-keying a period after an older
report was added, a re-issue or a retraction gives its activities their published keys back, and a new
key is never one that was published. Keys stored before the registry existed are registered on the
first run (with their text where staging still holds the report they were keyed from, reserved only
otherwise).
"""

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipeline.identity.match import (
    ActivityRecord,
    KeyedActivity,
    KeyHistory,
    Published,
    matcher_fingerprint,
)
from pipeline.load import changes
from pipeline.raw.report_file import period_key

SCHEMA = "staging"
TABLE = f"{SCHEMA}.event_keys"
STATE_TABLE = f"{SCHEMA}.event_keys_state"
REGISTRY_TABLE = f"{SCHEMA}.event_key_registry"

EVENT_KEYS_SCHEMA = pa.schema(
    [
        pa.field("municipality", pa.string()),
        pa.field("term", pa.int64()),
        pa.field("report_date", pa.date32(), nullable=False),
        pa.field("pledge_code", pa.string(), nullable=False),
        pa.field("event_seq", pa.int64(), nullable=False),
        pa.field("event_key", pa.string(), nullable=False),
        pa.field("match_method", pa.string(), nullable=False),
        pa.field("matched_report_date", pa.date32()),
    ]
)
_DDL = f"""
create table if not exists {TABLE} (
    municipality varchar,
    term bigint,
    report_date date not null,
    pledge_code varchar not null,
    event_seq bigint not null,
    event_key varchar not null,
    match_method varchar not null,
    matched_report_date date
)"""
# One row per period keyed: what its keys were derived from. A period whose row is missing or differs
# from the current staging rows / matcher is re-keyed, with every period after it.
_STATE_DDL = f"""
create table if not exists {STATE_TABLE} (
    municipality varchar,
    term bigint,
    report_date date not null,
    events_fingerprint varchar not null,
    matcher_fingerprint varchar not null,
    n_events bigint not null
)"""
# Every key ever published, and where: one row per key and report it was printed in, with the activity's
# text as keyed (what matching compares); `reserved`: its text is not known (see the docstring), the key
# is never given again but matches nothing.
_REGISTRY_DDL = f"""
create table if not exists {REGISTRY_TABLE} (
    event_key varchar not null,
    report_date date not null,
    pledge_code varchar not null,
    event_seq bigint not null,
    title varchar,
    start_date date,
    start_precision varchar,
    end_date date,
    end_precision varchar,
    raw_text varchar,
    reserved boolean not null,
    municipality varchar,
    term bigint
)"""
_ALL_COLUMNS = [f.name for f in EVENT_KEYS_SCHEMA]
_COLUMNS = _ALL_COLUMNS[2:]  # an activity's key within its series
EVENT_KEYS_STATE_SCHEMA = pa.schema(
    [
        pa.field("municipality", pa.string()),
        pa.field("term", pa.int64()),
        pa.field("report_date", pa.date32(), nullable=False),
        pa.field("events_fingerprint", pa.string(), nullable=False),
        pa.field("matcher_fingerprint", pa.string(), nullable=False),
        pa.field("n_events", pa.int64(), nullable=False),
    ]
)
_STATE_COLUMNS = [f.name for f in EVENT_KEYS_STATE_SCHEMA]
# the columns of staging.events the matcher reads (ActivityRecord), in its order
_RECORD_COLUMNS = [
    "report_date",
    "pledge_code",
    "event_seq",
    "title",
    "start_date",
    "start_precision",
    "end_date",
    "end_precision",
    "raw_text",
]
# Fingerprint of a period's rows, order-independent, computed in SQL in milliseconds. DuckDB's hash() is
# deterministic but not promised stable across DuckDB versions: another version at worst re-keys every
# period once (same keys), never keeps stale ones.
_FINGERPRINT_SQL = "count(*)::varchar || ':' || sum(hash(" + ", ".join(_RECORD_COLUMNS[1:]) + ")::hugeint)::varchar"
PERIODS_PER_READ = 50  # periods read from staging.events per query while re-keying


Series = tuple[str, int]  # (municipality, term): keys are matched within one, never across
# the rows of one series, in SQL (two parameters: municipality, term)
_IN_SERIES = "municipality is not distinct from ? and term is not distinct from ?"


def _same_period(a: str, b: str) -> str:
    """Join condition: the same activity of the same report (null-safe on the series)."""
    return " and ".join(
        f"{a}.{c} is not distinct from {b}.{c}" if c in ("municipality", "term") else f"{a}.{c} = {b}.{c}"
        for c in ("municipality", "term", "report_date", "pledge_code", "event_seq")
    )


def _events_exist(con: duckdb.DuckDBPyConnection) -> bool:
    return (
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = 'events'", [SCHEMA]
        ).fetchone()[0]
        > 0
    )


def _record(row: Sequence, series: Series = ("", 0)) -> ActivityRecord:
    return ActivityRecord(*row[:8], raw_text=row[8] or "", municipality=series[0], term=series[1])


def read_activities(con: duckdb.DuckDBPyConnection) -> list[ActivityRecord]:
    """Every activity of every period (the full recomputation; the asset reads only what it re-keys)."""
    if not _events_exist(con):
        return []
    rows = con.execute(f"""
        select {", ".join(_RECORD_COLUMNS)}, municipality, term
        from {SCHEMA}.events
        order by municipality, term, report_date, pledge_code, event_seq
    """).fetchall()
    return [_record(row, (row[9], row[10])) for row in rows]


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"create schema if not exists {SCHEMA}")
    con.execute(_DDL)
    con.execute(_STATE_DDL)
    con.execute(_REGISTRY_DDL)
    for table in (TABLE, STATE_TABLE, REGISTRY_TABLE):
        con.execute(f"alter table {table} add column if not exists municipality varchar")
        con.execute(f"alter table {table} add column if not exists term bigint")
    # keys of a layout before municipalities: their period's report says whose they are (where still held)
    if (
        _events_exist(con)
        and con.execute(
            "select count(*) from information_schema.columns where table_schema = ? and table_name = 'report_files' "
            "and column_name = 'municipality'",
            [SCHEMA],
        ).fetchone()[0]
    ):
        for table in (TABLE, STATE_TABLE, REGISTRY_TABLE):
            con.execute(f"""
                update {table} t set municipality = f.municipality, term = f.term
                from (select report_date, any_value(municipality) as municipality, any_value(term) as term
                      from {SCHEMA}.report_files group by report_date having count(*) = 1) f
                where t.municipality is null and t.report_date = f.report_date""")


def series_of(con: duckdb.DuckDBPyConnection) -> list[Series]:
    """Every (municipality, term) of staging.events or of the stored keys."""
    _ensure_tables(con)
    events = f"union select distinct municipality, term from {SCHEMA}.events" if _events_exist(con) else ""
    return [
        tuple(r)
        for r in con.execute(f"select distinct municipality, term from {TABLE} {events} order by 1, 2").fetchall()
    ]


def _the_series(con: duckdb.DuckDBPyConnection, series: Series | None) -> Series:
    """`series`, or the one series the tables hold (a caller of one municipality and term need not name it)."""
    if series is not None:
        return series
    held = series_of(con)
    if len(held) > 1:
        raise ValueError(f"{len(held)} municipalities and terms are keyed: name one")
    return held[0] if held else (None, None)


# ---------------------------------------------------------------- which periods to re-key


@dataclass
class KeyPlan:
    periods: list[dt.date]  # the periods of staging.events of one series, oldest first
    fingerprints: dict[dt.date, str]  # their events fingerprints
    first_to_rekey: dt.date | None  # C: the earliest period changed, new, unkeyed or removed; None: none

    @property
    def reused(self) -> list[dt.date]:
        """Periods whose stored keys are kept without matching them again."""
        return [d for d in self.periods if self.first_to_rekey is None or d < self.first_to_rekey]

    @property
    def rekeyed(self) -> list[dt.date]:
        return [d for d in self.periods if self.first_to_rekey is not None and d >= self.first_to_rekey]


def plan_keys(con: duckdb.DuckDBPyConnection) -> dict[Series, KeyPlan]:
    """For every series, from which of its periods on the keys must be derived again (see the module's
    docstring). Three queries for every series at once: a warehouse of many cities holds hundreds."""
    _ensure_tables(con)
    fingerprints: dict[Series, dict[dt.date, str]] = defaultdict(dict)
    stored: dict[Series, dict[dt.date, tuple]] = defaultdict(dict)
    state: dict[Series, dict[dt.date, tuple]] = defaultdict(dict)
    events = _events_exist(con)
    if events:
        for m, t, d, fp in con.execute(
            f"select municipality, term, report_date, {_FINGERPRINT_SQL} from {SCHEMA}.events group by all"
        ).fetchall():
            fingerprints[(m, t)][d] = fp
    for m, t, d, efp, mfp, n in con.execute(
        f"select municipality, term, report_date, events_fingerprint, matcher_fingerprint, n_events from {STATE_TABLE}"
    ).fetchall():
        state[(m, t)][d] = (efp, mfp, n)
    # the stored keys of a period must be one row per activity, each joining its staging row
    join = f"left join {SCHEMA}.events e on {_same_period('k', 'e')}" if events else ""
    joined = "count(e.event_seq)" if events else "0"
    for m, t, d, n, n_joined, n_distinct in con.execute(f"""
        select k.municipality, k.term, k.report_date, count(*), {joined},
               count(distinct (k.pledge_code, k.event_seq))
        from {TABLE} k {join} group by all""").fetchall():
        stored[(m, t)][d] = (n, n_joined, n_distinct)
    matcher = matcher_fingerprint()
    plans = {}
    for series in series_of(con):
        prints = fingerprints.get(series, {})
        stale = set()
        for d, fp in prints.items():
            n_events = int(fp.split(":", 1)[0])
            if state[series].get(d) != (fp, matcher, n_events) or stored[series].get(d) != (n_events,) * 3:
                stale.add(d)
        changed = stale | ((set(state[series]) | set(stored[series])) - set(prints))
        plans[series] = KeyPlan(sorted(prints), prints, min(changed) if changed else None)
    return plans


# ---------------------------------------------------------------- the registry of published keys


def _registry_text_sql(alias: str, known: str) -> str:
    """The registry's text columns from `alias` (staging.events), null unless `known`."""
    return ", ".join(f"case when {known} then {alias}.{c} end" for c in _RECORD_COLUMNS[3:])


_REGISTRY_COLUMNS = "event_key, report_date, pledge_code, event_seq, " + ", ".join(_RECORD_COLUMNS[3:])


def register_stored_keys(con: duckdb.DuckDBPyConnection) -> int:
    """Register the keys stored before the registry existed (once: only while it is empty).

    A period whose staging rows are still those its keys were derived from (its state says so) gives
    its activities' text; the keys of any other period are reserved only: the report they were keyed
    from is gone, and its text must not be read from the report that replaced it.
    """
    _ensure_tables(con)
    if (
        con.execute(f"select count(*) from {REGISTRY_TABLE}").fetchone()[0]
        or not con.execute(f"select count(*) from {TABLE}").fetchone()[0]
    ):
        return 0
    if _events_exist(con):
        known = f"""e.event_seq is not null and exists (
            select 1 from {STATE_TABLE} s join (
                select municipality, term, report_date, {_FINGERPRINT_SQL} as fp from {SCHEMA}.events group by all
            ) f on f.municipality is not distinct from s.municipality and f.term is not distinct from s.term
                 and f.report_date = s.report_date and f.fp = s.events_fingerprint
            where s.municipality is not distinct from k.municipality and s.term is not distinct from k.term
              and s.report_date = k.report_date)"""
        source = f"{TABLE} k left join {SCHEMA}.events e on {_same_period('k', 'e')}"
    else:
        known, source = "false", f"{TABLE} k, (select {', '.join(f'null as {c}' for c in _RECORD_COLUMNS[3:])}) e"
    con.execute(f"""
        insert into {REGISTRY_TABLE} ({_REGISTRY_COLUMNS}, reserved, municipality, term)
        select k.event_key, k.report_date, k.pledge_code, k.event_seq, {_registry_text_sql("e", known)},
               not ({known}), k.municipality, k.term
        from {source}""")
    return con.execute(f"select count(*) from {REGISTRY_TABLE}").fetchone()[0]


def registered_keys(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every key of the registry, of every series."""
    _ensure_tables(con)
    return {key for (key,) in con.execute(f"select distinct event_key from {REGISTRY_TABLE}").fetchall()}


def load_published(
    con: duckdb.DuckDBPyConnection,
    since: dt.date | None = None,
    series: Series | None = None,
    keys: set[str] | None = None,
) -> Published:
    """The registry as matching the periods of `series` from `since` on needs it (all of them when None):
    every key (of every series: a key is never given twice; `keys`, when the caller keeps them up to date,
    read once for all series rather than once per series), and the published appearances in `series` of the
    periods from `since` on and of the keys not stored before it (a key stored before `since` is in the
    history: its other appearances are never candidates)."""
    _ensure_tables(con)
    series = _the_series(con, series)
    published = Published()
    published.keys = registered_keys(con) if keys is None else keys
    where, params = "", []
    if since is not None:
        where = (
            f"and (r.report_date >= ? or r.event_key not in "
            f"(select event_key from {TABLE} where report_date < ? and {_IN_SERIES}))"
        )
        params = [since, since, *series]
    cols = ", ".join(f"r.{c}" for c in _RECORD_COLUMNS)
    for row in con.execute(
        f"""
            select {cols}, r.event_key from {REGISTRY_TABLE} r
            where not r.reserved and r.municipality is not distinct from ? and r.term is not distinct from ? {where}
            order by r.report_date, r.pledge_code, r.event_seq, r.event_key""",
        [*series, *params],
    ).fetchall():
        published.add(row[9], _record(row[:9], series))
    return published


# ---------------------------------------------------------------- the matcher's history before C


def seed_history(con: duckdb.DuckDBPyConnection, before: dt.date, series: Series | None = None) -> KeyHistory:
    """The matcher's history after the periods of `series` before `before`, from their stored keys and
    staging rows.

    Only what matching needs: the activities of the last period before `before`, and the latest
    appearance of every key, ordered by the key's first appearance (as `KeyHistory` keeps them).
    """
    series = _the_series(con, series)
    history = KeyHistory()
    cols = ", ".join(f"e.{c}" for c in _RECORD_COLUMNS)
    rows = con.execute(
        f"""
        select {cols}, k.event_key
        from {SCHEMA}.events e join {TABLE} k on {_same_period("e", "k")}
        where e.municipality is not distinct from ? and e.term is not distinct from ?
          and e.report_date = (select max(report_date) from {SCHEMA}.events where report_date < ? and {_IN_SERIES})
        order by e.pledge_code, e.event_seq
    """,
        [*series, before, *series],
    ).fetchall()
    history.previous = [(_record(row[:9], series), row[9]) for row in rows]
    rows = con.execute(
        f"""
        with keys as (
            select event_key,
                   max(report_date) as last_date,
                   arg_max(pledge_code, report_date) as last_pledge,
                   arg_max(event_seq, report_date) as last_seq,
                   min(report_date) as first_date,
                   arg_min(pledge_code, report_date) as first_pledge,
                   arg_min(event_seq, report_date) as first_seq
            from {TABLE} where report_date < ? and {_IN_SERIES}
            group by event_key
        )
        select {cols}, k.event_key
        from keys k join {SCHEMA}.events e
          on e.report_date = k.last_date and e.pledge_code = k.last_pledge and e.event_seq = k.last_seq
         and e.municipality is not distinct from ? and e.term is not distinct from ?
        order by k.first_date, k.first_pledge, k.first_seq
    """,
        [before, *series, *series],
    ).fetchall()
    history.last_seen = {row[9]: _record(row[:9], series) for row in rows}
    return history


def _periods_of_records(
    con: duckdb.DuckDBPyConnection, periods: list[dt.date], series: Series
) -> Iterator[tuple[dt.date, list[ActivityRecord]]]:
    """The activities of `periods` (ascending) of `series`, period by period, a few dozen periods per query."""
    for i in range(0, len(periods), PERIODS_PER_READ):
        chunk = periods[i : i + PERIODS_PER_READ]
        by_period: dict[dt.date, list[ActivityRecord]] = defaultdict(list)
        for row in con.execute(
            f"""
            select {", ".join(_RECORD_COLUMNS)} from {SCHEMA}.events
            where report_date between ? and ? and {_IN_SERIES}
            order by report_date, pledge_code, event_seq
        """,
            [chunk[0], chunk[-1], *series],
        ).fetchall():
            by_period[row[0]].append(_record(row, series))
        for d in chunk:
            yield d, by_period.pop(d, [])


def _to_table(keyed: list[KeyedActivity]) -> pa.Table:
    return pa.Table.from_pydict({c: [getattr(k, c) for k in keyed] for c in _ALL_COLUMNS}, schema=EVENT_KEYS_SCHEMA)


# ---------------------------------------------------------------- writing


def _replace_periods(
    con: duckdb.DuckDBPyConnection,
    incoming: pa.Table,
    series: Series,
    since: dt.date | None,
    state_rows: list[tuple] | None,
) -> list[dt.date]:
    """Make the keys of the periods of `series` >= `since` (all when None) those of `incoming`, rewriting
    only the periods whose rows differ, in one transaction with the state: with `state_rows`, they become
    the state of the periods >= `since`; without, the state of the periods rewritten is dropped (their keys
    came from elsewhere). Returns the periods rewritten."""
    cols = ", ".join(_ALL_COLUMNS)
    where = f"where {_IN_SERIES}" + (" and report_date >= ?" if since is not None else "")
    params = [*series] + ([since] if since is not None else [])
    in_rewrite = f"{_IN_SERIES} and report_date in (select report_date from rewrite_periods)"
    con.register("incoming_event_keys", incoming)
    try:
        rewrite = [
            r[0]
            for r in con.execute(
                f"""
            select distinct report_date from (
                (select {cols} from incoming_event_keys except select {cols} from {TABLE} {where})
                union all
                (select {cols} from {TABLE} {where} except select {cols} from incoming_event_keys)
            ) order by 1""",
                params + params,
            ).fetchall()
        ]
        con.register("rewrite_periods", pa.table({"report_date": pa.array(rewrite, pa.date32())}))
        con.register(
            "incoming_state",
            pa.Table.from_pylist(
                [dict(zip(_STATE_COLUMNS, row)) for row in state_rows or []], schema=EVENT_KEYS_STATE_SCHEMA
            ),
        )
        con.execute("begin transaction")
        try:
            if rewrite:
                changes.add(con, [period_key(series[0], d) for d in rewrite], "rekeyed")  # read by dbt
                con.execute(f"delete from {TABLE} where {in_rewrite}", list(series))
                con.execute(
                    f"""insert into {TABLE} ({cols}) select {cols} from incoming_event_keys
                                where {in_rewrite}""",
                    list(series),
                )
                if state_rows is None:
                    con.execute(f"delete from {STATE_TABLE} where {in_rewrite}", list(series))
            if _events_exist(con):
                # every key written is published with the run: registered with the text it was keyed on
                con.execute(f"""delete from {REGISTRY_TABLE} r using incoming_event_keys i
                                where r.event_key = i.event_key and r.report_date = i.report_date""")
                con.execute(f"""
                    insert into {REGISTRY_TABLE} ({_REGISTRY_COLUMNS}, reserved, municipality, term)
                    select i.event_key, i.report_date, i.pledge_code, i.event_seq, {_registry_text_sql("e", "true")},
                           false, i.municipality, i.term
                    from incoming_event_keys i join {SCHEMA}.events e on {_same_period("i", "e")}""")
            if state_rows is not None:
                con.execute(f"delete from {STATE_TABLE} {where}", params)
                con.execute(
                    f"insert into {STATE_TABLE} ({', '.join(_STATE_COLUMNS)}) "
                    f"select {', '.join(_STATE_COLUMNS)} from incoming_state"
                )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        for view in ("incoming_event_keys", "rewrite_periods", "incoming_state"):
            try:
                con.unregister(view)
            except Exception:  # not registered: the comparison failed before
                pass
    return rewrite


def write_keys(con: duckdb.DuckDBPyConnection, keyed: list[KeyedActivity]) -> tuple[list[dt.date], list[dt.date]]:
    """Make `keyed` the keys of every period (periods absent from it lose theirs), rewriting only the
    periods whose keys changed. The asset uses `update_keys`; this one takes keys derived elsewhere, so
    it drops the state of the periods it rewrites (the next `update_keys` re-derives them).

    Returns (periods rewritten, periods kept as they were).
    """
    _ensure_tables(con)
    by_series: dict[Series, list[KeyedActivity]] = defaultdict(list)
    for k in keyed:
        by_series[(k.municipality, k.term)].append(k)
    rewrite: list[dt.date] = []
    kept: list[dt.date] = []
    for series in sorted(set(series_of(con)) | set(by_series), key=lambda s: (s[0] or "", s[1] or 0)):
        done = _replace_periods(con, _to_table(by_series.get(series, [])), series, None, None)
        rewrite += done
        kept += sorted({k.report_date for k in by_series.get(series, [])} - set(done))
    return sorted(rewrite), sorted(kept)


@dataclass
class KeyUpdate:
    rewritten: list[dt.date]  # periods whose rows in staging.event_keys changed (or were removed)
    kept: list[dt.date]  # current periods whose rows did not change
    rekeyed: list[dt.date]  # periods matched again (from the first changed one on)
    reused: list[dt.date]  # periods whose stored keys were kept without matching them again


def update_keys(con: duckdb.DuckDBPyConnection) -> KeyUpdate:
    """Bring `staging.event_keys` up to date with `staging.events`, matching only the periods that need it,
    municipality and term apart: the first report of a term, or of a municipality, starts from no keys."""
    register_stored_keys(con)
    update = KeyUpdate([], [], [], [])
    keys = registered_keys(con)  # kept up to date below with each series' keys, as the registry is
    for series, plan in plan_keys(con).items():
        if plan.first_to_rekey is None:
            update.kept += plan.periods
            update.reused += plan.periods
            continue
        since = plan.first_to_rekey
        history = seed_history(con, since, series) if plan.reused else KeyHistory()
        history.published = load_published(con, since, series, keys)
        following = dict(itertools.pairwise(plan.periods))
        tables = [
            _to_table(history.key_period(records, following.get(d)))
            for d, records in _periods_of_records(con, plan.rekeyed, series)
            if records
        ]
        incoming = pa.concat_tables(tables) if tables else EVENT_KEYS_SCHEMA.empty_table()
        matcher = matcher_fingerprint()
        state_rows = [
            [*series, d, plan.fingerprints[d], matcher, int(plan.fingerprints[d].split(":", 1)[0])]
            for d in plan.rekeyed
        ]
        rewrite = _replace_periods(con, incoming, series, since, state_rows)
        keys.update(incoming.column("event_key").to_pylist())  # registered by the write
        rewritten = set(rewrite)
        update.rewritten += rewrite
        update.kept += [d for d in plan.periods if d not in rewritten]
        update.rekeyed += plan.rekeyed
        update.reused += plan.reused
    return KeyUpdate(*(sorted(x) for x in (update.rewritten, update.kept, update.rekeyed, update.reused)))


# ---------------------------------------------------------------- what the table holds


def continuity(keyed: list[KeyedActivity]) -> dict[str, float]:
    """Per pair of consecutive periods of one municipality and term: share of the earlier period's keys
    found again in the later one."""
    keys: dict[tuple, set[str]] = defaultdict(set)
    for k in keyed:
        keys[(k.municipality, k.term, k.report_date)].add(k.event_key)
    periods = sorted(keys)
    return {
        _pair_name(a, b): round(len(keys[a] & keys[b]) / len(keys[a]), 4)
        for a, b in zip(periods, periods[1:])
        if keys[a] and a[:2] == b[:2]
    }


def _pair_name(a: tuple, b: tuple) -> str:
    """`2019-12-31 -> 2020-12-31`, prefixed by the municipality and term when they are named."""
    pair = f"{a[2]} -> {b[2]}"
    return f"{a[0]} 민선{a[1]}기 {pair}" if a[0] else pair


def stored_continuity(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """`continuity` of the keys in `staging.event_keys`, computed in SQL."""
    rows = con.execute(f"""
        with periods as (select distinct municipality, term, report_date from {TABLE}),
        pairs as (select municipality, term, report_date as a,
                         lead(report_date) over (partition by municipality, term order by report_date) as b
                  from periods)
        select p.municipality, p.term, p.a, p.b, count(*) as n, count(k2.event_key) as n_again
        from pairs p
        join {TABLE} k1 on k1.report_date = p.a and k1.municipality is not distinct from p.municipality
                        and k1.term is not distinct from p.term
        left join {TABLE} k2 on k2.report_date = p.b and k2.event_key = k1.event_key
        where p.b is not null
        group by all order by 1, 2, 3""").fetchall()
    return {_pair_name((m, t, a), (m, t, b)): round(n_again / n, 4) for m, t, a, b, n, n_again in rows}


def stored_methods(con: duckdb.DuckDBPyConnection) -> dict[str, Counter]:
    """Period (its date; the municipalities of one date summed) -> match method -> activities."""
    per_period: dict[str, Counter] = defaultdict(Counter)
    for d, method, n in con.execute(
        f"select report_date, match_method, count(*) from {TABLE} group by 1, 2 order by 1, 2"
    ).fetchall():
        per_period[str(d)][method] = n
    return per_period


def unkeyed_activities(con: duckdb.DuckDBPyConnection) -> int:
    """Activities of `staging.events` without exactly one key (none, a null one, or several)."""
    if not _events_exist(con):
        return 0
    return con.execute(f"""
        select count(*) from {SCHEMA}.events e
        left join (select municipality, term, report_date, pledge_code, event_seq, count(event_key) as n,
                          count(*) as n_rows
                   from {TABLE} group by all) k on {_same_period("e", "k")}
        where k.n is distinct from 1 or k.n_rows is distinct from 1""").fetchone()[0]
