"""The analyst report: materialized through Dagster from the warehouse the real
pipeline built, then rendered in headless Chromium (started here) and checked:
six charts drawn as SVG with titled axes, Korean labels painted with a Korean font, no network,
the headline and the top pledges counting people who attended; and the activity table used the
way a person uses it (typing in the search box, choosing filters, clicking a bar), its counts
compared with the warehouse, on a two-period warehouse whose synthetic 2021 report prints a
hostile title. The report, the workbook and the example queries show the same figures.

`PLEDGE_UPDATE_SCREENSHOT=1` also copies the screenshots to docs/report.png (the README image) and
docs/img/report-filtered.png (the activity table, filtered).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import struct
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pytest
from dagster import materialize

from pipeline.defs.assets.exports import analyst_report
from pipeline.export.workbook import WORKBOOK_NAME
from pipeline.report import CHART_IDS, plain_sql
from pipeline.report import data as report_data
from pipeline.report import page as report_page
from pipeline.search.index import search
from pipeline.settings import report_path
from testkit.reports import UL_OPEN, build_series

from .analyst_fixtures import chromium
from .conftest import SEED_REPORT, make_workspace

REPO = Path(__file__).resolve().parent.parent
KOREAN_FONTS = re.compile(r"nanum|noto sans cjk|noto sans kr|malgun|apple sd gothic|unbatang|baekmuk", re.I)


@pytest.fixture(scope="module")
def report(built_warehouse):
    """The asset materialized against the built warehouse (pinned here: other modules make other workspaces)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLEDGE_WAREHOUSE", str(built_warehouse.warehouse))
        result = materialize([analyst_report])
        path = report_path()
    assert result.success
    return SimpleNamespace(result=result, path=path)


@pytest.fixture(scope="module")
def rendered(report, tmp_path_factory):
    """The page as Chromium laid it out: per chart, its drawn marks, texts and axis titles; the tiles; a
    full-page screenshot and one of the activity table filtered by typing and choosing a field."""
    tmp = tmp_path_factory.mktemp("report_browser")
    with chromium(tmp / "profile", width=1280, height=900) as browser:
        browser.navigate(report.path.as_uri())
        browser.wait_for("document.getElementById('activities').dataset.ready")
        charts = browser.evaluate("""
            Array.from(document.querySelectorAll('svg.chart')).map(svg => {
                const box = svg.getBoundingClientRect();
                return {
                    id: svg.id,
                    width: box.width,
                    height: box.height,
                    marks: Array.from(svg.querySelectorAll('rect')).filter(r => r.getBBox().width > 0).length,
                    texts: Array.from(svg.querySelectorAll('text')).map(t => t.textContent),
                    axis_titles: Array.from(svg.querySelectorAll('text.axis-title')).map(t => {
                        const r = t.getBoundingClientRect();
                        return {axis: t.dataset.axis, text: t.textContent, width: r.width, height: r.height,
                                inside: r.left >= box.left - 1 && r.right <= box.right + 1
                                        && r.top >= box.top - 1 && r.bottom <= box.bottom + 1};
                    }),
                };
            })""")
        tiles = browser.evaluate("""Object.fromEntries(Array.from(document.querySelectorAll('.kpi[data-figure]'))
            .map(k => [k.dataset.figure, {value: k.querySelector('b').textContent,
                                          label: k.querySelector('span').textContent}]))""")
        kinds = browser.evaluate("""Array.from(document.querySelectorAll('#people-by-kind li'))
            .map(li => [li.dataset.kind, li.querySelector('b').textContent, li.textContent])""")
        resources = browser.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        korean_fonts = browser.fonts_used("#chart-field-period text")
        title_fonts = browser.fonts_used("h1")
        screenshot = browser.screenshot(tmp / "report.png")
        # the activity table as a person filters it: a word typed, a field chosen
        browser.type_text("#f-q", "설명회")
        choose(browser, "f-field", "city")
        filtered = browser.screenshot_element("#activities", tmp / "report-filtered.png", max_height=1100)
        filtered_status = status(browser)
    if os.environ.get("PLEDGE_UPDATE_SCREENSHOT"):
        shutil.copyfile(screenshot, REPO / "docs" / "report.png")
        (REPO / "docs" / "img").mkdir(exist_ok=True)
        shutil.copyfile(filtered, REPO / "docs" / "img" / "report-filtered.png")
    return {
        "charts": {c["id"]: c for c in charts},
        "tiles": tiles,
        "kinds": kinds,
        "resources": resources,
        "korean_fonts": korean_fonts,
        "title_fonts": title_fonts,
        "screenshot": screenshot,
        "filtered": filtered,
        "filtered_status": filtered_status,
    }


