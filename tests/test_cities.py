"""Reports of several municipalities and mayoral terms, end to end: the real pipeline (real Dagster, real
dbt) on four reports (testkit/cities.py): the real Jeonju report (민선7기, 2020-12-31) and three SYNTHETIC
ones made from it by changing only the header: Jeonju under 민선8기 (2023-12-31), a later Jeonju report
that prints no term (2024-12-31: 민선8기 by its date) and 군산시's report of 2020-12-31. Their activities are
word for word the real report's, so only the header, or the date, keeps them apart.

The warehouse keeps each municipality and term apart (pledges, activity keys, lifecycle, comparison mart);
each municipality gets its own workbook, CSV files and report page holding only its rows; report/index.html
compares the municipalities and links to each one's page and workbook; the freshness stamps name every file."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest

from pipeline.export import freshness
from pipeline.export.cities import city_connection, each_city, fingerprints
from pipeline.export.tables import COMPARISON, CSV_DIR, TABLES
from pipeline.export.workbook import README_SHEET, SHEETS, WORKBOOK_NAME
from pipeline.report.cities import INDEX_CHART_ID
from pipeline.search.__main__ import main
from pipeline.search.index import search
from testkit.cities import write_four_series, write_report

from .analyst_fixtures import chromium
from .conftest import use_workspace
from .test_search import make_search_json

CITIES = ("군산시", "전주시")
JEONJU, GUNSAN = "전주시", "군산시"
# the models built incrementally by municipality (dbt_project/macros/incremental.sql)
BY_MUNICIPALITY = ("dim_event", "fct_event_months", "fct_event_lifecycle", "mart_search_documents")


# Search: one activity of pledge 50 (2020 온두레공동체 사업 기자브리핑, '19. 12. 24), and the pledge as each
# city names it. In the other city's report pledge 50 has a name of its own: the same code, the same
# activities, so only a join on the pledge itself shows the right name.
QUERY = "온두레 기자브리핑을"
REAL_PLEDGE = "\t50\t전주 온두레 공동체 2.0\t"
OTHER_PLEDGE = "\t50\t군산 온두레 공동체 2.0\t"


@pytest.fixture(scope="module")
def cities(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        ws = use_workspace(tmp_path_factory.mktemp("cities"), mp)
        other = write_four_series(ws.raw_dir)["other_city"]
        text = other.read_text(encoding="utf-8")
        assert text.count(REAL_PLEDGE) == 3
        other.write_text(text.replace(REAL_PLEDGE, OTHER_PLEDGE), encoding="utf-8")
        assert ws.run() == 0
        ws.export_dir = ws.warehouse.parent / "export"
        ws.report_dir = ws.warehouse.parent / "report"
        yield ws


def count(ws, sql: str, params=()) -> int:
    with ws.connect() as con:
        return con.execute(sql, list(params)).fetchone()[0]


def sheet_rows(path: Path, sheet: str) -> tuple[list[str], list[tuple]]:
    rows = list(openpyxl.load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))
    return list(rows[0]), rows[1:]


def column(headers: list[str], english: str) -> int:
    return next(i for i, h in enumerate(headers) if h.endswith(f"({english})"))


def test_each_municipality_gets_its_folder_and_the_warehouse_keeps_its_own(cities):
    for city in CITIES:
        assert (cities.export_dir / city / WORKBOOK_NAME).is_file()
        assert sorted(p.name for p in (cities.export_dir / city / CSV_DIR).iterdir()) == sorted(
            f"{t.name}.csv" for t in TABLES
        )
        assert (cities.report_dir / city / "index.html").is_file()
    # every municipality together, where a single city's exports always were (analysts, evaluators)
    assert (cities.export_dir / WORKBOOK_NAME).is_file()
    assert len(list((cities.export_dir / CSV_DIR).glob("*.csv"))) == len(TABLES)
    assert sorted(p.name for p in cities.report_dir.iterdir()) == sorted([*CITIES, "index.html"])
    assert not list(cities.warehouse.parent.rglob("*.tmp"))


def test_each_workbook_holds_only_its_municipalitys_rows(cities):
    jeonju = count(cities, "select count(*) from marts.dim_event where municipality = '전주시'")
    gunsan = count(cities, "select count(*) from marts.dim_event where municipality = '군산시'")
    assert (jeonju, gunsan) == (810, 405)  # Jeonju: the same 405 activities in each of two terms
    for city, n in (("전주시", jeonju), ("군산시", gunsan)):
        book = cities.export_dir / city / WORKBOOK_NAME
        headers, rows = sheet_rows(book, "활동")
        assert len(rows) == n, city
        for sheet in SHEETS:
            headers, rows = sheet_rows(book, sheet.sheet)
            want = count(cities, f"select count(*) from {sheet.relation} {sheet.where(city, sheet=True)}")
            assert len(rows) == want, (city, sheet.sheet)
            assert {r[column(headers, "municipality")] for r in rows} == {city}, (city, sheet.sheet)
    # the workbook at the top compares the municipalities (every row of each is in the CSV files at the top)
    top = cities.export_dir / WORKBOOK_NAME
    assert openpyxl.load_workbook(top, read_only=True).sheetnames == [README_SHEET, COMPARISON.sheet]
    headers, compared = sheet_rows(top, COMPARISON.sheet)
    shown = [(r[column(headers, "municipality")], r[column(headers, "report date")].date()) for r in compared]
    with cities.connect() as con:
        want = con.execute("select municipality, report_date from marts.dim_period").fetchall()
    assert sorted(shown) == sorted(want) and len(want) == 4
    n_events = column(headers, "number of events")
    assert sum(r[n_events] for r in compared) == count(cities, "select count(*) from marts.fct_events")


def test_the_latest_report_is_each_municipalitys_own(cities):
    """최근변경 and 참여인원 show a municipality's latest report, whatever another city published later."""
    latest = {"전주시": "2024-12-31", "군산시": "2020-12-31"}
    for city in CITIES:
        headers, rows = sheet_rows(cities.export_dir / city / WORKBOOK_NAME, "최근변경")
        assert rows and {r[column(headers, "report date")].date().isoformat() for r in rows} == {latest[city]}


