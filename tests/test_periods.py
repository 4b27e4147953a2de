"""Comparing reporting periods, end to end: real Dagster job, real dbt build, three periods.

Synthetic 2019 and 2021 snapshots are derived from the real 2020 report (testkit/reports.py)
and asserted against the builders' ground truth. One workspace is built for the whole module, the way
a user would: the real report and a first 2021 file, then, in a second run, the older 2019 report added
and the 2021 file replaced by a corrected one. That run must parse only those two periods and re-key
every period from the oldest; the assertions are on the final three periods.
"""

import datetime as dt
import hashlib
from collections import Counter, defaultdict

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance

from testkit.reports import build_series, correct_latest, opaque_pledges, with_opaque_counts

from .conftest import SEED_REPORT, make_workspace, use_workspace

Y19, Y20, Y21 = dt.date(2019, 12, 31), dt.date(2020, 12, 31), dt.date(2021, 12, 31)
MIN_KEY_CONTINUITY = 0.95


def _run_partitions(ws) -> dict[str, set[str]]:
    """Asset -> partitions materialized by the workspace's latest run."""
    instance = DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    out: dict[str, set[str]] = defaultdict(set)
    for record in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        mat = record.dagster_event.event_specific_data.materialization
        out[mat.asset_key.to_user_string()].add(mat.partition)
    return out


def _latest_metadata(key: AssetKey) -> dict:
    event = DagsterInstance.get().get_latest_materialization_event(key)
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def _event_keys_metadata() -> dict:
    return _latest_metadata(AssetKey(["staging", "event_keys"]))


@pytest.fixture(scope="module")
def periods(tmp_path_factory):
    """Two runs: the real 2020 report with a first 2021 file; then the older 2019 report is added and
    the 2021 file replaced by a corrected one (one added activity left out) in the same run."""
    series = build_series()
    snapshots_dir = tmp_path_factory.mktemp("synthetic")  # never raw/
    first_2021 = series.snapshots[2]
    removed = sorted(series.transitions[1].added)[0]
    series = correct_latest(series, removed)
    s2019, _, s2021 = series.snapshots
    with pytest.MonkeyPatch.context() as mp:
        ws = make_workspace(
            tmp_path_factory.mktemp("periods"), mp, reports=[SEED_REPORT, first_2021.write(snapshots_dir)]
        )
        assert ws.run() == 0
        ws.first_run_partitions = _run_partitions(ws)
        ws.first_run_parsed_metadata = _latest_metadata(AssetKey("parsed_activities"))
        ws.keys_before = _keys(ws)
        with ws.connect() as con:
            ws.first_2021_n_events = con.execute(
                "select n_events from marts.dim_period where report_date = ?", [Y21]
            ).fetchone()[0]
        ws.first_2021, ws.removed = first_2021, removed
        s2019.write(ws.raw_dir)
        s2021.write(ws.raw_dir)  # same file name, new content
        assert ws.run() == 0
        ws.second_run_partitions = _run_partitions(ws)
        ws.second_run_parsed_metadata = _latest_metadata(AssetKey("parsed_activities"))
        ws.second_run_staging_metadata = _latest_metadata(AssetKey(["staging", "events"]))
        ws.second_run_keys_metadata = _event_keys_metadata()
        with ws.connect() as con:
            counts = dict(
                con.execute(
                    "select pledge_code, count(*) from marts.fct_events where report_date = ? and pledge_code in "
                    f"({', '.join(repr(c) for c in opaque_pledges())}) group by 1",
                    [Y20],
                ).fetchall()
            )
        ws.series = with_opaque_counts(series, counts)
        yield ws


def _keys(ws) -> dict[tuple, str]:
    with ws.connect() as con:
        rows = con.execute("select report_date, pledge_code, event_seq, event_key from marts.fct_events").fetchall()
    return {(d, p, s): k for d, p, s, k in rows}