def number(text: str) -> int:
    """The integer a cell shows: `9,382` -> 9382."""
    digits = re.sub(r"[,\s]", "", text)
    assert re.fullmatch(r"\d+", digits), text
    return int(digits)


def scalar(con, sql: str, params: list | None = None):
    return con.execute(sql, params or []).fetchone()[0]


# -- the page ------------------------------------------------------------------------------------------


def test_report_is_written_beside_the_published_warehouse(report, built_warehouse):
    path = built_warehouse.warehouse.parent / "report" / "index.html"
    assert report.path == path and path.exists()
    html = path.read_text(encoding="utf-8")
    # self-contained, offline: the only scripts are inline (the table's code and its JSON data), nothing
    # is linked or imported
    scripts = re.findall(r"<script\b[^>]*>", html, flags=re.I)
    assert scripts and all(re.fullmatch(r'<script( type="application/json" id="[\w-]+")?>', s) for s in scripts), (
        scripts
    )
    assert "<link" not in html and " src=" not in html and "@import" not in html and "url(" not in html
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html).group(1)
    assert "default-src &#x27;none&#x27;" in csp and "script-src &#x27;sha256-" in csp
    assert "NanumGothic" in html and "sans-serif" in html


def test_report_metadata_has_row_counts_and_previews(report, built_warehouse):
    metadata = report.result.asset_materializations_for_node("analyst_report")[0].metadata
    with built_warehouse.connect() as con:
        n_events = con.execute("select count(*) from marts.fct_events").fetchone()[0]
    assert metadata["dagster/row_count"].value == n_events
    assert f"| `marts.fct_events` | {n_events:,} |" in metadata["row_counts"].value
    preview = metadata["preview_fct_events"].value
    assert preview.splitlines()[0].startswith("| event_key | pledge_key | municipality | term_number | report_date |")
    assert len(preview.splitlines()) == 2 + min(5, n_events)


def test_every_chart_is_drawn(rendered):
    charts = rendered["charts"]
    assert set(charts) == set(CHART_IDS)
    for chart_id, chart in charts.items():
        assert chart["width"] > 300 and chart["height"] > 40, chart_id
        assert chart["marks"] >= 1, f"{chart_id} draws nothing"


def test_every_chart_axis_has_a_title(rendered):
    for chart_id, chart in rendered["charts"].items():
        titles = {t["axis"]: t for t in chart["axis_titles"]}
        assert sorted(t["axis"] for t in chart["axis_titles"]) == ["x", "y"], chart_id
        for axis, t in titles.items():
            # (a vertical axis's title may be turned a quarter: then it is tall, not wide)
            assert t["text"].strip() and max(t["width"], t["height"]) > 40 and min(t["width"], t["height"]) > 5, (
                chart_id,
                axis,
                t,
            )
            assert t["inside"], f"{chart_id}: the {axis} axis title is drawn outside the chart: {t}"
    assert (
        "people who attended"
        in rendered["charts"]["chart-top-pledges"]["axis_titles"][0]["text"]
        + rendered["charts"]["chart-top-pledges"]["axis_titles"][1]["text"]
    )


def test_charts_show_the_warehouse_numbers(rendered, built_warehouse):
    with built_warehouse.connect() as con:
        fields = [r[0] for r in con.execute("select field_name_ko from marts.dim_field order by sort_order").fetchall()]
        per_field = dict(
            con.execute(
                "select field_code, count(*) from marts.fct_events "
                "where report_date = (select max(report_date) from marts.dim_period) group by 1"
            ).fetchall()
        )
    texts = rendered["charts"]["chart-field-period"]["texts"]
    for name in fields:  # Korean field names are real text in the SVG
        assert any(t.startswith(name) for t in texts), name
    for n in per_field.values():
        assert f"{n:,}" in texts