def test_each_csv_holds_only_its_municipalitys_rows(cities):
    for city in CITIES:
        for table in TABLES:
            with open(cities.export_dir / city / CSV_DIR / f"{table.name}.csv", encoding="utf-8-sig", newline="") as f:
                rows = list(csv.reader(f))
            header = rows[0].index(next(h for h in rows[0] if h.endswith("(municipality)")))
            assert len(rows) - 1 == count(cities, f"select count(*) from {table.relation} {table.where(city)}")
            assert {r[header] for r in rows[1:]} == {city}, (city, table.name)


def activity_data(page: Path) -> dict:
    html = page.read_text(encoding="utf-8")
    return json.loads(re.search(r'<script type="application/json" id="activity-data">(.*?)</script>', html, re.S)[1])


def test_each_report_page_holds_only_its_municipality(cities):
    for city in CITIES:
        page = cities.report_dir / city / "index.html"
        html = page.read_text(encoding="utf-8")
        assert re.search(r"<h1>(.*?)</h1>", html)[1].startswith(city)
        data = activity_data(page)
        keys = {r[data["columns"].index("key")] for r in data["rows"]}
        with cities.connect() as con:
            want = {
                r[0]
                for r in con.execute("select event_key from marts.dim_event where municipality = ?", [city]).fetchall()
            }
            pledges = con.execute(
                "select count(*) from marts.dim_pledge p where municipality = ? "
                "and exists (select 1 from marts.dim_event e where e.pledge_key = p.pledge_key)",
                [city],
            ).fetchone()[0]
            periods = [
                str(r[0])
                for r in con.execute(
                    "select report_date from marts.dim_period where municipality = ? order by 1", [city]
                ).fetchall()
            ]
        assert keys == want, city
        assert [p[0] for p in data["periods"]] == periods
        # a pledge of each term apart: Jeonju numbers its pledges alike in 민선7기 and 민선8기
        assert len(data["pledges"]) == pledges == (152 if city == "전주시" else 76)
    # the 민선7기 activities of Jeonju's page are of an earlier term, not dropped by its latest report
    html = (cities.report_dir / "전주시" / "index.html").read_text(encoding="utf-8")
    tiles = dict(re.findall(r'data-figure="(\w+)"><b>([\d,]+)</b>', html))
    assert (tiles["n_in_latest_report"], tiles["n_no_longer_reported"], tiles["n_earlier_terms"]) == ("405", "0", "405")
    jeonju = activity_data(cities.report_dir / "전주시" / "index.html")
    assert any(p[1].endswith("민선8기") for p in jeonju["pledges"]) and any(
        p[1].endswith("민선7기") for p in jeonju["pledges"]
    )