def _origins(snapshot) -> dict[tuple, str]:
    """(report_date, pledge_code, event_seq) -> origin id, by the builder's order of the pledge's list."""
    return {
        (snapshot.report_date, code, seq): origin
        for code, origins in snapshot.activities.items()
        for seq, origin in enumerate(origins, 1)
    }


@pytest.fixture(scope="module")
def key_by_origin(periods):
    """period -> origin -> event_key in the published warehouse."""
    keys = _keys(periods)
    out: dict[dt.date, dict[str, str]] = defaultdict(dict)
    for snap in periods.series.snapshots:
        for pos, origin in _origins(snap).items():
            out[snap.report_date][origin] = keys[pos]
    return out


@pytest.fixture(scope="module")
def lifecycle(periods):
    with periods.connect() as con:
        rows = con.execute("select event_key, report_date, status from marts.fct_event_lifecycle").fetchall()
    return {(k, d): s for k, d, s in rows}


def test_every_period_is_built(periods):
    with periods.connect() as con:
        rows = con.execute(
            "select report_date, source_file, n_pledges, n_events from marts.dim_period order by 1"
        ).fetchall()
    assert [r[0] for r in rows] == [Y19, Y20, Y21]
    assert rows[0][1].startswith("SYNTHETIC_") and rows[2][1].startswith("SYNTHETIC_")
    assert [r[3] for r in rows] == [s.n_activities for s in periods.series.snapshots]
    assert all(r[2] == 76 for r in rows)


def test_activities_per_pledge_match_the_ground_truth(periods):
    with periods.connect() as con:
        rows = con.execute("select report_date, pledge_code, count(*) from marts.fct_events group by 1, 2").fetchall()
    got = {(d, p): n for d, p, n in rows}
    for snap in periods.series.snapshots:
        want = {(snap.report_date, code): len(o) for code, o in snap.activities.items() if o}
        assert {k: v for k, v in got.items() if k[0] == snap.report_date} == want


def _parsed_now(metadata: dict) -> set[str]:
    """Periods the run's parse step parsed (rather than found in the parse cache)."""
    return {period for period, figures in metadata["per_period"].items() if not figures["cached"]}


def test_only_new_and_changed_files_are_parsed(periods):
    assert periods.first_run_partitions["raw_report"] == {"전주시/2020-12-31", "전주시/2021-12-31"}
    assert _parsed_now(periods.first_run_parsed_metadata) == {"전주시/2020-12-31", "전주시/2021-12-31"}
    # the real 2020 report did not change: not read, not parsed, not reloaded
    assert periods.second_run_partitions["raw_report"] == {"전주시/2019-12-31", "전주시/2021-12-31"}
    # one unpartitioned step parses the periods of the run's range (one materialization, not one per period)
    assert periods.second_run_partitions["parsed_activities"] == {None}
    assert set(periods.second_run_parsed_metadata["per_period"]) == {"전주시/2019-12-31", "전주시/2021-12-31"}
    assert _parsed_now(periods.second_run_parsed_metadata) == {"전주시/2019-12-31", "전주시/2021-12-31"}
    # staging is one unpartitioned step that reloads exactly the periods whose parse changed
    assert periods.second_run_partitions["staging/events"] == {None}
    assert periods.second_run_staging_metadata["periods_loaded"] == ["전주시/2019-12-31", "전주시/2021-12-31"]
    # unpartitioned: the keys of every period were derived again from the oldest one
    assert periods.second_run_partitions["staging/event_keys"] == {None}
    assert periods.second_run_keys_metadata["periods_rewritten"] == ["2019-12-31", "2020-12-31", "2021-12-31"]


def test_a_changed_file_replaces_its_period(periods):
    s2021 = periods.series.snapshots[2]
    path = periods.raw_dir / s2021.file_name
    with periods.connect() as con:
        sha, n_events = con.execute(
            "select source_sha256, n_events from marts.dim_period where report_date = ?", [Y21]
        ).fetchone()
        n_files = con.execute("select count(*) from staging.report_files where report_date = ?", [Y21]).fetchone()[0]
        removed_left = con.execute(
            "select count(*) from marts.fct_events where report_date = ? and title like ?",
            [Y21, "%" + _title_of(periods.first_2021, periods.removed) + "%"],
        ).fetchone()[0]
    assert (
        sha
        == hashlib.sha256(path.read_bytes()).hexdigest()
        != hashlib.sha256(periods.first_2021.text.encode()).hexdigest()
    )
    assert n_events == s2021.n_activities == periods.first_2021_n_events - 1
    assert n_files == 1 and removed_left == 0


