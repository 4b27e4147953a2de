"""Incremental activity keys (pipeline/identity/store.py `update_keys`) give exactly the keys of
the full recomputation (`assign_keys` over every period from the oldest).

The asset keeps the stored keys of the periods before the earliest one that changed and re-derives
only the periods from it on, seeding the matcher from the stored keys. Every test applies a change to
`staging.events`, runs `update_keys`, and compares `staging.event_keys` with `assign_keys` over all of
`staging.events`, row for row; and checks which periods were matched again.
"""

import datetime as dt
import random

import duckdb
import pyarrow as pa
import pytest

from pipeline.identity import store as identity
from pipeline.identity.match import KeyHistory, assign_keys
from pipeline.identity.store import (
    STATE_TABLE,
    TABLE,
    continuity,
    load_published,
    read_activities,
    stored_continuity,
    stored_methods,
    update_keys,
    write_keys,
)
from pipeline.load.staging import TABLE_SCHEMAS, create_staging_tables
from testkit.reports import build_series, correct_latest

EVENTS_SCHEMA = TABLE_SCHEMAS["events"]
_NESTED = {"details", "attendees", "dates"}


# ---------------------------------------------------------------- helpers


def _db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    create_staging_tables(con)
    return con


def _put_period(con, report_date: dt.date, rows: list[dict]) -> None:
    """Replace one period of staging.events (as the staging loader does)."""
    con.execute("delete from staging.events where report_date = ?", [report_date])
    if rows:
        table = pa.Table.from_pylist([dict(r, report_date=report_date) for r in rows], schema=EVENTS_SCHEMA)
        con.register("incoming_events", table)
        con.execute("insert into staging.events by name select * from incoming_events")
        con.unregister("incoming_events")


def _full(con, published=None) -> set[tuple]:
    """The keys of one pass from the oldest period, given the registry of published keys (default: as stored)."""
    published = load_published(con) if published is None else published
    return {
        (k.report_date, k.pledge_code, k.event_seq, k.event_key, k.match_method, k.matched_report_date)
        for k in assign_keys(read_activities(con), published=published)
    }


def _stored(con) -> set[tuple]:
    return set(con.execute(f"select {', '.join(identity._COLUMNS)} from {TABLE}").fetchall())


_PRINTED = "report_date, pledge_code, event_seq, title, start_date, start_precision, end_date, end_precision, raw_text"


def _as_published(con) -> dict[tuple, str]:
    """Activity as printed at its position -> its published key (positions registered once only)."""
    rows = con.execute(f"""
        select {_PRINTED}, any_value(event_key) from {identity.REGISTRY_TABLE} where not reserved
        group by all having count(*) = 1""").fetchall()
    return {tuple(r[:-1]): r[-1] for r in rows}


def _check(con, rekeyed: list[dt.date] | None = None):
    identity.register_stored_keys(con)
    published = load_published(con)  # what was published before this run
    before = _as_published(con)
    update = update_keys(con)
    assert _stored(con) == _full(con, published)
    assert _stored(con) == _full(con)  # keying again, with this run's keys published, changes nothing
    # an activity printed as it was published keeps its published key, whatever else changed
    now = con.execute(f"""select {", ".join("e." + c for c in _PRINTED.split(", "))}, k.event_key
                          from staging.events e join {TABLE} k using (report_date, pledge_code, event_seq)""")
    moved = [
        (r[:3], before[tuple(r[:-1])], r[-1])
        for r in now.fetchall()
        if tuple(r[:-1]) in before and before[tuple(r[:-1])] != r[-1]
    ]
    assert moved == []
    # and no key names two activities of one report, nor a key once published another pledge's activity
    assert (
        con.execute(
            f"select count(*) from (select report_date, event_key from {TABLE} group by all having count(*) > 1)"
        ).fetchone()[0]
        == 0
    )
    assert (
        con.execute(
            f"select count(*) from (select event_key from {identity.REGISTRY_TABLE} group by 1 "
            "having count(distinct pledge_code) > 1)"
        ).fetchone()[0]
        == 0
    )
    n = con.execute(f"select count(*) from {TABLE}").fetchone()[0]
    assert n == len(_stored(con))  # no duplicate rows
    if rekeyed is not None:
        assert update.rekeyed == rekeyed
    periods = [r[0] for r in con.execute("select distinct report_date from staging.events order by 1").fetchall()]
    assert update.reused + update.rekeyed == periods
    assert sorted(update.kept + [d for d in update.rewritten if d in periods]) == periods
    # the state describes exactly the current periods: a re-run matches nothing
    assert [r[0] for r in con.execute(f"select report_date from {STATE_TABLE} order by 1").fetchall()] == periods
    again = update_keys(con)
    assert (again.rekeyed, again.rewritten, again.reused) == ([], [], periods)
    return update


# ---------------------------------------------------------------- the synthetic series of testkit/reports.py