def index_rows(html: str) -> dict[str, list[str]]:
    table = re.search(r'<table id="municipalities">(.*?)</table>', html, re.S)[1]
    return {
        unescape(city): re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        for city, row in re.findall(r'<tr data-municipality="([^"]+)">(.*?)</tr>', table, re.S)
    }


def test_the_index_page_compares_the_municipalities_and_links_to_each(cities):
    index = cities.report_dir / "index.html"
    html = index.read_text(encoding="utf-8")
    rows = index_rows(html)
    assert list(rows) == list(CITIES)
    with cities.connect() as con:
        latest = con.execute("""
            select municipality, term_number, cast(report_date as varchar), n_pledges, n_events, n_people_attended
            from marts.mart_municipality_comparison
            where (municipality, report_date) in (
                select municipality, max(report_date) from marts.dim_period group by 1)
            order by 1""").fetchall()
    for city, term, report_date, n_pledges, n_events, people in latest:
        cells = rows[city]
        assert cells[1] == f"민선{term}기" and cells[2] == report_date, cells
        assert cells[4] == f"{n_pledges:,}" and cells[6] == f"{n_events:,}" and cells[9] == f"{people:,}", cells
    assert rows["전주시"][3] == "3" and rows["군산시"][3] == "1"  # reports
    links = [unescape(h) for h in re.findall(r'href="([^"#]+)"', html)]
    targets = {(index.parent / unquote(h)).resolve() for h in links}
    assert targets == {
        *((cities.report_dir / c / "index.html").resolve() for c in CITIES),
        *((cities.export_dir / c / WORKBOOK_NAME).resolve() for c in CITIES),
    }
    assert all(t.is_file() for t in targets)
    assert "<script" not in html and " src=" not in html and "<link" not in html  # offline, nothing to fetch


def test_the_index_page_renders_in_a_browser(cities, tmp_path):
    index = cities.report_dir / "index.html"
    with chromium(tmp_path / "profile") as browser:
        browser.navigate(index.as_uri())
        shown = browser.evaluate(f"""({{
            rows: Array.from(document.querySelectorAll('#municipalities tr[data-municipality]'))
                .map(tr => [tr.dataset.municipality, tr.cells[0].textContent, tr.cells[0].querySelector('a').href]),
            bars: document.querySelectorAll('#{INDEX_CHART_ID} rect').length,
            width: document.getElementById('{INDEX_CHART_ID}').getBoundingClientRect().width,
            resources: performance.getEntriesByType('resource').length,
        }})""")
        assert [r[0] for r in shown["rows"]] == list(CITIES) and all(r[0] == r[1] for r in shown["rows"])
        assert shown["bars"] >= len(CITIES) and shown["width"] > 300 and shown["resources"] == 0
        browser.navigate(shown["rows"][1][2])  # the link, as the browser resolves it, opens Jeonju's page
        browser.wait_for("document.getElementById('activities').dataset.ready")
        assert browser.evaluate("document.querySelector('h1').textContent").startswith("전주시")


def test_an_export_missing_a_municipalitys_file_is_behind(cities, monkeypatch):
    use_workspace(cities.root, monkeypatch)
    with cities.connect() as con:
        build = freshness.published_build(con)
    assert freshness.behind(build) == []
    book = cities.export_dir / "군산시" / WORKBOOK_NAME
    aside = cities.root / "aside.xlsx"
    shutil.move(book, aside)
    try:
        assert freshness.behind(build) == ["workbook"]
    finally:
        shutil.move(aside, book)