def test_the_headline_counts_people_who_attended_and_the_other_kinds_stand_beside_it(rendered, built_warehouse):
    with built_warehouse.connect() as con:
        attended = scalar(con, "select sum(attendee_count) from marts.dim_event where attendee_kind = 'attended'")
        by_kind = dict(
            con.execute(
                "select attendee_kind, sum(attendee_count) from marts.dim_event "
                "where attendee_kind is not null group by 1"
            ).fetchall()
        )
        n_no_figure = scalar(con, "select count(*) from marts.dim_event where attendee_count is null")
        n_all = scalar(con, "select count(*) from marts.dim_event")
    tile = rendered["tiles"]["people_attended"]
    assert number(tile["value"]) == attended
    assert "attended" in tile["label"] and f"of {n_all:,} activities" in tile["label"]
    shown = {kind: number(value) for kind, value, _ in rendered["kinds"]}
    assert shown.pop("") == n_no_figure
    assert shown == {k: v for k, v in by_kind.items() if k != "attended"}
    assert shown and attended != sum(by_kind.values())  # the other kinds are beside it, never summed in


def test_top_pledges_rank_by_people_who_attended_and_say_how_many_state_a_figure(rendered, built_warehouse):
    with built_warehouse.connect() as con:
        ranking = con.execute("""
            select pledge_code, coalesce(sum(attendee_count) filter (where attendee_kind = 'attended'), 0),
                   count(attendee_count), count(*)
            from marts.dim_event group by 1
            order by 2 desc, 4 desc, try_cast(split_part(pledge_code, '-', 1) as integer),
                     try_cast(split_part(pledge_code, '-', 2) as integer) nulls first limit 15""").fetchall()
        # the example query an analyst runs ranks the same pledges first, with the same people
        query = [(r["pledge_code"], r["people_attended"]) for r in query_rows(con, "pledges_ranked_by_attendance")]
    assert query[:15] == [(code, people) for code, people, *_ in ranking]
    texts = rendered["charts"]["chart-top-pledges"]["texts"]
    # bar labels `27  벼룩시장…`, not the figures after the bars `683  (5 of 7 state a figure)`
    labels = [t for t in texts if re.match(r"^\d+(-\d+)?  ", t) and not re.match(r"^[\d,]+  \(\d", t)]
    assert [t.split()[0] for t in labels] == [code for code, *_ in ranking]
    for code, people, n_with_figure, n_all in ranking:
        assert f"{people:,}  ({n_with_figure:,} of {n_all:,} state a figure)" in texts, code


def test_korean_labels_are_painted_with_a_korean_font(rendered):
    for fonts in (rendered["korean_fonts"], rendered["title_fonts"]):
        assert any(KOREAN_FONTS.search(family) and glyphs > 0 for family, glyphs in fonts.items()), fonts


def test_the_page_needs_no_network(rendered):
    assert [r for r in rendered["resources"] if not r.startswith("file:")] == []


def test_screenshots_are_pngs(rendered, built_warehouse):
    data = rendered["screenshot"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280 and height > 1500
    data = rendered["filtered"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24])[0] > 900
    with built_warehouse.connect() as con:
        n = scalar(
            con,
            "select count(*) from marts.dim_event e where e.field_code = 'city' and e.event_key in ?",
            [searched(con, "설명회")],
        )
    assert rendered["filtered_status"]["matches"] == n > 0  # the screenshot shows a filtered table


# -- the activity table, used in the browser, on two periods ------------------------------------------------