def _title_of(snapshot, origin):
    import re

    own = snapshot.printed[origin][0]
    return re.sub(r"^<li>\S+\s+", "", own).split(" <ul")[0].strip()


@pytest.mark.parametrize("step", [0, 1])
def test_shared_activities_keep_their_key(periods, key_by_origin, step):
    t = periods.series.transitions[step]
    a, b = t.previous.report_date, t.current.report_date
    kept = [o for o in t.shared if key_by_origin[a][o] == key_by_origin[b][o]]
    continuity = len(kept) / len(t.shared)
    print(f"key continuity {a} -> {b}: {len(kept)}/{len(t.shared)} = {continuity:.2%}")
    assert continuity >= MIN_KEY_CONTINUITY, sorted(set(t.shared) - set(kept))
    assert continuity == 1.0, f"aim is 100%: lost {sorted(set(t.shared) - set(kept))}"


@pytest.mark.parametrize("step", [0, 1])
def test_no_key_is_given_to_another_activity(periods, key_by_origin, step):
    t = periods.series.transitions[step]
    a, b = t.previous.report_date, t.current.report_date
    for origin in t.added:
        assert key_by_origin[b][origin] not in key_by_origin[a].values(), origin
    current_keys = set(key_by_origin[b].values())
    assert len(current_keys) == len(key_by_origin[b])
    for origin in t.dropped:
        assert key_by_origin[a][origin] not in current_keys, origin


@pytest.mark.parametrize("step", [0, 1])
def test_lifecycle_statuses_follow_the_ground_truth(periods, key_by_origin, lifecycle, step):
    t = periods.series.transitions[step]
    a, b = t.previous.report_date, t.current.report_date
    status = {o: lifecycle.get((key_by_origin[b][o], b)) for o in key_by_origin[b]}
    assert {o for o in t.added if status[o] != "new"} == set()
    assert {o for o in t.dropped if lifecycle.get((key_by_origin[a][o], b)) != "dropped"} == set()
    assert {o: status[o] for o in t.changed if status[o] != "changed"} == {}
    wrong_carried = {o: (status[o], t.cosmetic.get(o)) for o in t.carried if status[o] != "carried"}
    accuracy = 1 - len(wrong_carried) / len(t.carried)
    print(
        f"{b}: {len(t.added)} new, {len(t.dropped)} dropped, {len(t.changed)} changed, "
        f"{len(t.carried)} carried ({accuracy:.2%} recognised as carried)"
    )
    assert wrong_carried == {}
    with periods.connect() as con:
        counts = dict(
            con.execute(
                "select status, count(*) from marts.fct_event_lifecycle where report_date = ? group by 1", [b]
            ).fetchall()
        )
    assert counts == {
        s: n
        for s, n in {
            "new": len(t.added),
            "dropped": len(t.dropped),
            "changed": len(t.changed),
            "carried": len(t.carried),
        }.items()
        if n
    }


def test_first_period_is_all_new(periods, lifecycle):
    statuses = Counter(s for (_, d), s in lifecycle.items() if d == Y19)
    assert statuses == {"new": periods.series.snapshots[0].n_activities}


def test_reworded_activity_is_matched_and_changed(periods, key_by_origin):
    (origin,) = [o for o, kind in periods.series.transitions[1].changed.items() if kind == "text"]
    with periods.connect() as con:
        method, text_changed = con.execute(
            """
            select e.match_method, l.is_text_changed from marts.fct_events e
            join marts.fct_event_lifecycle l using (event_key, report_date)
            where e.event_key = ? and e.report_date = ?""",
            [key_by_origin[Y21][origin], Y21],
        ).fetchone()
    assert method in ("dates", "similar") and text_changed


