"""The analyst report: materialized through Dagster from the warehouse the real
pipeline built, then rendered in headless Chromium (started here) and checked:
six charts drawn as SVG, Korean labels painted with a Korean font, no network.

`PLEDGE_UPDATE_SCREENSHOT=1` also copies the screenshot to docs/report.png (the README image).
"""
from __future__ import annotations

import os
import re
import shutil
import struct
from pathlib import Path
from types import SimpleNamespace

import pytest
from dagster import materialize

from pipeline.defs.assets.report import analyst_report, report_path
from pipeline.report import CHART_IDS

from .analyst_fixtures import chromium

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
    """The page as Chromium laid it out: per chart, its drawn marks and texts; a full-page screenshot."""
    tmp = tmp_path_factory.mktemp("report_browser")
    with chromium(tmp / "profile", width=1280, height=900) as browser:
        browser.navigate(report.path.as_uri())
        charts = browser.evaluate("""
            Array.from(document.querySelectorAll('svg.chart')).map(svg => ({
                id: svg.id,
                width: svg.getBoundingClientRect().width,
                height: svg.getBoundingClientRect().height,
                marks: Array.from(svg.querySelectorAll('rect')).filter(r => r.getBBox().width > 0).length,
                texts: Array.from(svg.querySelectorAll('text')).map(t => t.textContent),
            }))""")
        resources = browser.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        korean_fonts = browser.fonts_used("#chart-field-period text")
        title_fonts = browser.fonts_used("h1")
        screenshot = browser.screenshot(tmp / "report.png")
    if os.environ.get("PLEDGE_UPDATE_SCREENSHOT"):
        shutil.copyfile(screenshot, REPO / "docs" / "report.png")
    return {"charts": {c["id"]: c for c in charts}, "resources": resources, "korean_fonts": korean_fonts,
            "title_fonts": title_fonts, "screenshot": screenshot}


def test_report_is_written_beside_the_published_warehouse(report, built_warehouse):
    path = built_warehouse.warehouse.parent / "report" / "index.html"
    assert report.path == path and path.exists()
    html = path.read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and " src=" not in html  # self-contained, offline
    assert "NanumGothic" in html and "sans-serif" in html


def test_report_metadata_has_row_counts_and_previews(report, built_warehouse):
    metadata = report.result.asset_materializations_for_node("analyst_report")[0].metadata
    with built_warehouse.connect() as con:
        n_events = con.execute("select count(*) from marts.fct_events").fetchone()[0]
    assert metadata["dagster/row_count"].value == n_events
    assert f"| `marts.fct_events` | {n_events:,} |" in metadata["row_counts"].value
    preview = metadata["preview_fct_events"].value
    assert preview.splitlines()[0].startswith("| event_key | report_date |")
    assert len(preview.splitlines()) == 2 + min(5, n_events)


def test_every_chart_is_drawn(rendered):
    charts = rendered["charts"]
    assert set(charts) == set(CHART_IDS)
    for chart_id, chart in charts.items():
        assert chart["width"] > 300 and chart["height"] > 40, chart_id
        assert chart["marks"] >= 1, f"{chart_id} draws nothing"


def test_charts_show_the_warehouse_numbers(rendered, built_warehouse):
    with built_warehouse.connect() as con:
        fields = [r[0] for r in con.execute("select field_name_ko from marts.dim_field order by sort_order").fetchall()]
        per_field = dict(con.execute(
            "select field_code, count(*) from marts.fct_events "
            "where report_date = (select max(report_date) from marts.dim_period) group by 1").fetchall())
        top_pledge = con.execute("""
            select pledge_code from (
                select *, row_number() over (partition by event_key order by report_date desc) as v
                from marts.fct_events) where v = 1
            group by 1 order by coalesce(sum(attendee_count), 0) desc, count(*) desc, 1 limit 1""").fetchone()[0]
    texts = rendered["charts"]["chart-field-period"]["texts"]
    for name in fields:  # Korean field names are real text in the SVG
        assert any(t.startswith(name) for t in texts), name
    for n in per_field.values():
        assert f"{n:,}" in texts
    assert any(t.startswith(f"{top_pledge} ") for t in rendered["charts"]["chart-top-pledges"]["texts"])


def test_korean_labels_are_painted_with_a_korean_font(rendered):
    for fonts in (rendered["korean_fonts"], rendered["title_fonts"]):
        assert any(KOREAN_FONTS.search(family) and glyphs > 0 for family, glyphs in fonts.items()), fonts


def test_the_page_needs_no_network(rendered):
    assert [r for r in rendered["resources"] if not r.startswith("file:")] == []


def test_screenshot_is_a_full_page_png(rendered):
    data = rendered["screenshot"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280 and height > 1500