@pytest.fixture(scope="module")
def synthetic():
    """period -> staging.events rows of the synthetic 2019 / real 2020 / synthetic 2021 reports, plus the
    2021 report corrected (one added activity left out)."""
    from pipeline.parse.report import parse_report_text

    series = build_series()
    removed = sorted(series.transitions[1].added)[0]
    corrected = correct_latest(series, removed).snapshots[2]

    def rows(snapshot):
        parsed = parse_report_text(snapshot.text, source_file=snapshot.file_name, report_date=snapshot.report_date)
        return [dict(e.model_dump(exclude=_NESTED), source_file=snapshot.file_name) for e in parsed.events]

    out = {s.report_date: rows(s) for s in series.snapshots}
    return out, rows(corrected)


Y19, Y20, Y21 = dt.date(2019, 12, 31), dt.date(2020, 12, 31), dt.date(2021, 12, 31)


def test_adding_the_newest_period_keys_only_it(synthetic):
    rows, _ = synthetic
    con = _db()
    _put_period(con, Y19, rows[Y19])
    _put_period(con, Y20, rows[Y20])
    first = _check(con, [Y19, Y20])
    assert first.rewritten == [Y19, Y20]
    _put_period(con, Y21, rows[Y21])
    update = _check(con, [Y21])
    assert update.reused == [Y19, Y20] and update.rewritten == [Y21] and update.kept == [Y19, Y20]
    # the seeded history is the one the full run ends with before 2021
    history = KeyHistory()
    assign_keys([r for r in read_activities(con) if r.report_date < Y21], history)
    seeded = identity.seed_history(con, Y21)
    assert seeded.previous == history.previous
    assert list(seeded.last_seen.items()) == list(history.last_seen.items())


def test_adding_an_older_period_in_the_middle_rekeys_from_it(synthetic):
    rows, _ = synthetic
    con = _db()
    _put_period(con, Y19, rows[Y19])
    _put_period(con, Y21, rows[Y21])
    _check(con)
    _put_period(con, Y20, rows[Y20])
    update = _check(con, [Y20, Y21])
    assert update.reused == [Y19] and Y20 in update.rewritten


def test_adding_the_oldest_period_rekeys_everything(synthetic):
    rows, _ = synthetic
    con = _db()
    _put_period(con, Y20, rows[Y20])
    _put_period(con, Y21, rows[Y21])
    _check(con)
    published = _stored(con)
    _put_period(con, Y19, rows[Y19])
    update = _check(con, [Y19, Y20, Y21])
    # the published keys stay: the 2019 activities printed again in 2020 take their 2020 keys; 2020 is
    # rewritten for its methods only (now matched to 2019), 2021 not at all
    assert update.rewritten == [Y19, Y20]
    assert {r[:4] for r in _stored(con) if r[0] != Y19} == {r[:4] for r in published}
    keys_2019 = {r[3] for r in _stored(con) if r[0] == Y19}
    matched_2020 = {r[3] for r in _stored(con) if r[0] == Y20 and r[4] != "new"}
    assert matched_2020 and matched_2020 <= keys_2019


def test_replacing_a_periods_file(synthetic):
    rows, corrected_2021 = synthetic
    con = _db()
    for d in (Y19, Y20, Y21):
        _put_period(con, d, rows[d])
    _check(con)
    _put_period(con, Y21, corrected_2021)
    update = _check(con, [Y21])
    assert update.rewritten == [Y21]
    # a replaced middle period: 2020 without its first activity
    _put_period(con, Y20, rows[Y20][1:])
    _check(con, [Y20, Y21])


def test_removing_a_period(synthetic):
    rows, _ = synthetic
    con = _db()
    for d in (Y19, Y20, Y21):
        _put_period(con, d, rows[d])
    _check(con)
    _put_period(con, Y20, [])
    update = _check(con, [Y21])
    assert Y20 in update.rewritten and update.reused == [Y19]
    assert con.execute(f"select count(*) from {TABLE} where report_date = ?", [Y20]).fetchone()[0] == 0


def test_another_matcher_or_damaged_keys_rekey_everything(synthetic, monkeypatch):
    rows, _ = synthetic
    con = _db()
    for d in (Y19, Y20, Y21):
        _put_period(con, d, rows[d])
    _check(con)
    monkeypatch.setattr(identity, "matcher_fingerprint", lambda: "another matcher")
    update = _check(con, [Y19, Y20, Y21])
    assert update.rewritten == []  # same matcher in truth: same keys, nothing written
    monkeypatch.undo()
    _check(con, [Y19, Y20, Y21])
    # keys lost or edited behind the asset's back: re-keyed from that period
    con.execute(f"delete from {TABLE} where report_date = ? and event_seq = 1", [Y20])
    _check(con, [Y20, Y21])
    con.execute(f"update {TABLE} set event_seq = event_seq + 1000 where report_date = ? and event_seq = 2", [Y21])
    _check(con, [Y21])


