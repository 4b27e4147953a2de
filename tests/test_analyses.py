"""The example queries of dbt_project/analyses/: compiled by dbt, run read-only
against the warehouse the real pipeline built, and checked against direct counts.

Each query also runs on `cities`, a copy of that warehouse with reports of another city (one of the same
date as the real one) and of the next mayoral term added, so that a query that mixes two cities' reports
of one date, or compares reports across cities or terms, gives figures the direct counts do not."""

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
    "municipalities_ranked_in_a_term",
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


def test_the_seven_example_queries_exist_and_compile(compiled):
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


# -- the warehouses the queries run on ----------------------------------------------------------------

OTHER_CITY = "군산시"


def execute(con: duckdb.DuckDBPyConnection, sql: str, **params) -> None:
    """`sql` with the named parameters ($name) it uses."""
    con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})


def add_report(con, real_day: dt.date, municipality: str, term: int, day: dt.date, keys, prefix: str) -> None:
    """One more report in the marts: `municipality`'s of term `term` at `day`, listing the real report's
    activities `keys`, each under an event key of its own (prefix + key) and a pledge key of its own (as
    the pledge_key macro makes it), since keys are never shared across cities or terms."""
    params = dict(m=municipality, t=term, d=day, real=real_day, p=prefix, keys=sorted(keys))
    execute(
        con,
        "insert into marts.dim_period select * replace ($m as municipality, $t as term_number, "
        "cast($d as date) as report_date, 'SYNTHETIC_' || $m || '_' || cast($d as varchar) as source_file) "
        "from marts.dim_period where municipality = '전주시' and report_date = $real",
        **params,
    )
    execute(
        con,
        "insert into marts.fct_events select * replace ($m as municipality, $t as term_number, "
        "cast($d as date) as report_date, $p || event_key as event_key, "
        "md5($m || '|' || cast($t as varchar) || '|' || pledge_code) as pledge_key) "
        "from marts.fct_events where municipality = '전주시' and report_date = $real "
        "and list_contains($keys, event_key)",
        **params,
    )


def add_series(con, real_day: dt.date, municipality: str, term: int, days: list[dt.date], keys, prefix: str) -> None:
    """The pledges and activities (each once, as in its latest report `days[-1]`) of a series whose
    reports add_report wrote: dim_pledge, dim_event and fct_event_months."""
    params = dict(m=municipality, t=term, first=days[0], last=days[-1], real=real_day, p=prefix, keys=sorted(keys))
    execute(
        con,
        "insert into marts.dim_pledge select * replace (md5($m || '|' || cast($t as varchar) || '|' || pledge_code) "
        "as pledge_key, $m as municipality, $t as term_number, cast($first as date) as first_report_date, "
        "cast($last as date) as last_report_date) from marts.dim_pledge where municipality = '전주시'",
        **params,
    )
    series = "$m as municipality, $t as term_number, $p || event_key as event_key"
    real_rows = "where municipality = '전주시' and list_contains($keys, event_key)"
    execute(
        con,
        f"insert into marts.dim_event select * replace ({series}, "
        "md5($m || '|' || cast($t as varchar) || '|' || pledge_code) as pledge_key, "
        f"cast($first as date) as first_report_date, cast($last as date) as last_report_date) "
        f"from marts.dim_event {real_rows}",
        **params,
    )
    execute(
        con,
        f"insert into marts.fct_event_months select * replace ({series}) from marts.fct_event_months {real_rows}",
        **params,
    )


def copy_of(built_warehouse, folder: Path) -> Path:
    """A writable copy under the same file name: the compiled refs name the catalog by the file stem."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / built_warehouse.warehouse.name
    shutil.copyfile(built_warehouse.warehouse, copy)
    return copy


def real_report(path: Path) -> tuple[dt.date, list[str]]:
    """The date of the real (only) report of the built warehouse and its activities' keys."""
    with duckdb.connect(str(path), read_only=True) as con:
        days = [d for (d,) in con.execute("select report_date from marts.dim_period").fetchall()]
        assert len(days) == 1, "the built warehouse holds the one real report"
        keys = [k for (k,) in con.execute("select event_key from marts.fct_events order by event_key").fetchall()]
    return days[0], keys


