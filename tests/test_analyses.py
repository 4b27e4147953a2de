"""The example queries of dbt_project/analyses/: compiled by dbt, run read-only
against the warehouse the real pipeline built, and checked against direct counts."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from pipeline import settings

REPO = Path(__file__).resolve().parent.parent
ANALYSES_DIR = REPO / "dbt_project" / "analyses"
EXPECTED = {
    "activities_per_field_per_period",
    "pledges_ranked_by_attendance",
    "format_mix_per_field",
    "activities_new_in_latest_period",
    "monthly_activity_timeline",
    "data_quality_overview",
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, built_warehouse) -> dict[str, str]:
    """name -> compiled SQL. dbt compiles against an empty scratch file named like the
    warehouse, because the compiled refs name the DuckDB catalog (the file stem)."""
    tmp = tmp_path_factory.mktemp("analyses")
    env = {
        **os.environ,
        "PLEDGE_DBT_DATABASE": str(tmp / built_warehouse.warehouse.name),
        "DBT_PROFILES_DIR": str(settings.DBT_PROJECT_DIR),
        "DO_NOT_TRACK": "1",
    }
    done = subprocess.run(
        [
            settings.dbt_executable(),
            "compile",
            "--quiet",
            "--no-partial-parse",
            "--select",
            "resource_type:analysis",
            "--target-path",
            str(tmp / "target"),
        ],
        cwd=settings.DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    folder = tmp / "target" / "compiled" / "pledge_warehouse" / "analyses"
    return {p.stem: p.read_text() for p in folder.glob("*.sql")}


def query(path: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def events(built_warehouse) -> list[dict]:
    return query(built_warehouse.warehouse, "select * from marts.fct_events")


def latest_versions(events: list[dict]) -> list[dict]:
    """Each activity once: its row in the latest report that lists it."""
    latest: dict[str, dict] = {}
    for e in events:
        if e["event_key"] not in latest or e["report_date"] > latest[e["event_key"]]["report_date"]:
            latest[e["event_key"]] = e
    return list(latest.values())


def pledge_order(code: str) -> tuple[int, int]:
    """`5` -> (5, 0), `5-1` -> (5, 1): the order pledge codes are printed in."""
    major, _, minor = code.partition("-")
    return int(major), int(minor or 0)


def test_the_six_example_queries_exist_and_compile(compiled):
    assert {p.stem for p in ANALYSES_DIR.glob("*.sql")} == EXPECTED
    assert set(compiled) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_queries_stay_portable(name):
    """Plain SQL an analyst can carry to another engine: no DuckDB-only shorthands."""
    sql = re.sub(r"--[^\n]*", "", (ANALYSES_DIR / f"{name}.sql").read_text()).lower()
    duckdb_only = (
        r"\bqualify\b",
        r"group by all",
        r"order by all",
        r"::",
        r"filter\s*\(\s*where",
        r"\bexclude\s*\(",
        r"\breplace\s*\(",
        r"\bstrftime\(",
        r"\blist_\w+\(",
        r"\bstruct_\w+\(",
    )
    for pattern in duckdb_only:
        assert not re.search(pattern, sql), f"{name} uses DuckDB-only syntax /{pattern}/"
    assert "marts." not in sql and "staging." not in sql, f"{name}: use ref(), not schema names"


def test_activities_per_field_per_period(built_warehouse, compiled, events):
    rows = query(built_warehouse.warehouse, compiled["activities_per_field_per_period"])
    with built_warehouse.connect() as con:
        n_periods = con.execute("select count(*) from marts.dim_period").fetchone()[0]
        n_fields = con.execute("select count(*) from marts.dim_field").fetchone()[0]
    assert len(rows) == n_periods * n_fields  # every field in every period, zeros included
    direct = Counter((e["report_date"], e["field_code"]) for e in events)
    attended, other = defaultdict(int), defaultdict(int)
    for e in events:
        kinds = attended if e["attendee_kind"] == "attended" else other
        kinds[(e["report_date"], e["field_code"])] += e["attendee_count"] or 0
    for r in rows:
        key = (r["report_date"], r["field_code"])
        assert r["n_activities"] == direct.get(key, 0), key
        assert (r["people_attended"] or 0) == attended.get(key, 0), key
        assert (r["people_other_kinds"] or 0) == other.get(key, 0), key
    assert sum(r["n_activities"] for r in rows) == len(events)
    assert {r["field_name_ko"] for r in rows} == {"경제", "문화", "도시", "공동체", "복지"}


def test_pledges_ranked_by_attendance(built_warehouse, compiled, events):
    rows = query(built_warehouse.warehouse, compiled["pledges_ranked_by_attendance"])
    activities = latest_versions(events)
    attended, other, count = defaultdict(int), defaultdict(int), Counter()
    for e in activities:
        kinds = attended if e["attendee_kind"] == "attended" else other
        kinds[e["pledge_code"]] += e["attendee_count"] or 0
        count[e["pledge_code"]] += 1
    assert {r["pledge_code"] for r in rows} == set(count)
    for r in rows:
        assert r["people_attended"] == attended[r["pledge_code"]], r["pledge_code"]
        assert r["people_other_kinds"] == other[r["pledge_code"]], r["pledge_code"]
        assert r["n_activities"] == count[r["pledge_code"]], r["pledge_code"]
    ranked_people = [r["people_attended"] for r in rows]
    assert ranked_people == sorted(ranked_people, reverse=True)
    assert rows[0]["attendance_rank"] == 1 and rows[0]["people_attended"] == max(attended.values())
    # a pledge whose activities mostly served or surveyed people does not outrank one people attended
    assert any(r["people_other_kinds"] > r["people_attended"] for r in rows)
    assert all(r["pledge_name_ko"] for r in rows)


def test_format_mix_per_field(built_warehouse, compiled, events):
    rows = query(built_warehouse.warehouse, compiled["format_mix_per_field"])
    activities = latest_versions(events)
    direct = Counter((e["field_code"], e["format_code"]) for e in activities)
    assert {(r["field_code"], r["format_code"]): r["n_activities"] for r in rows} == dict(direct)
    share_per_field = defaultdict(float)
    for r in rows:
        share_per_field[r["field_code"]] += r["share_in_field"]
    assert all(abs(total - 1) < 1e-9 for total in share_per_field.values())
    assert all(r["format_name_ko"] and r["format_name_en"] for r in rows)


def test_activities_new_in_latest_period_single_period(built_warehouse, compiled, events):
    rows = query(built_warehouse.warehouse, compiled["activities_new_in_latest_period"])
    latest = max(e["report_date"] for e in events)
    periods = {e["report_date"] for e in events}
    if len(periods) == 1:  # no earlier report: everything is new
        assert {r["event_key"] for r in rows} == {e["event_key"] for e in events}
    assert all(r["report_date"] == latest for r in rows)
    # pledge codes in their printed order, numeric parts as numbers (2 before 10, 5 before 5-1)
    order = [(*pledge_order(r["pledge_code"]), r["event_seq"]) for r in rows]
    assert order == sorted(order) and any("-" in r["pledge_code"] for r in rows)


def test_activities_new_in_latest_period_against_the_previous_report(tmp_path, built_warehouse, compiled, events):
    """Three periods: only the report just before the latest one decides what is new."""
    copy = tmp_path / built_warehouse.warehouse.name  # same file stem: same catalog name as compiled
    shutil.copyfile(built_warehouse.warehouse, copy)
    latest = max(e["report_date"] for e in events)
    previous, oldest = latest.replace(year=latest.year - 1), latest.replace(year=latest.year - 2)
    latest_keys = sorted({e["event_key"] for e in events if e["report_date"] == latest})
    carried = set(latest_keys[::2])  # half of the activities were already in the previous report
    with duckdb.connect(str(copy)) as con:
        for day in (previous, oldest):
            con.execute(
                "insert into marts.dim_period select * replace (cast(? as date) as report_date) "
                "from marts.dim_period where report_date = ?",
                [day, latest],
            )
        # the oldest report listed everything: it must not matter
        con.execute(
            "insert into marts.fct_events select * replace (cast(? as date) as report_date) "
            "from marts.fct_events where report_date = ?",
            [oldest, latest],
        )
        con.execute(
            "insert into marts.fct_events select * replace (cast(? as date) as report_date) "
            "from marts.fct_events where report_date = ? and list_contains(?, event_key)",
            [previous, latest, sorted(carried)],
        )
        con.execute(
            "insert into marts.fct_events select * replace (cast(? as date) as report_date, "
            "'dropped-activity' as event_key, 9999 as event_seq) from marts.fct_events "
            "where report_date = ? limit 1",
            [previous, latest],
        )
    rows = query(copy, compiled["activities_new_in_latest_period"])
    assert {r["event_key"] for r in rows} == set(latest_keys) - carried
    assert all(r["report_date"] == latest for r in rows)


def test_monthly_activity_timeline(built_warehouse, compiled, events):
    rows = query(built_warehouse.warehouse, compiled["monthly_activity_timeline"])
    dated = [
        e
        for e in latest_versions(events)
        if e["reference_date"] is not None and "year" not in (e["start_precision"], e["end_precision"])
    ]

    def months(e):  # every month from the start's (else the end's) to the end's
        first = e["reference_date"]
        last = max(first, e["end_date"] or first)
        m = dt.date(first.year, first.month, 1)
        while m <= last:
            yield m
            m = dt.date(m.year + m.month // 12, m.month % 12 + 1, 1)

    direct = Counter(m for e in dated for m in months(e))
    starting = Counter(dt.date(e["reference_date"].year, e["reference_date"].month, 1) for e in dated)
    assert {r["activity_month"]: r["n_activities"] for r in rows} == dict(direct)
    assert {r["activity_month"]: r["n_starting"] for r in rows if r["n_starting"]} == dict(starting)
    assert [r["activity_month"] for r in rows] == sorted(direct)
    for r in rows:
        assert r["n_day_precision"] + r["n_month_precision"] == r["n_activities"]
    assert any(sum(1 for _ in months(e)) > 1 for e in dated)  # spans count in every month they cover
    assert len(dated) >= 0.5 * len(latest_versions(events))  # most activities carry a month


def test_data_quality_overview(built_warehouse, compiled, events):
    rows = query(built_warehouse.warehouse, compiled["data_quality_overview"])
    with built_warehouse.connect() as con:
        issues = dict(con.execute("select report_date, count(*) from staging.parse_issues group by 1").fetchall())
        periods = {
            r[0]: r[1:]
            for r in con.execute(
                "select report_date, n_list_items, n_items_as_event, n_items_as_detail from marts.dim_period"
            ).fetchall()
        }
        by_kind = dict(
            ((d, k), n)
            for d, k, n in con.execute(
                "select report_date, kind, count(*) from staging.parse_issues group by 1, 2"
            ).fetchall()
        )
    assert {r["report_date"] for r in rows} == set(periods)
    per_period = Counter()
    for r in rows:
        per_period[r["report_date"]] += r["n_issues"]
        if r["issue_kind"] is not None:
            assert r["n_issues"] >= 1
        n_items, as_event, as_detail = periods[r["report_date"]]
        if n_items:
            assert r["share_items_read"] == pytest.approx((as_event + as_detail) / n_items)
        undated = sum(
            1
            for e in events
            if e["report_date"] == r["report_date"] and e["start_date"] is None and e["end_date"] is None
        )
        assert r["n_events_undated"] == undated
    assert dict(per_period) == {d: issues.get(d, 0) for d in periods}
    kinds = Counter()
    for r in rows:
        if r["issue_kind"] is not None:
            kinds[(r["report_date"], r["issue_kind"])] += r["n_issues"]
    assert dict(kinds) == by_kind