def test_a_municipality_no_longer_in_the_warehouse_loses_its_files_not_others(cities, tmp_path):
    base = tmp_path / "export"
    (base / "익산시" / CSV_DIR).mkdir(parents=True)
    (base / "익산시" / WORKBOOK_NAME).write_bytes(b"old")
    (base / "익산시" / CSV_DIR / "활동.csv").write_text("old")
    (base / "익산시" / "메모.txt").write_text("a note of someone's")
    (base / CSV_DIR).mkdir()
    (base / CSV_DIR / "활동.csv").write_text("every municipality's")
    made = each_city(cities.warehouse, base, lambda city, folder: [folder], stale=(WORKBOOK_NAME, f"{CSV_DIR}/*.csv"))
    assert made == [base / c for c in CITIES]
    assert sorted(str(p.relative_to(base)) for p in base.rglob("*")) == sorted(
        ["익산시", "익산시/메모.txt", CSV_DIR, f"{CSV_DIR}/활동.csv"]
    )


# the warehouse ---------------------------------------------------------------------------------------
def rows(ws, sql: str) -> list[tuple]:
    with ws.connect() as con:
        return con.execute(sql).fetchall()


def test_a_new_citys_report_rebuilds_its_own_period_and_no_other_citys_of_that_date(cities, tmp_path, monkeypatch):
    """A third city's report of 2020-12-31 added to a copy of the warehouse: the build changes that city's
    period alone (the incremental facts keep Jeonju's and 군산시's rows of that date as they were), and
    the activity-grain models rebuild that city alone (every other city's rows kept as they were)."""
    ws = use_workspace(tmp_path / "copy", monkeypatch)
    shutil.copytree(cities.raw_dir, ws.raw_dir)
    shutil.copytree(cities.warehouse.parent, ws.warehouse.parent)
    # with each row's rowid: a row deleted and inserted again (rebuilt) comes back under another one
    facts = "select rowid, * from marts.fct_events order by event_key, report_date"
    by_municipality = {
        table: f"select rowid, * from marts.{table} where municipality <> '익산시' order by all"
        for table in BY_MUNICIPALITY
    }
    before = rows(ws, facts)
    kept = {table: rows(ws, sql) for table, sql in by_municipality.items()}
    write_report(ws.raw_dir, dt.date(2020, 12, 31), "익산시", 7, "a third city's name")
    assert ws.run() == 0
    changed = rows(ws, "select municipality, report_date::varchar, reason from staging.periods_changed")
    assert sorted(changed) == [("익산시", "2020-12-31", "loaded"), ("익산시", "2020-12-31", "rekeyed")]
    after = rows(ws, facts)
    assert [r for r in after if r[3] != "익산시"] == before
    assert len(after) - len(before) == count(
        cities, "select count(*) from marts.fct_events where municipality = '군산시'"
    )
    for table, sql in by_municipality.items():
        assert rows(ws, sql) == kept[table], table
        # the new city's rows are as many as those of 군산시, whose report is word for word the same
        n = f"select count(*) from marts.{table} where municipality = ?"
        assert count(ws, n, ["익산시"]) == count(ws, n, [GUNSAN]) > 0, table


def test_a_retracted_citys_report_takes_its_rows_out_and_leaves_every_other_citys(cities, tmp_path, monkeypatch):
    """군산시's only report, removed from raw/ and retracted from a copy of the warehouse: none of its rows is
    left in the models rebuilt by municipality nor in the search index, and Jeonju's rows are as they were."""
    ws = use_workspace(tmp_path / "copy", monkeypatch)
    shutil.copytree(cities.raw_dir, ws.raw_dir)
    shutil.copytree(cities.warehouse.parent, ws.warehouse.parent)
    others = {
        table: f"select rowid, * from marts.{table} where municipality <> '{GUNSAN}' order by all"
        for table in BY_MUNICIPALITY
    }
    kept = {table: rows(ws, sql) for table, sql in others.items()}
    ((source,),) = rows(ws, f"select source_file from marts.dim_period where municipality = '{GUNSAN}'")
    (ws.raw_dir / Path(source).name).unlink()
    assert ws.run("--retract", f"{GUNSAN}/2020-12-31") == 0
    for table in (*BY_MUNICIPALITY, "search_weights", "dim_period"):
        assert count(ws, f"select count(*) from marts.{table} where municipality = '{GUNSAN}'") == 0, table
    for table, sql in others.items():
        assert rows(ws, sql) == kept[table], table