HOSTILE_TITLE = (
    '</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    '<!-- 주민 간담회 &amp; "따옴표" \u2028 (\'21. 3. 9.)'
)


def searched(con, query: str) -> list[str]:
    """The activities `make search` finds for the query, best first (pipeline/search/index.py)."""
    return [r["event_key"] for r in search(con, query)]


def with_hostile_activity(text: str) -> str:
    """The report text with one more activity, first of the first pledge, whose title is markup: entities
    in the report's HTML cell, so that the parser reads them as the literal characters < > " &."""
    escaped = HOSTILE_TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    item = f"<li>• {escaped} {UL_OPEN} <li>- 장소 : &lt;/textarea&gt;시청 강당 / 30명 참석</li> </ul></li>"
    at = text.index(UL_OPEN) + len(UL_OPEN)
    return text[:at] + " " + item + text[at:]


@pytest.fixture(scope="module")
def two_periods(tmp_path_factory):
    """`make run` on the real 2020 report and a synthetic 2021 one (testkit/reports.py: some activities
    added, dropped, changed) that also prints the hostile activity. The run writes the report and workbook."""
    s2021 = build_series().snapshots[2]
    with pytest.MonkeyPatch.context() as mp:
        ws = make_workspace(tmp_path_factory.mktemp("report_periods"), mp, reports=[SEED_REPORT])
        (ws.raw_dir / s2021.file_name).write_text(with_hostile_activity(s2021.text), encoding="utf-8")
        assert ws.run() == 0
    ws.report = ws.warehouse.parent / "report" / "index.html"
    ws.workbook = ws.warehouse.parent / "export" / WORKBOOK_NAME
    with ws.connect() as con:
        assert scalar(con, "select count(*) from marts.dim_period") == 2
        ws.hostile = con.execute("select event_key, title from marts.dim_event where title like '%pwned%'").fetchall()
    assert len(ws.hostile) == 1 and ws.hostile[0][1].startswith("</script><script>"), ws.hostile
    return ws


@pytest.fixture(scope="module")
def page(two_periods, tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("table_browser") / "profile", width=1280, height=1000) as browser:
        browser.navigate(two_periods.report.as_uri())
        browser.wait_for("document.getElementById('activities').dataset.ready")
        yield browser


@pytest.fixture
def table(page):
    """The page with every filter cleared (by its reset button)."""
    page.click("#f-reset")
    assert status(page)["matches"] == status(page)["total"]
    return page


def status(browser) -> dict[str, int]:
    values = browser.evaluate("""Object.fromEntries(Array.from(document.querySelectorAll('#activity-status [data-n]'))
                                   .map(e => [e.dataset.n, e.textContent]))""")
    return {k.replace("-", "_"): number(v) for k, v in values.items()}


def shown_keys(browser) -> list[str]:
    return browser.evaluate("Array.from(document.querySelectorAll('#activity-rows tr')).map(tr => tr.dataset.key)")


def choose(browser, select_id: str, value: str) -> None:
    """Pick an option of a menu, as a user's choice does: the value changes and `change` fires."""
    found = browser.evaluate(f"""(() => {{
        const s = document.getElementById({json.dumps(select_id)});
        const o = Array.from(s.options).find(o => o.value === {json.dumps(value)});
        if (!o) return false;
        s.value = o.value;
        s.dispatchEvent(new Event('change', {{bubbles: true}}));
        return true;
    }})()""")
    assert found, (select_id, value)


def choose_period(browser, report_date: dt.date) -> None:
    value = browser.evaluate(f"""Array.from(document.getElementById('f-period').options)
        .find(o => o.textContent.startsWith({json.dumps(str(report_date))})).value""")
    choose(browser, "f-period", value)


def expected(con, *, query: str = "", period=None, field=None, pledge=None, format=None) -> dict:
    """What the table must show for these filters, counted in the warehouse (independently of the report)."""
    where, params = ["true"], []
    if query:
        params.append(searched(con, query))
        where.append(f"e.event_key in ${len(params)}")
    for column, value in (("field_code", field), ("pledge_key", pledge), ("format_code", format)):
        if value is not None:
            params.append(value)
            where.append(f"e.{column} = ${len(params)}")
    if period is not None:
        params.append(period)
        where.append(
            f"exists (select 1 from marts.fct_events f where f.event_key = e.event_key "
            f"and f.report_date = ${len(params)})"
        )
    keys, attended = con.execute(
        f"""
        select list(e.event_key), coalesce(sum(e.attendee_count) filter (where e.attendee_kind = 'attended'), 0)
        from marts.dim_event e where {" and ".join(where)}""",
        params,
    ).fetchone()
    return {"keys": set(keys or []), "attended": attended}


def assert_table_shows(browser, want: dict) -> None:
    got, keys = status(browser), shown_keys(browser)
    assert got["matches"] == len(want["keys"]), (got, len(want["keys"]))
    assert got["attended"] == want["attended"]
    assert got["shown"] == len(keys) == min(len(want["keys"]), report_page.PAGE_SIZE)
    assert set(keys) <= want["keys"] and len(set(keys)) == len(keys)


def test_typing_a_query_shows_what_make_search_finds_best_first(table, two_periods):
    """Offline, in the page: a particle (간담회를 -> 간담회) and a synonym (노인 -> 어르신, 시니어, 고령자) give
    what `make search` gives, in its order."""
    with two_periods.connect() as con:
        everything = expected(con)
        for query in ("간담회를", "노인", "한옥마을 간담회를"):
            table.click("#f-reset")
            table.type_text("#f-q", query)
            want = searched(con, query)
            assert want, query
            assert_table_shows(table, expected(con, query=query))
            assert shown_keys(table) == want[: report_page.PAGE_SIZE], query
            assert 0 < len(want) < len(everything["keys"])
        table.click("#f-reset")
        table.type_text("#f-q", "없는말zzz")
        assert status(table)["matches"] == 0 and shown_keys(table) == []


def test_choosing_a_filter_filters_the_rows_and_the_counts_match_the_warehouse(table, two_periods):
    with two_periods.connect() as con:
        periods = [r[0] for r in con.execute("select report_date from marts.dim_period order by 1").fetchall()]
        per_period = dict(con.execute("select report_date, count(*) from marts.fct_events group by 1").fetchall())
        for period in periods:
            choose_period(table, period)
            want = expected(con, period=period)
            assert len(want["keys"]) == per_period[period]  # a period shows the activities its report lists
            assert_table_shows(table, want)
        assert per_period[periods[0]] != per_period[periods[1]]
        choose(table, "f-period", "")
        fields = [r[0] for r in con.execute("select field_code from marts.dim_field").fetchall()]
        for field in fields:
            choose(table, "f-field", field)
            assert_table_shows(table, expected(con, field=field))
        choose(table, "f-field", "")
        pledge, format_code = con.execute("""
            select (select pledge_key from marts.dim_event group by 1 order by count(*) desc, 1 limit 1),
                   (select format_code from marts.dim_event group by 1 order by count(*) desc, 1 limit 1)""").fetchone()
        choose(table, "f-pledge", pledge)
        assert_table_shows(table, expected(con, pledge=pledge))
        choose(table, "f-pledge", "")
        choose(table, "f-format", format_code)
        assert_table_shows(table, expected(con, format=format_code))
        # all at once: a period, a field, a format and a word
        field = scalar(
            con,
            "select field_code from marts.dim_event where format_code = ? group by 1 order by count(*) desc limit 1",
            [format_code],
        )
        choose(table, "f-field", field)
        choose_period(table, periods[-1])
        table.type_text("#f-q", "간담회")
        want = expected(con, query="간담회", period=periods[-1], field=field, format=format_code)
        assert len(want["keys"]) > 0
        assert_table_shows(table, want)


def test_menus_count_what_the_warehouse_holds(table, two_periods):
    options = table.evaluate("""Object.fromEntries(['f-period', 'f-field', 'f-format', 'f-pledge'].map(id =>
        [id, Array.from(document.getElementById(id).options).filter(o => o.value).map(o => o.textContent)]))""")
    with two_periods.connect() as con:
        per_period = con.execute("select report_date, count(*) from marts.fct_events group by 1 order by 1").fetchall()
        per_pledge = dict(con.execute("select pledge_code, count(*) from marts.dim_event group by 1").fetchall())
        per_format = dict(con.execute("select format_code, count(*) from marts.dim_event group by 1").fetchall())
    assert options["f-period"] == [f"{d} ({n:,})" for d, n in per_period]
    assert {o.split()[0]: number(o.rsplit("(", 1)[1].rstrip(")")) for o in options["f-pledge"]} == per_pledge
    assert sum(number(o.rsplit("(", 1)[1].rstrip(")")) for o in options["f-format"]) == sum(per_format.values())
    assert len(options["f-format"]) == len(per_format)


def test_show_more_and_sorting(table, two_periods):
    with two_periods.connect() as con:
        n = scalar(con, "select count(*) from marts.dim_event")
        newest = set(
            scalar(
                con,
                "select list(event_key) from marts.dim_event "
                "where reference_date = (select max(reference_date) from marts.dim_event)",
            )
        )
        most = scalar(con, "select max(attendee_count) from marts.dim_event")
    assert n > 2 * report_page.PAGE_SIZE
    table.click("#activity-more")
    assert status(table)["shown"] == len(shown_keys(table)) == 2 * report_page.PAGE_SIZE
    choose(table, "f-sort", "date-desc")
    assert shown_keys(table)[0] in newest and len(shown_keys(table)) == report_page.PAGE_SIZE
    choose(table, "f-sort", "people")
    assert (
        number(
            table.evaluate("document.querySelector('#activity-rows td.n').firstChild.textContent").replace("약 ", "")
        )
        == most
    )


def test_a_bar_of_a_chart_opens_its_activities(table, two_periods):
    table.click("#chart-attendance-field a:nth-of-type(2) rect")
    table.wait_for("document.getElementById('f-field').value !== ''")
    field = table.evaluate("document.getElementById('f-field').value")
    with two_periods.connect() as con:
        assert field == scalar(con, "select field_code from marts.dim_field order by sort_order limit 1 offset 1")
        assert_table_shows(table, expected(con, field=field))
    assert table.evaluate("location.hash") == f"#field={field}"
    table.click("#chart-top-pledges a rect")  # the first pledge of the ranking
    table.wait_for("document.getElementById('f-pledge').value !== ''")
    assert table.evaluate("document.getElementById('f-field').value") == ""
    with two_periods.connect() as con:
        assert_table_shows(table, expected(con, pledge=table.evaluate("document.getElementById('f-pledge').value")))


def test_the_filters_are_a_link(two_periods, tmp_path):
    with two_periods.connect() as con:
        period = scalar(con, "select max(report_date) from marts.dim_period")
        want = expected(con, query="회의", period=period, field="economy")
    assert want["keys"]
    with chromium(tmp_path / "profile") as browser:
        browser.navigate(two_periods.report.as_uri() + f"#q=회의&period={period}&field=economy")
        browser.wait_for("document.getElementById('activities').dataset.ready")
        assert browser.evaluate("document.getElementById('f-q').value") == "회의"
        assert_table_shows(browser, want)


def test_hostile_titles_stay_text(two_periods, page, table):
    key, title = two_periods.hostile[0]
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 2  # the page's own two, nothing more
    table.type_text("#f-q", "pwned")
    assert shown_keys(table) == [key]
    assert table.evaluate("document.querySelector('#activity-rows td.title').firstChild.textContent") == title
    html = two_periods.report.read_text(encoding="utf-8")
    assert "window.pwned" in html and "<script>window.pwned" not in html and "<img src=x" not in html
    # the data block is closed by its own </script> only, and reads back to the very title
    block = re.search(r'<script type="application/json" id="activity-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block and "&" not in block and "\u2028" not in block
    payload = json.loads(block)
    assert [r for r in payload["rows"] if r[0] == key][0][payload["columns"].index("title")] == title


def test_the_content_security_policy_stops_a_script_that_is_not_the_pages_own(two_periods, tmp_path):
    """Defence in depth: had a title escaped escaping, the browser would still not run it."""
    html = two_periods.report.read_text(encoding="utf-8")
    doctored = tmp_path / "doctored.html"
    doctored.write_text(html.replace("<main>", "<main><script>window.injected = 1</script>", 1), encoding="utf-8")
    with chromium(tmp_path / "profile") as browser:
        browser.navigate(doctored.as_uri())
        browser.wait_for("document.getElementById('activities').dataset.ready")  # the page's own script runs
        assert browser.evaluate("typeof window.injected") == "undefined"


def test_what_changed_in_the_latest_report_per_pledge_and_the_dropped_apart(two_periods, page):
    """The section comparing the latest report with the one before, and the tiles that count the latest
    report's activities and the dropped ones apart, as the browser shows them."""
    shown = page.evaluate("""(() => {
        const s = document.getElementById('latest-changes');
        return {
            totals: Object.fromEntries(Array.from(s.querySelectorAll('.note [data-n]'))
                .map(b => [b.dataset.n, b.textContent])),
            pledges: Array.from(s.querySelectorAll('#latest-changes-per-pledge tr')).slice(1)
                .map(tr => Array.from(tr.cells).map(td => td.textContent)),
            activities: s.querySelectorAll('details:not(#latest-changes-per-pledge) tr').length - 1,
            tiles: Object.fromEntries(Array.from(document.querySelectorAll('.kpi[data-figure]'))
                .map(k => [k.dataset.figure, k.querySelector('b').textContent])),
        };
    })()""")
    with two_periods.connect() as con:
        latest = scalar(con, "select max(report_date) from marts.dim_period")
        per_pledge = {
            code: counts
            for code, *counts in con.execute(
                """select pledge_code, count(*) filter (where status = 'new'),
                          count(*) filter (where status = 'changed'), count(*) filter (where status = 'dropped'),
                          count(*) filter (where status = 'carried')
                   from marts.fct_event_lifecycle where report_date = ? group by 1""",
                [latest],
            ).fetchall()
        }
        in_latest = scalar(con, "select count(*) from marts.fct_events where report_date = ?", [latest])
        n_all = scalar(con, "select count(*) from marts.dim_event")
    changed = {code: c for code, c in per_pledge.items() if c[0] + c[1] + c[2] > 0}
    totals = [sum(c[i] for c in changed.values()) for i in range(3)]
    assert all(totals), totals  # the synthetic 2021 report adds, changes and drops activities
    assert {k: number(v) for k, v in shown["totals"].items()} == dict(zip(("new", "changed", "dropped"), totals))
    assert {r[0]: [number(v) for v in r[3:]] for r in shown["pledges"]} == changed
    assert [r[0] for r in shown["pledges"]] == sorted(changed, key=lambda c: [int(x) for x in c.split("-")])
    assert shown["activities"] == totals[1] + totals[2]  # each changed and dropped activity listed
    assert number(shown["tiles"]["n_in_latest_report"]) == in_latest
    assert number(shown["tiles"]["n_no_longer_reported"]) == n_all - in_latest > 0


# -- the same figures in the report, the workbook and the example queries ---------------------------------


def query_rows(con, name: str) -> list[dict]:
    cursor = con.execute((plain_sql.QUERIES_DIR / f"{name}.sql").read_text())
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r)) for r in cursor.fetchall()]