@pytest.fixture(scope="module")
def cities(tmp_path_factory, built_warehouse) -> Path:
    """The built warehouse (전주시, 민선7기, the real report) plus, made from the real report's rows:
    군산시 민선7기 reports of the year before and of the real report's very date (fewer activities: its
    figures differ from 전주시's), and a 전주시 민선8기 report, 전주시's latest. Comparison rows of four
    cities in two terms are set by hand (mart_municipality_comparison)."""
    path = copy_of(built_warehouse, tmp_path_factory.mktemp("cities"))
    day, keys = real_report(path)
    gunsan = [k for i, k in enumerate(keys) if i % 4 != 3]
    earlier, term8 = day.replace(year=day.year - 1), day.replace(year=day.year + 3)
    with duckdb.connect(str(path)) as con:
        add_report(con, day, OTHER_CITY, 7, earlier, gunsan[::2], "gs:")
        add_report(con, day, OTHER_CITY, 7, day, gunsan, "gs:")
        add_series(con, day, OTHER_CITY, 7, [earlier, day], gunsan, "gs:")
        add_report(con, day, "전주시", 8, term8, keys[::2], "t8:")
        add_series(con, day, "전주시", 8, [term8], keys[::2], "t8:")
        # parse issues: 군산시's latest report has the real report's, its earlier report none
        con.execute(
            "insert into staging.parse_issues select * replace (? as municipality, cast(? as date) as report_date) "
            "from staging.parse_issues where report_date = ?",
            [OTHER_CITY, day, day],
        )
        jeonju = con.execute(
            "select n_events, events_per_pledge from marts.mart_municipality_comparison where report_date = ?", [day]
        ).fetchone()
        n, epp = jeonju
        for row in (
            (OTHER_CITY, 7, earlier, 10, 990, 99.0),  # an earlier report of the term: not ranked
            (OTHER_CITY, 7, day, 10, n, epp),  # ties 전주시 on both: they share a rank
            ("익산시", 7, day, 10, n + 1, epp),  # ties on activities per pledge, more activities: first
            ("남원시", 7, day, 0, 0, None),  # no pledge listed: no ratio, last
            ("전주시", 8, term8, 20, 50, 2.5),
            (OTHER_CITY, 8, term8, 10, 30, 3.0),
        ):
            con.execute(
                "insert into marts.mart_municipality_comparison "
                "(municipality, term_number, report_date, n_pledges, n_active_pledges, n_events, events_per_pledge, "
                "n_people_attended) values (?, ?, ?, ?, ?, ?, ?, 0)",
                [*row[:4], row[3], *row[4:]],
            )
    return path


@pytest.fixture(scope="module", params=["one_city", "cities"])
def warehouse(request, built_warehouse) -> Path:
    """Each query is checked on the real warehouse of one city and on the `cities` copy."""
    return built_warehouse.warehouse if request.param == "one_city" else request.getfixturevalue("cities")


@pytest.fixture(scope="module")
def wh_events(warehouse) -> list[dict]:
    return query(warehouse, "select * from marts.fct_events")


def test_the_cities_fixture_has_two_cities_on_one_date_and_two_terms(cities):
    periods = query(cities, "select municipality, term_number, report_date from marts.dim_period")
    by_day = Counter(p["report_date"] for p in periods)
    assert max(by_day.values()) == 2  # 전주시 and 군산시 report on the real report's date
    assert {(p["municipality"], p["term_number"]) for p in periods} == {("전주시", 7), ("전주시", 8), (OTHER_CITY, 7)}
    # the pledges of every city and term are numbered alike: only pledge_key tells them apart
    codes = query(cities, "select pledge_code, count(*) as n from marts.dim_pledge group by 1")
    assert all(r["n"] == 3 for r in codes)


# -- the queries ---------------------------------------------------------------------------------------


def test_activities_per_field_per_period(warehouse, compiled, wh_events):
    rows = query(warehouse, compiled["activities_per_field_per_period"])
    periods = {
        (p["municipality"], p["report_date"]): p["term_number"]
        for p in query(warehouse, "select municipality, term_number, report_date from marts.dim_period")
    }
    n_fields = query(warehouse, "select count(*) as n from marts.dim_field")[0]["n"]
    assert len(rows) == len(periods) * n_fields  # every field in every period, zeros included
    direct = Counter((e["municipality"], e["report_date"], e["field_code"]) for e in wh_events)
    attended, other = defaultdict(int), defaultdict(int)
    for e in wh_events:
        kinds = attended if e["attendee_kind"] == "attended" else other
        kinds[(e["municipality"], e["report_date"], e["field_code"])] += e["attendee_count"] or 0
    for r in rows:
        key = (r["municipality"], r["report_date"], r["field_code"])
        assert r["term_number"] == periods[key[:2]], key
        assert r["n_activities"] == direct.get(key, 0), key
        assert (r["people_attended"] or 0) == attended.get(key, 0), key
        assert (r["people_other_kinds"] or 0) == other.get(key, 0), key
    assert sum(r["n_activities"] for r in rows) == len(wh_events)
    assert {r["field_name_ko"] for r in rows} == {"경제", "문화", "도시", "공동체", "복지", "기타"}
    # each city's periods in date order, fields in their order, city after city
    order = [(r["municipality"], r["report_date"]) for r in rows]
    assert order == sorted(order)