def test_metadata_in_sql_matches_python(synthetic):
    rows, _ = synthetic
    con = _db()
    for d in (Y19, Y20, Y21):
        _put_period(con, d, rows[d])
    update_keys(con)
    keyed = assign_keys(read_activities(con))
    assert stored_continuity(con) == continuity(keyed)
    methods = stored_methods(con)
    assert sum(sum(c.values()) for c in methods.values()) == len(keyed)
    assert {p: c["new"] for p, c in methods.items()} == {
        str(d): sum(1 for k in keyed if k.report_date == d and k.match_method == "new") for d in (Y19, Y20, Y21)
    }


def test_write_keys_drops_the_state_of_what_it_rewrites(synthetic):
    """Keys written by hand are not trusted by the next incremental run."""
    rows, _ = synthetic
    con = _db()
    for d in (Y19, Y20, Y21):
        _put_period(con, d, rows[d])
    _check(con)
    keyed = [k for k in assign_keys(read_activities(con)) if k.report_date != Y20]
    rewritten, kept = write_keys(con, keyed)
    assert rewritten == [Y20] and kept == [Y19, Y21]
    _check(con, [Y20, Y21])


# ---------------------------------------------------------------- long random histories, ties included


TITLES = [
    "주민 간담회",
    "주민 간담회 개최",
    "전문가 자문회의",
    "전문가 자문회의 개최",
    "드론축구 대회",
    "선미촌 4차 소위원회",
    "선미촌 5차 소위원회",
    "현장 점검",
    "현장점검 실시",
    "",
]
DATES = [None, dt.date(2019, 3, 22), dt.date(2019, 3, 23), dt.date(2019, 6, 1), dt.date(2020, 10, 8)]


def _random_period(rnd: random.Random, previous: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Next report: most activities reprinted (some dropped, some back, some reworded), a few new ones,
    drawn from few titles and dates so that ties between candidates are common."""
    out = {}
    for pledge in ("1", "2", "10"):
        acts = [a for a in previous.get(pledge, []) if rnd.random() > 0.25]
        for _ in range(rnd.randint(0, 3)):
            acts.insert(rnd.randint(0, len(acts)), (rnd.choice(TITLES), rnd.choice(DATES)))
        if acts and rnd.random() < 0.3:
            i = rnd.randrange(len(acts))
            acts[i] = (rnd.choice(TITLES), acts[i][1])
        if rnd.random() < 0.2:
            rnd.shuffle(acts)
        out[pledge] = acts
    return out


def _rows(period: dict[str, list[tuple]]) -> list[dict]:
    return [
        dict(
            serial_no=1,
            pledge_code=pledge,
            event_seq=seq,
            title=title,
            raw_text=title,
            start_date=date,
            start_precision="day" if date else None,
            end_date=date,
            end_precision="day" if date else None,
            source_line=seq,
        )
        for pledge, acts in period.items()
        for seq, (title, date) in enumerate(acts, 1)
    ]


@pytest.mark.parametrize("seed", range(6))
def test_random_histories(seed):
    rnd = random.Random(seed)
    periods, state = [], {}
    for i in range(24):
        state = _random_period(rnd, state)
        periods.append((dt.date(2000 + i, 12, 31), _rows(state)))
    con = _db()
    present = set()
    for d, rows in periods[:16]:
        _put_period(con, d, rows)
        present.add(d)
        if rnd.random() < 0.5:
            _check(con)
    _check(con)
    for d, rows in periods[16:]:  # the next reports arrive one by one
        _put_period(con, d, rows)
        present.add(d)
        assert _check(con).rekeyed == [d]
    for _ in range(8):  # corrections anywhere in the history
        d, rows = rnd.choice(periods)
        op = rnd.random()
        if op < 0.3 and d in present:
            _put_period(con, d, [])
            present.discard(d)
        elif op < 0.6:
            _put_period(con, d, rows)
            present.add(d)
        else:
            _put_period(con, d, _rows(_random_period(rnd, {})))
            present.add(d)
        _check(con)


def test_keys_stored_before_the_registry_are_registered_once(synthetic):
    """A warehouse keyed before the registry existed: its keys are published, so they are registered on
    the next run, with their text where staging still holds the report they were keyed from."""
    rows, corrected_2021 = synthetic
    con = _db()
    for d in (Y19, Y20, Y21):
        _put_period(con, d, rows[d])
    update_keys(con)
    before = _stored(con)
    con.execute(f"delete from {identity.REGISTRY_TABLE}")  # as stored by the matcher before the registry
    _put_period(con, Y21, corrected_2021)  # and 2021 replaced since
    assert identity.register_stored_keys(con) == len(before)
    assert identity.register_stored_keys(con) == 0  # once
    reserved = dict(
        con.execute(f"select report_date, bool_and(reserved) from {identity.REGISTRY_TABLE} group by 1").fetchall()
    )
    assert reserved == {Y19: False, Y20: False, Y21: True}
    update_keys(con)
    after = _stored(con)
    assert {r for r in after if r[0] != Y21} == {r for r in before if r[0] != Y21}
    # the keys of the replaced 2021 report are reserved: a new key of 2021 is none of the keys published
    new_2021 = {r[3] for r in after if r[0] == Y21 and r[4] == "new"}
    assert new_2021 and not new_2021 & {r[3] for r in before}