def test_all_four_reports_load_each_in_its_municipality_and_term(cities, monkeypatch):
    assert cities.exit_code == 0
    assert rows(cities, "select municipality, term_number, report_date from marts.dim_period order by all") == [
        (GUNSAN, 7, dt.date(2020, 12, 31)),
        (JEONJU, 7, dt.date(2020, 12, 31)),
        (JEONJU, 8, dt.date(2023, 12, 31)),
        (JEONJU, 8, dt.date(2024, 12, 31)),
    ]
    # Dagster shows each municipality's periods as partitions of their own
    use_workspace(cities.root, monkeypatch)
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        keys = set(instance.get_dynamic_partitions("reporting_periods"))
    assert {f"{JEONJU}/2020-12-31", f"{GUNSAN}/2020-12-31", f"{JEONJU}/2024-12-31"} <= keys


def test_pledges_are_per_municipality_and_term(cities):
    assert rows(
        cities, "select municipality, term_number, count(*) from marts.dim_pledge group by all order by all"
    ) == [
        (GUNSAN, 7, 76),
        (JEONJU, 7, 76),
        (JEONJU, 8, 76),
    ]
    # a new term's pledge 1 is no rename of the old term's: one version each
    assert rows(cities, "select max(version_no) from marts.dim_pledge_history") == [(1,)]


def test_no_activity_key_is_shared_across_municipalities_or_terms(cities):
    assert rows(
        cities,
        "select count(*) from (select event_key from marts.fct_events "
        "group by event_key having count(distinct (municipality, term_number)) > 1)",
    ) == [(0,)]
    # 405 activities in each of three series, word for word alike: three keys each
    assert rows(
        cities, "select municipality, term_number, count(*) from marts.dim_event group by all order by all"
    ) == [
        (GUNSAN, 7, 405),
        (JEONJU, 7, 405),
        (JEONJU, 8, 405),
    ]


def test_a_new_term_or_another_city_drops_nothing_and_the_later_term_report_continues_the_earlier(cities):
    statuses = rows(
        cities,
        "select municipality, term_number, report_date, status, count(*) from marts.fct_event_lifecycle "
        "group by all order by all",
    )
    assert statuses == [
        (GUNSAN, 7, dt.date(2020, 12, 31), "new", 405),
        (JEONJU, 7, dt.date(2020, 12, 31), "new", 405),
        # the 7th term's activities are not dropped by the city: the term ended
        (JEONJU, 7, dt.date(2023, 12, 31), "term_ended", 405),
        (JEONJU, 8, dt.date(2023, 12, 31), "new", 405),
        (JEONJU, 8, dt.date(2024, 12, 31), "carried", 405),
    ]
    # carried: the 2024 report's activities keep the keys the 2023 report gave them
    assert rows(
        cities,
        "select count(*) from marts.fct_events e24 join marts.fct_events e23 using (event_key) "
        "where e24.report_date = '2024-12-31' and e23.report_date = '2023-12-31'",
    ) == [(405,)]


def test_the_comparison_mart_has_one_row_per_report_and_metrics_break_down_by_city_and_term(cities):
    compared = rows(
        cities,
        "select municipality, term_number, report_date, n_pledges, n_events, n_active_pledges "
        "from marts.mart_municipality_comparison order by all",
    )
    assert [r[:3] for r in compared] == rows(
        cities, "select municipality, term_number, report_date from marts.dim_period order by all"
    )
    # the same activities under every header: the same figures, counted apart
    assert {r[3:] for r in compared} == {(76, 405, 76)}