def test_pledges_ranked_by_attendance(warehouse, compiled, wh_events):
    rows = query(warehouse, compiled["pledges_ranked_by_attendance"])
    activities = latest_versions(wh_events)
    attended, other, count = defaultdict(int), defaultdict(int), Counter()
    for e in activities:
        pledge = (e["municipality"], e["term_number"], e["pledge_code"])
        kinds = attended if e["attendee_kind"] == "attended" else other
        kinds[pledge] += e["attendee_count"] or 0
        count[pledge] += 1
    pledges = [(r["municipality"], r["term_number"], r["pledge_code"]) for r in rows]
    assert len(pledges) == len(set(pledges)) and set(pledges) == set(count)
    for r, pledge in zip(rows, pledges):
        assert r["people_attended"] == attended[pledge], pledge
        assert r["people_other_kinds"] == other[pledge], pledge
        assert r["n_activities"] == count[pledge], pledge
        # rank(): 1 + the pledges of its own city and term with more people; ties share a rank
        above = sum(1 for p, n in attended.items() if p[:2] == pledge[:2] and n > attended[pledge])
        assert r["attendance_rank"] == 1 + above, pledge
    # city by city, term by term; within one, by rank, then more activities, then the printed code order
    order = [
        (r["municipality"], r["term_number"], r["attendance_rank"], -r["n_activities"], pledge_order(r["pledge_code"]))
        for r in rows
    ]
    assert order == sorted(order)
    for series in {p[:2] for p in pledges}:
        first = next(r for r in rows if (r["municipality"], r["term_number"]) == series)
        assert first["attendance_rank"] == 1
        assert first["people_attended"] == max(n for p, n in attended.items() if p[:2] == series)
    # a pledge whose activities mostly served or surveyed people does not outrank one people attended
    assert any(r["people_other_kinds"] > r["people_attended"] for r in rows)
    assert all(r["pledge_name_ko"] for r in rows)


def test_format_mix_per_field(warehouse, compiled, wh_events):
    rows = query(warehouse, compiled["format_mix_per_field"])
    activities = latest_versions(wh_events)
    direct = Counter((e["field_code"], e["format_code"]) for e in activities)
    assert {(r["field_code"], r["format_code"]): r["n_activities"] for r in rows} == dict(direct)
    share_per_field = defaultdict(float)
    for r in rows:
        share_per_field[r["field_code"]] += r["share_in_field"]
    assert all(abs(total - 1) < 1e-9 for total in share_per_field.values())
    assert all(r["format_name_ko"] and r["format_name_en"] for r in rows)


def expected_new_activities(path: Path, events: list[dict]) -> dict[str, tuple[dt.date, int, set[str]]]:
    """municipality -> (its latest report, that report's term, the keys it lists that its previous report
    of the same term does not), from dim_period and fct_events directly."""
    periods = query(path, "select municipality, term_number, report_date from marts.dim_period")
    expected = {}
    for city in {p["municipality"] for p in periods}:
        mine = [p for p in periods if p["municipality"] == city]
        latest = max(mine, key=lambda p: p["report_date"])
        earlier = [
            p["report_date"]
            for p in mine
            if p["term_number"] == latest["term_number"] and p["report_date"] < latest["report_date"]
        ]

        def listed(day, city=city):
            return {e["event_key"] for e in events if e["municipality"] == city and e["report_date"] == day}

        previous = listed(max(earlier)) if earlier else set()
        expected[city] = (latest["report_date"], latest["term_number"], listed(latest["report_date"]) - previous)
    return expected