def test_renamed_pledge_shows_both_names(periods):
    code, older, newer = periods.series.renamed_pledge
    with periods.connect() as con:
        history = con.execute(
            """
            select pledge_name_ko, valid_from_report_date, valid_to_report_date, is_current
            from marts.dim_pledge_history where pledge_code = ? order by valid_from_report_date""",
            [code],
        ).fetchall()
        latest = con.execute("select pledge_name_ko from marts.dim_pledge where pledge_code = ?", [code]).fetchone()[0]
        n_renamed = con.execute(
            "select count(distinct pledge_code) from marts.dim_pledge_history where version_no > 1"
        ).fetchone()[0]
    assert history == [(older, Y19, Y19, False), (newer, Y20, Y21, True)]
    assert latest == newer
    assert n_renamed == 1  # field labels printed `경제분야` / `경 제 분 야` / `공동체 분야` are no rename


def test_activity_marts_add_up(periods, lifecycle):
    t19, t21 = periods.series.transitions
    with periods.connect() as con:
        by_pledge = con.execute("""
            select report_date, pledge_code, n_events, n_new_events, n_dropped_events, n_changed_events
            from marts.mart_pledge_activity_by_period""").fetchall()
        fields = con.execute("""
            select f.report_date, f.field_code, f.n_events, f.n_new_events, f.n_dropped_events, f.n_attendees,
                   p.n_events, p.n_new_events, p.n_dropped_events, p.n_attendees
            from marts.mart_field_activity_by_period f
            join (select report_date, field_code, sum(n_events) n_events, sum(n_new_events) n_new_events,
                         sum(n_dropped_events) n_dropped_events, sum(n_attendees) n_attendees
                  from marts.mart_pledge_activity_by_period group by 1, 2) p
             using (report_date, field_code)""").fetchall()
        people = dict(
            con.execute("select report_date, sum(attendee_count) from marts.fct_events group by 1").fetchall()
        )
        field_people = dict(
            con.execute(
                "select report_date, sum(n_attendees) from marts.mart_field_activity_by_period group by 1"
            ).fetchall()
        )
    rows = {(r[0], r[1]): r[2:] for r in by_pledge}
    dropped_per_pledge = Counter(o.split("#")[0] for o in t21.dropped)
    for code, n in dropped_per_pledge.items():
        assert rows[(Y21, code)][2] == n
    new_per_pledge = Counter(o.split("#")[0] for o in t21.added)
    for code, n in new_per_pledge.items():
        assert rows[(Y21, code)][1] == n
    assert sum(r[1] for (d, _), r in rows.items() if d == Y20) == len(t19.added)
    assert sum(r[0] for (d, _), r in rows.items() if d == Y21) == periods.series.snapshots[2].n_activities
    for row in fields:
        assert row[2:6] == row[6:10]
    assert field_people == people
    # a pledge with an empty list that year is still a row of the pledge mart
    empty_2019 = [c for c, o in periods.series.snapshots[0].activities.items() if not o]
    assert empty_2019 and all(rows[(Y19, c)][0] == 0 for c in empty_2019)


def test_keys_of_activities_first_printed_later_do_not_move(periods, key_by_origin):
    """Adding the older 2019 report re-keys 2020 and 2021 from it; what 2019 did not print keeps its key."""
    before = periods.keys_before
    t19, t21 = periods.series.transitions
    for origin in t19.added:  # first printed in 2020: the key from before 2019 arrived
        assert key_by_origin[Y20][origin] == before[(Y20, *_pos_in(periods.series.snapshots[1], origin))]
    for origin in t19.shared & t21.shared:  # first printed in 2019: now the 2019 key, in all three
        assert key_by_origin[Y19][origin] == key_by_origin[Y20][origin] == key_by_origin[Y21][origin]


