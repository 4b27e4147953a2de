"""The report when the warehouse holds several municipalities: each municipality's own page
(`report/<municipality>/index.html`, the one-city page made from its rows only) and, at
`report/index.html`, an index page comparing them (marts.mart_municipality_comparison) with a link to
each page and workbook. With one municipality the report is its page, where it always was.

The index page is as offline as the city pages: inline style allowed by its hash, no script at all."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from html import escape
from pathlib import Path
from urllib.parse import quote

import duckdb

from pipeline.export.cities import city_connection, each_city, folder_name
from pipeline.export.workbook import WORKBOOK_NAME
from pipeline.report import svg
from pipeline.report.data import figure
from pipeline.report.page import CSS, _csp_hash, render_report, write_html, write_report
from pipeline.shared import connect_published

INDEX_CHART_ID = "chart-municipalities"
# the city pages' style, and the comparison table's short cells (name, term, date) kept on one line
INDEX_CSS = CSS + "#municipalities td:nth-child(-n+3) { white-space: nowrap; }\n"


def write_reports(
    published: Path, out_path: Path, export_dir: Path, unchanged: Callable[[str], bool] = lambda city: False
) -> list[Path]:
    """The report of the warehouse at `published`: one page for one municipality, else a page per
    municipality (but those `unchanged`) and the index page at `out_path`. Returns the files written, the
    index first."""
    out_path = Path(out_path)

    def city_page(municipality: str, folder: Path) -> list[Path]:
        with city_connection(published, municipality) as con:
            return [write_html(render_report(con, source=Path(published).name), folder / out_path.name)]

    pages = each_city(published, out_path.parent, city_page, stale=(out_path.name,), unchanged=unchanged)
    if not pages:
        return [write_report(published, out_path)]
    with connect_published(published) as con:
        html = render_index(con, page_dir=out_path.parent, export_dir=Path(export_dir), source=Path(published).name)
    return [write_html(html, out_path), *pages]


def _href(target: Path, page_dir: Path) -> str:
    """A link from a page in `page_dir` to `target`, relative (the folder can be copied whole), each part
    percent-encoded (a municipality's name is Hangul)."""
    return "/".join(quote(part) for part in Path(os.path.relpath(target, page_dir)).parts)


def _share(value) -> str:
    return "–" if value is None else f"{value:.1%}"


def _number(value, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _format_name(row: dict) -> str:
    return " ".join(filter(None, (row["main_format_name_ko"] or row["main_format_code"], row["main_format_name_en"])))


def render_index(
    con: duckdb.DuckDBPyConnection,
    *,
    page_dir: Path,
    export_dir: Path,
    source: str = "",
    generated_at: dt.datetime | None = None,
) -> str:
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    cities = figure(con, "municipalities")
    reports = figure(con, "municipality_reports")
    names = [c["municipality"] for c in cities]
    pages = {name: _href(page_dir / folder_name(name) / "index.html", page_dir) for name in names}
    books = {name: _href(export_dir / folder_name(name) / WORKBOOK_NAME, page_dir) for name in names}
    chart = svg.hbar_chart(
        INDEX_CHART_ID,
        "지자체별 활동 수 (최근 보고서) — activities in each municipality's latest report",
        [
            (
                c["municipality"],
                c["n_events"],
                f"({c['n_pledges']:,} pledges, 민선{c['term_number']}기, {c['report_date']})",
            )
            for c in cities
        ],
        x_title="활동 수 activities listed in the latest report",
        y_title="지자체 municipality",
        label_width=120,
        links=[pages[c["municipality"]] for c in cities],
    )
    head = (
        "지자체 municipality",
        "임기 term",
        "최근 보고서 latest report",
        "보고서 reports",
        "공약사업 pledges",
        "활동 있는 공약 pledges with activities",
        "활동 activities",
        "공약당 활동 activities per pledge",
        "인원 명시 share stating people",
        "참석 인원 people who attended",
        "온라인 online share",
        "주요 유형 main format",
        "워크북 workbook",
    )
    numeric = set(range(3, 11))
    rows = []  # each cell is HTML already: the names escaped, the links made here
    for c in cities:
        city = c["municipality"]
        cells = [
            f'<a href="{escape(pages[city])}">{escape(city)}</a>',
            escape(f"민선{c['term_number']}기"),
            escape(str(c["report_date"])),
            _number(c["n_reports"]),
            _number(c["n_pledges"]),
            _number(c["n_active_pledges"]),
            _number(c["n_events"]),
            _number(c["events_per_pledge"], 2),
            _share(c["share_with_attendees"]),
            _number(c["n_people_attended"]),
            _share(c["online_share"]),
            escape(_format_name(c)),
            f'<a href="{escape(books[city])}">{escape(WORKBOOK_NAME)}</a>',
        ]
        rows.append(
            f'<tr data-municipality="{escape(city)}">'
            + "".join(f'<td class="n">{v}</td>' if i in numeric else f"<td>{v}</td>" for i, v in enumerate(cells))
            + "</tr>"
        )
    table = (
        '<table id="municipalities"><tr>'
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr>"
        + "".join(rows)
        + "</table>"
    )
    every_report = (
        "<details><summary>보고서별 · every report</summary><table><tr>"
        + "".join(f"<th>{escape(h)}</th>" for h in (*head[:1], *head[1:3], *head[4:12]))
        + "</tr>"
        + "".join(
            "<tr>"
            + "".join(
                f"<td>{escape(v)}</td>"
                for v in (
                    r["municipality"],
                    f"민선{r['term_number']}기",
                    str(r["report_date"]),
                    _number(r["n_pledges"]),
                    _number(r["n_active_pledges"]),
                    _number(r["n_events"]),
                    _number(r["events_per_pledge"], 2),
                    _share(r["share_with_attendees"]),
                    _number(r["n_people_attended"]),
                    _share(r["online_share"]),
                    r["main_format_name_ko"] or "–",
                )
            )
            + "</tr>"
            for r in reports
        )
        + "</table></details>"
    )
    csp = f"default-src 'none'; style-src {_csp_hash(INDEX_CSS)}; img-src data:; base-uri 'none'; form-action 'none'"
    return f"""<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>지자체별 공약사업 주민소통 활동 — pledge activity by municipality</title>
<style>{INDEX_CSS}</style>
</head>
<body>
<main>
<header>
<h1>지자체별 공약사업 주민소통 활동</h1>
<p>Mayoral pledges: citizen-communication activities, by municipality ({len(cities):,} municipalities).</p>
</header>
<section class="wide"><h2>지자체 비교 <small>Municipalities compared</small></h2>
<p class="note">각 지자체의 최근 보고서 기준입니다. 보고서는 임기 중 활동을 모두 누적해 싣기 때문에
같은 날짜의 보고서끼리, 또는 각 지자체의 임기별 최근 보고서끼리 비교하십시오. 지자체 이름을 누르면
그 지자체의 보고서가, 워크북을 누르면 그 지자체의 워크북이 열립니다.
Each municipality's latest report: a report lists every activity of its term so far, so compare
reports of one date, or each city's latest of a term (every report is below). A municipality's name opens its own
report; the workbook link, its own workbook. 참석 인원 counts people who attended only.</p>
{chart}
{table}
{every_report}
</section>
<footer>Generated {generated_at:%Y-%m-%d %H:%M} UTC from {escape(source)}
(<code>marts.mart_municipality_comparison</code>).</footer>
</main>
</body>
</html>
"""