def english_name(header: str) -> str:
    found = re.search(r"\(([^()]*)\)$", header)
    return found.group(1) if found else header


def sheet_rows(workbook, sheet: str) -> list[dict]:
    """A workbook sheet's rows by English column name (the header is `한글 (english name)`)."""
    rows = workbook[sheet].iter_rows(values_only=True)
    header = [english_name(h) for h in next(rows)]
    return [dict(zip(header, r)) for r in rows]


def test_the_report_the_workbook_and_the_example_queries_show_the_same_figures(two_periods, page):
    # the report, as the browser shows it
    tiles = page.evaluate("""Object.fromEntries(Array.from(document.querySelectorAll('.kpi[data-figure]'))
        .map(k => [k.dataset.figure, k.querySelector('b').textContent]))""")
    kinds = page.evaluate(
        "Array.from(document.querySelectorAll('#people-by-kind li[data-kind]:not([data-kind=\"\"]) b'))"
        ".map(b => b.textContent)"
    )
    field_period = page.evaluate("""Array.from(document.getElementById('chart-field-period').closest('section')
        .querySelectorAll('details tr')).slice(1).map(tr => Array.from(tr.cells).map(td => td.textContent))""")
    report = {
        "activities": number(tiles["n_in_latest_report"]) + number(tiles["n_no_longer_reported"]),
        "attended": number(tiles["people_attended"]),
        "people": number(tiles["people_attended"]) + sum(number(k) for k in kinds),
        "per_period": {},
    }
    for period, _, n, *_ in field_period:
        report["per_period"][period] = report["per_period"].get(period, 0) + number(n)

    # the workbook the same run wrote, and its CSV of the full history (no sheet: it grows with every report)
    book = openpyxl.load_workbook(two_periods.workbook, read_only=True)
    once = sheet_rows(book, "활동")
    with (two_periods.workbook.parent / "csv" / "기간별활동.csv").open(encoding="utf-8-sig", newline="") as f:
        per_period = [{english_name(k): v for k, v in r.items()} for r in csv.DictReader(f)]
    workbook = {
        "activities": len(once),
        "attended": sum(r["attendee count"] for r in once if r["attendee kind"] == "attended"),
        "people": sum(r["attendee count"] or 0 for r in once),
        "per_period": {},
    }
    for r in per_period:
        key = (
            r["report date"].date().isoformat() if isinstance(r["report date"], dt.datetime) else str(r["report date"])
        )
        workbook["per_period"][key] = workbook["per_period"].get(key, 0) + 1

    with two_periods.connect() as con:
        # the example queries, plain SQL as an analyst runs them
        pledges = query_rows(con, "pledges_ranked_by_attendance")
        per_field_period = query_rows(con, "activities_per_field_per_period")
        queries = {
            "activities": sum(r["n_activities"] for r in pledges),
            "attended": sum(r["people_attended"] for r in pledges),
            "people": sum(r["people_attended"] + r["people_other_kinds"] for r in pledges),
            "per_period": {},
        }
        assert sum(r["n_activities"] for r in query_rows(con, "format_mix_per_field")) == queries["activities"]
        for r in per_field_period:
            key = str(r["report_date"])
            queries["per_period"][key] = queries["per_period"].get(key, 0) + r["n_activities"]
        # and the acceptance figures, straight from the marts
        warehouse = {
            "activities": scalar(con, "select count(*) from marts.dim_event"),
            "attended": scalar(con, "select sum(attendee_count) from marts.dim_event where attendee_kind = 'attended'"),
            "people": scalar(con, "select sum(attendee_count) from marts.dim_event"),
            "per_period": {
                str(d): n
                for d, n in con.execute("select report_date, count(*) from marts.fct_events group by 1").fetchall()
            },
        }
    assert len(warehouse["per_period"]) == 2
    for name, figures in (("report", report), ("workbook", workbook), ("example queries", queries)):
        for figure, value in figures.items():
            assert value == warehouse[figure], f"{name}: {figure} is {value}, the warehouse says {warehouse[figure]}"