def _pos_in(snapshot, origin):
    for code, origins in snapshot.activities.items():
        if origin in origins:
            return code, origins.index(origin) + 1
    raise KeyError(origin)


# ---------------------------------------------------------------- incremental facts

INCREMENTAL_FACTS = ("fct_events", "fct_event_dates", "fct_attendees")


def _rows(ws, table: str) -> list[str]:
    """The table's rows, each activity key replaced by the activity's first printing (its earliest report,
    pledge and position): published keys are kept, so a report added before a published one takes that
    one's keys, while a fresh build keys the older report first. The activities and which rows share an
    activity must be the same either way."""
    with ws.connect() as con:
        first = dict(
            con.execute(
                "select event_key, min((report_date, pledge_code, event_seq))::varchar from marts.fct_events group by 1"
            ).fetchall()
        )
        cursor = con.execute(f"select * from marts.{table}")
        columns = [d[0] for d in cursor.description]
        rows = [
            tuple(first.get(v, v) if c == "event_key" else v for c, v in zip(columns, row)) for row in cursor.fetchall()
        ]
    return sorted(map(repr, rows))


@pytest.fixture(scope="module")
def fresh_build(periods, tmp_path_factory):
    """The same three files built at once in a new workspace: what the incremental facts must equal."""
    with pytest.MonkeyPatch.context() as mp:
        ws = make_workspace(tmp_path_factory.mktemp("fresh"), mp, reports=sorted(periods.raw_dir.iterdir()))
        assert ws.run() == 0
        yield ws


def _full_refresh_messages(ws) -> list[str]:
    instance = DagsterInstance.from_config(str(ws.dagster_home))
    run = instance.get_runs(limit=1)[0]
    return [r.user_message for r in instance.all_logs(run.run_id) if "full refresh" in (r.user_message or "")]


def test_second_run_rebuilt_only_the_changed_periods_of_the_facts(periods):
    with periods.connect() as con:
        changed = dict(
            con.execute(
                "select report_date, string_agg(distinct reason, ',' order by reason) from staging.periods_changed "
                "group by 1"
            ).fetchall()
        )
    # 2019 and the corrected 2021 were loaded; adding 2019 before 2020 re-keys from 2019 on
    assert set(changed) >= {Y19, Y21} and "loaded" in changed[Y19] and "loaded" in changed[Y21]
    assert Y20 not in changed or changed[Y20] == "rekeyed"


@pytest.mark.parametrize(
    "table", [*INCREMENTAL_FACTS, "fct_event_lifecycle", "dim_event", "fct_event_months", "mart_search_documents"]
)
def test_incremental_facts_equal_a_fresh_build(periods, fresh_build, table):
    assert _rows(periods, table) == _rows(fresh_build, table)


def test_a_changed_dbt_project_rebuilds_the_facts_whole(periods, tmp_path_factory):
    """The published warehouse records the dbt project that built it; when it differs (here: forged),
    the next run refreshes the incremental facts fully, and they still equal what they were."""
    import shutil

    import duckdb

    root = tmp_path_factory.mktemp("forged") / "ws"
    shutil.copytree(periods.root, root)  # a copy: the other tests read the `periods` workspace's last run
    with pytest.MonkeyPatch.context() as mp:
        ws = use_workspace(root, mp)
        with duckdb.connect(str(ws.warehouse)) as con:
            con.execute("update staging.run_history set dbt_fingerprint = 'forged'")
        before = {t: _rows(ws, t) for t in INCREMENTAL_FACTS}
        assert ws.run() == 0  # no period changed: only the forged fingerprint calls for a refresh
        assert _full_refresh_messages(ws), "no full refresh after the dbt project changed"
        assert {t: _rows(ws, t) for t in INCREMENTAL_FACTS} == before
        n_runs = len(DagsterInstance.from_config(str(ws.dagster_home)).get_runs())
        assert ws.run() == 0  # recorded: the next run has nothing to do, and starts no Dagster run
        assert len(DagsterInstance.from_config(str(ws.dagster_home)).get_runs()) == n_runs