def test_activities_new_in_latest_period(warehouse, compiled, wh_events):
    rows = query(warehouse, compiled["activities_new_in_latest_period"])
    expected = expected_new_activities(warehouse, wh_events)
    for city, (latest, term, keys) in expected.items():
        mine = [r for r in rows if r["municipality"] == city]
        assert {r["event_key"] for r in mine} == keys, city
        assert all(r["report_date"] == latest and r["term_number"] == term for r in mine), city
    assert {r["municipality"] for r in rows} <= set(expected)
    if len(expected) == 1 and len({e["report_date"] for e in wh_events}) == 1:  # no earlier report: all new
        assert {r["event_key"] for r in rows} == {e["event_key"] for e in wh_events}
    # city by city, pledge codes in their printed order, numeric parts as numbers (2 before 10, 5 before 5-1)
    order = [(r["municipality"], *pledge_order(r["pledge_code"]), r["event_seq"]) for r in rows]
    assert order == sorted(order) and any("-" in r["pledge_code"] for r in rows)
    # the pledge's name is its own city's and term's (pledge_key), one row per activity
    names = {p["pledge_key"]: p["pledge_name_ko"] for p in query(warehouse, "select * from marts.dim_pledge")}
    by_key = {e["event_key"]: e for e in wh_events if e["report_date"] == expected[e["municipality"]][0]}
    assert len(rows) == len({r["event_key"] for r in rows})
    assert all(r["pledge_name_ko"] == names[by_key[r["event_key"]]["pledge_key"]] for r in rows)


def test_activities_new_in_latest_period_of_the_cities(cities, built_warehouse, compiled):
    """군산시's latest report is older than 전주시's: it is still 군산시's latest, compared with 군산시's
    previous report; 전주시's latest is its 민선8기 first report, all new."""
    rows = query(cities, compiled["activities_new_in_latest_period"])
    day, keys = real_report(built_warehouse.warehouse)
    gunsan = [k for i, k in enumerate(keys) if i % 4 != 3]
    assert {r["event_key"] for r in rows if r["municipality"] == OTHER_CITY} == {
        "gs:" + k for k in set(gunsan) - set(gunsan[::2])
    }
    assert {r["event_key"] for r in rows if r["municipality"] == "전주시"} == {"t8:" + k for k in keys[::2]}
    assert {(r["municipality"], r["term_number"], r["report_date"]) for r in rows} == {
        (OTHER_CITY, 7, day),
        ("전주시", 8, day.replace(year=day.year + 3)),
    }


def test_activities_new_in_latest_period_against_the_previous_report(tmp_path, built_warehouse, compiled, events):
    """Three periods: only the report just before the latest one decides what is new."""
    copy = copy_of(built_warehouse, tmp_path)
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


def test_activities_new_in_a_new_term_are_not_compared_with_the_term_before(tmp_path, built_warehouse, compiled):
    """The first report of 민선8기 lists, word for word and even under the same event keys (the worst case),
    activities of the 민선7기 report before it: all are new in the term, none is "carried"."""
    copy = copy_of(built_warehouse, tmp_path)
    day, keys = real_report(copy)
    term8 = day.replace(year=day.year + 3)
    with duckdb.connect(str(copy)) as con:
        add_report(con, day, "전주시", 8, term8, keys[::2], "")
        execute(
            con,
            "insert into marts.dim_pledge select * replace (md5('전주시|8|' || pledge_code) as pledge_key, "
            "8 as term_number, '8기 ' || pledge_name_ko as pledge_name_ko) from marts.dim_pledge",
        )
    rows = query(copy, compiled["activities_new_in_latest_period"])
    assert {r["event_key"] for r in rows} == set(keys[::2])
    assert all(r["term_number"] == 8 and r["report_date"] == term8 for r in rows)
    # joined on pledge_key: the 민선8기 pledge's name, one row per activity (not one per term of its code)
    assert len(rows) == len(keys[::2]) and all(r["pledge_name_ko"].startswith("8기 ") for r in rows)