def test_a_municipality_whose_rows_did_not_change_keeps_its_files(cities, tmp_path):
    with cities.connect() as con:
        first, again = fingerprints(con), fingerprints(con)
    assert first == again and set(first) == set(CITIES) and len(set(first.values())) == 2
    base = tmp_path / "export"
    (base / GUNSAN).mkdir(parents=True)
    (base / GUNSAN / WORKBOOK_NAME).write_bytes(b"made before")
    asked = []

    def make(city, folder):
        asked.append(city)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / WORKBOOK_NAME).write_bytes(b"made now")
        return [folder / WORKBOOK_NAME]

    made = each_city(cities.warehouse, base, make, stale=(WORKBOOK_NAME,), unchanged=lambda city: city == GUNSAN)
    assert asked == [JEONJU], "only the municipality whose rows changed is made again"
    assert (base / GUNSAN / WORKBOOK_NAME).read_bytes() == b"made before"
    assert sorted(made) == sorted(base / c / WORKBOOK_NAME for c in CITIES)


def test_a_municipalitys_view_of_the_warehouse_holds_its_rows_only(cities):
    with city_connection(cities.warehouse, GUNSAN) as con:
        assert con.execute("select distinct municipality from marts.dim_event").fetchall() == [(GUNSAN,)]
        assert con.execute("select count(*) from marts.dim_event").fetchone()[0] == 405
        assert con.execute("select count(*) from marts.dim_field").fetchone()[0] == count(
            cities, "select count(*) from marts.dim_field"
        ), "a vocabulary keeps all its rows"


# Search over several municipalities and terms (pipeline/search/, docs/search.md "Cities and terms")
def test_identical_activities_of_two_cities_are_each_found_once_and_a_city_or_term_keeps_its_own(cities, capsys):
    with cities.connect() as con:
        everywhere = search(con, QUERY)
        macro = con.execute(
            "select event_key, municipality, term_number, pledge_name_ko from marts.search_activities(?)", [QUERY]
        ).fetchall()
        macro_gunsan = con.execute(
            "select municipality, term_number from marts.search_activities(?, municipality := '군 산 시')", [QUERY]
        ).fetchall()
        term8 = search(con, QUERY, term_number=8)
    best = [r for r in everywhere if r["title"].startswith("2020 온두레공동체 사업 기자브리핑")]
    # the same activity in each series, once each (three event_keys), its pledge named as that city names it
    assert len({r["event_key"] for r in best}) == len(best) == 3
    assert {(r["municipality"], r["term_number"], r["pledge_name_ko"]) for r in best} == {
        ("전주시", 7, "전주 온두레 공동체 2.0"),
        ("전주시", 8, "전주 온두레 공동체 2.0"),
        ("군산시", 7, "군산 온두레 공동체 2.0"),
    }
    assert len({r["event_key"] for r in everywhere}) == len(everywhere)  # no result repeated per city
    assert [(k, m, t, n) for k, m, t, n in macro] == [
        (r["event_key"], r["municipality"], r["term_number"], r["pledge_name_ko"]) for r in everywhere
    ]
    assert set(macro_gunsan) == {("군산시", 7)} and len(macro_gunsan) == len(everywhere) // 3
    assert {(r["municipality"], r["term_number"]) for r in term8} == {("전주시", 8)}
    assert [r["search_rank"] for r in term8] == list(range(1, len(term8) + 1))

    # make search CITY=... TERM=...: the limits reach it through the environment, the JSON names both
    gunsan = make_search_json(cities.warehouse, f"Q={QUERY}", "CITY=군산시", "TERM=7")
    assert {(r["municipality"], r["term_number"]) for r in gunsan} == {("군산시", 7)}
    assert len(gunsan) == len(everywhere) // 3
    assert {"event_key", "pledge_code", "event_seq", "report_date", "score"} <= gunsan[0].keys()
    assert gunsan[0]["title"].startswith("2020 온두레공동체 사업 기자브리핑")
    assert gunsan[0]["pledge_name_ko"] == "군산 온두레 공동체 2.0"

    # the text shows each result's municipality and term; a city with no report is refused, not searched
    assert main([QUERY, "--city", "전주시", "--term", "민선8기", "--limit", "1"]) == 0
    assert "전주시 민선8기 · 50 전주 온두레 공동체 2.0" in capsys.readouterr().out
    assert main([QUERY, "--city", "서울시"]) == 2
    assert "군산시, 전주시" in capsys.readouterr().err