# -- pieces ---------------------------------------------------------------------------------------------


def test_json_for_a_script_block_cannot_close_it():
    value = {"t": "</script><!-- <script> & \u2028 \u2029 '\"", "n": [1, None, True]}
    text = report_page.json_for_script(value)
    assert not set("<>&\u2028\u2029") & set(text)
    assert json.loads(text) == value


@pytest.mark.parametrize(
    "start, sp, end, ep, text",
    [
        (dt.date(2020, 10, 5), "day", dt.date(2020, 10, 5), "day", "2020-10-05"),
        (dt.date(2020, 10, 1), "month", dt.date(2020, 12, 1), "month", "2020-10 ~ 2020-12"),
        (None, None, dt.date(2020, 12, 1), "month", "~ 2020-12"),
        (dt.date(2019, 1, 1), "year", None, None, "2019"),
        (None, None, None, None, ""),
    ],
)
def test_dates_show_their_precision(start, sp, end, ep, text):
    assert report_page.date_text(start, sp, end, ep) == text


def test_each_figure_is_defined_once_in_sql(monkeypatch, tmp_path):
    figures = report_data.report_figures()
    queries = {p.stem for p in plain_sql.QUERIES_DIR.glob("*.sql")}
    assert figures and not set(figures) & queries  # a figure an example query states is not restated
    assert set(report_data.QUERY_FIGURES) <= queries
    # the report's Python holds no SQL of its own
    for module in (report_data, report_page):
        source = Path(module.__file__).read_text(encoding="utf-8")
        assert not re.search(r"\bselect\b[^\n]*\bfrom\b", source, re.I), module.__name__
    # a block named like a query is refused rather than silently shadowed
    twin = tmp_path / "figures.sql"
    twin.write_text("-- figure: format_mix_per_field\nselect 1;\n")
    parse = report_data.report_figures.__wrapped__
    monkeypatch.setattr(report_data, "report_figures", lambda: parse(twin))
    with pytest.raises(ValueError, match="defined both"):
        report_data.figure_sql("format_mix_per_field")
    with pytest.raises(KeyError, match="no figure"):
        report_data.figure_sql("no_such_figure")