def test_monthly_activity_timeline(warehouse, compiled, wh_events):
    rows = query(warehouse, compiled["monthly_activity_timeline"])
    dated = [
        e
        for e in latest_versions(wh_events)
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
    assert len(dated) >= 0.5 * len(latest_versions(wh_events))  # most activities carry a month


def test_data_quality_overview(warehouse, compiled, wh_events):
    rows = query(warehouse, compiled["data_quality_overview"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        issues = {
            (m, d): n
            for m, d, n in con.execute(
                "select municipality, report_date, count(*) from staging.parse_issues group by 1, 2"
            ).fetchall()
        }
        periods = {
            r[:2]: r[2:]
            for r in con.execute(
                "select municipality, report_date, term_number, n_list_items, n_items_as_event, n_items_as_detail "
                "from marts.dim_period"
            ).fetchall()
        }
        by_kind = {
            (m, d, k): n
            for m, d, k, n in con.execute(
                "select municipality, report_date, kind, count(*) from staging.parse_issues group by 1, 2, 3"
            ).fetchall()
        }
    assert {(r["municipality"], r["report_date"]) for r in rows} == set(periods)
    per_period = Counter()
    for r in rows:
        period = (r["municipality"], r["report_date"])
        per_period[period] += r["n_issues"]
        if r["issue_kind"] is not None:
            assert r["n_issues"] >= 1
        term, n_items, as_event, as_detail = periods[period]
        assert r["term_number"] == term, period
        if n_items:
            assert r["share_items_read"] == pytest.approx((as_event + as_detail) / n_items)
        undated = sum(
            1
            for e in wh_events
            if (e["municipality"], e["report_date"]) == period and e["start_date"] is None and e["end_date"] is None
        )
        assert r["n_events_undated"] == undated, period
    assert dict(per_period) == {p: issues.get(p, 0) for p in periods}
    kinds = Counter()
    for r in rows:
        if r["issue_kind"] is not None:
            kinds[(r["municipality"], r["report_date"], r["issue_kind"])] += r["n_issues"]
    assert dict(kinds) == by_kind
    order = [(r["municipality"], r["report_date"]) for r in rows]
    assert order == sorted(order)


def ranked_in_term(path: Path, term: int | None) -> list[tuple[int, str, dt.date]]:
    """(rank, municipality, report date) of each municipality's latest report of `term` (None: the latest
    term), ranked by activities per pledge then activities, from the comparison mart's rows directly."""
    rows = query(path, "select * from marts.mart_municipality_comparison")
    term = term or max(r["term_number"] for r in rows)
    latest = {}
    for r in rows:
        if r["term_number"] == term and r["report_date"] > latest.get(r["municipality"], {}).get(
            "report_date", dt.date.min
        ):
            latest[r["municipality"]] = r

    def score(r):  # larger first; no ratio last
        epp = r["events_per_pledge"]
        return (epp is not None, float(epp or 0), r["n_events"])

    ranked = []
    for r in latest.values():
        rank = 1 + sum(1 for other in latest.values() if score(other) > score(r))
        ranked.append((rank, r["municipality"], r["report_date"]))
    return sorted(ranked)


def test_municipalities_ranked_in_a_term_one_city(built_warehouse, compiled):
    rows = query(built_warehouse.warehouse, compiled["municipalities_ranked_in_a_term"])
    assert [(r["rank_in_term"], r["municipality"], r["term_number"]) for r in rows] == [(1, "전주시", 7)]
    assert [(r["rank_in_term"], r["municipality"], r["report_date"]) for r in rows] == ranked_in_term(
        built_warehouse.warehouse, None
    )


def test_municipalities_ranked_in_a_term_of_the_cities(cities, built_warehouse, compiled):
    sql = compiled["municipalities_ranked_in_a_term"]
    day, _ = real_report(built_warehouse.warehouse)
    term8 = day.replace(year=day.year + 3)
    # by default the latest term (민선8기): 군산시 3.0 activities per pledge, 전주시 2.5
    rows = query(cities, sql)
    assert [(r["rank_in_term"], r["municipality"], r["report_date"]) for r in rows] == ranked_in_term(cities, None)
    assert [(r["rank_in_term"], r["municipality"], r["term_number"]) for r in rows] == [
        (1, OTHER_CITY, 8),
        (2, "전주시", 8),
    ]
    assert all(r["report_date"] == term8 for r in rows)
    # another term, as the query says to choose it
    assert sql.count("select cast(null as integer) as term_number") == 1
    rows = query(cities, sql.replace("select cast(null as integer) as term_number", "select 7 as term_number"))
    got = [(r["rank_in_term"], r["municipality"], r["report_date"]) for r in rows]
    assert got == ranked_in_term(cities, 7)
    # each city's latest report of the term only (군산시's earlier 99 per pledge does not count); 익산시 ties
    # on the ratio and has more activities; 군산시 and 전주시 tie on both and share a rank; 남원시, no ratio, last
    assert got == [(1, "익산시", day), (2, OTHER_CITY, day), (2, "전주시", day), (4, "남원시", day)]
    assert {r["term_number"] for r in rows} == {7}
