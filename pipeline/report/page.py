"""The static report page: one self-contained HTML file with inline SVG charts.

No script, no external stylesheet, font or image: it opens from disk, offline,
in any browser. Korean labels use the viewer's Korean font (NanumGothic first,
then the usual system Korean fonts, then the generic sans-serif).
"""
from __future__ import annotations

import datetime as dt
import os
from html import escape
from pathlib import Path

import duckdb

from pipeline.report import data as report_data
from pipeline.report import svg
from pipeline.report.data import ReportData

CHART_IDS = ("chart-field-period", "chart-monthly", "chart-format-mix", "chart-attendance-field",
             "chart-top-pledges", "chart-parse-coverage")

CSS = """
body { font-family: %(font)s; color: #222; margin: 0; background: #f6f6f4; }
main { max-width: 920px; margin: 0 auto; padding: 24px 20px 48px; }
header h1 { font-size: 24px; margin: 0 0 4px; }
header p { margin: 2px 0; color: #555; }
.kpis { display: flex; flex-wrap: wrap; gap: 10px; margin: 18px 0 8px; }
.kpi { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 10px 14px; min-width: 120px; }
.kpi b { display: block; font-size: 22px; }
.kpi span { color: #666; font-size: 12px; }
section { background: #fff; border: 1px solid #e2e2e2; border-radius: 6px; padding: 14px 20px 16px; margin: 16px 0; }
section h2 { font-size: 18px; margin: 0 0 2px; }
section h2 small { font-weight: normal; color: #666; font-size: 14px; }
p.note { color: #555; font-size: 13px; margin: 4px 0 10px; }
svg.chart { display: block; max-width: 100%%; height: auto; }
svg.chart text { font-family: %(font)s; }
details { margin-top: 8px; font-size: 13px; }
table { border-collapse: collapse; margin-top: 6px; }
th, td { border-bottom: 1px solid #eee; padding: 3px 10px 3px 0; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
footer { color: #777; font-size: 12px; margin-top: 24px; }
""" % {"font": svg.FONT_STACK}


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="n">{escape(_fmt(v))}</td>' if i in numeric else f"<td>{escape(_fmt(v))}</td>"
            for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<details><summary>표 보기 · show the numbers</summary><table><tr>{head}</tr>{body}</table></details>"


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1%}" if value <= 1 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _section(title_ko: str, title_en: str, note: str, chart: str, table: str) -> str:
    return (f"<section><h2>{escape(title_ko)} <small>{escape(title_en)}</small></h2>"
            f'<p class="note">{note}</p>{chart}{table}</section>')


def _field_label(f: dict) -> str:
    return f"{f['field_name_ko']} {f['field_name_en'].split(' ')[0]}"


def render(d: ReportData, *, generated_at: dt.datetime | None = None, source: str = "") -> str:
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc)
    field_names = {f["field_code"]: f for f in d.fields}
    field_colors = {f["field_code"]: svg.PALETTE[i % len(svg.PALETTE)] for i, f in enumerate(d.fields)}
    period_keys = [str(p["report_date"]) for p in d.periods]
    sections = []

    # 1. activities per field per period
    by_fp = {(str(r["report_date"]), r["field_code"]): r for r in d.field_period}
    chart = svg.grouped_hbar_chart(
        CHART_IDS[0], "분야별·기간별 활동 수 — activities per field per reporting period",
        [_field_label(f) for f in d.fields],
        [(f"기준일 {p}", [by_fp[(p, f["field_code"])]["n_activities"] for f in d.fields]) for p in period_keys],
    )
    sections.append(_section(
        "분야별 활동 수", "Activities per field, per reporting period",
        "Every activity listed in each yearly report (기준일), by the policy field (분야) of its pledge. "
        "An activity reprinted in a later report counts in each report that lists it.",
        chart,
        _table(["기준일 period", "분야 field", "활동 activities", "인원 people"],
               [[str(r["report_date"]), _field_label(field_names[r["field_code"]]), r["n_activities"], r["people"]]
                for r in d.field_period], {2, 3})))

    # 2. monthly timeline
    points = [(r["month"].strftime("%Y-%m"), r["n_activities"]) for r in _fill_months(d.monthly)]
    chart = svg.column_chart(
        CHART_IDS[1], "월별 활동 추이 — activities per month of their start date", points,
        tick_every=lambda i, key: key[:4] if key.endswith("-01") or i == 0 else None)
    n_left_out = d.undated["n_undated"] + d.undated["n_year_only"]
    sections.append(_section(
        "월별 활동 추이", "Monthly timeline of activities",
        f"Activities by the month they started (each activity once). Dates printed only to the month count in "
        f"that month; {n_left_out:,} of {d.undated['n_activities']:,} activities have no date or only a year "
        f"and are not shown.",
        chart,
        _table(["월 month", "활동 activities"], [[k, v] for k, v in points], {1})))

    # 3. format mix per field
    top_formats = [f for f in d.formats if f["n_activities"] > 0][:9]
    shown = {f["format_code"] for f in top_formats}
    segments = [(f"{f['format_name_ko']} {f['format_name_en']}", svg.PALETTE[i]) for i, f in enumerate(top_formats)]
    has_rest = any(r["format_code"] not in shown for r in d.format_mix)
    if has_rest:
        segments.append(("그 밖의 유형 other formats", svg.REST_COLOR))
    mix = {(r["field_code"], r["format_code"]): r["n_activities"] for r in d.format_mix}
    values = []
    for f in d.fields:
        row = [mix.get((f["field_code"], code), 0) for code in (t["format_code"] for t in top_formats)]
        if has_rest:
            row.append(sum(n for (fc, code), n in mix.items() if fc == f["field_code"] and code not in shown))
        values.append(row)
    chart = svg.stacked_share_chart(
        CHART_IDS[2], "분야별 활동 유형 구성 — format mix per field",
        [_field_label(f) for f in d.fields], segments, values,
        totals_note=[f"n = {sum(v):,}" for v in values])
    format_names = {f["format_code"]: f for f in d.formats}
    sections.append(_section(
        "분야별 활동 유형", "Format mix per field",
        "Share of each activity format (회의, 설명회, 교육, …) among the field's activities, each activity once. "
        "The format is decided by the head noun of the activity's title.",
        chart,
        _table(["분야 field", "유형 format", "활동 activities"],
               [[_field_label(field_names[fc]), f"{format_names[code]['format_name_ko']} "
                 f"{format_names[code]['format_name_en']}", n]
                for (fc, code), n in sorted(mix.items(), key=lambda kv: (list(field_names).index(kv[0][0]), -kv[1]))],
               {2})))

    # 4. attendance per field
    chart = svg.hbar_chart(
        CHART_IDS[3], "분야별 참여 인원 — people reached per field",
        [(_field_label(r), r["people"],
          f"({r['n_with_attendance']:,}/{r['n_activities']:,} activities state a figure)")
         for r in d.attendance_per_field],
        colors=[field_colors[r["field_code"]] for r in d.attendance_per_field], label_width=180)
    sections.append(_section(
        "분야별 참여 인원", "Attendance per field",
        "Sum of the people figures printed for the field's activities, each activity once. Activities that state "
        "no figure are not counted as zero but left out; approximate figures (30여명, about 30) count as printed.",
        chart,
        _table(["분야 field", "인원 people", "활동 activities", "with a figure", "approximate"],
               [[_field_label(r), r["people"], r["n_activities"], r["n_with_attendance"], r["n_approx"]]
                for r in d.attendance_per_field], {1, 2, 3, 4})))

    # 5. top pledges
    chart = svg.hbar_chart(
        CHART_IDS[4], "참여 인원 상위 공약사업 — pledges with the most people reached",
        [(f"{r['pledge_code']}  {r['pledge_name_ko']}", r["people"], f"({r['n_activities']:,} activities)")
         for r in d.top_pledges],
        colors=[field_colors.get(r["field_code"], svg.PALETTE[0]) for r in d.top_pledges], label_width=380)
    sections.append(_section(
        "참여 인원 상위 공약사업", f"Top {len(d.top_pledges)} pledges by attendance",
        "Pledges (공약사업, by 관리번호 and name) ranked by the people their activities reached; bar colour = field.",
        chart,
        _table(["관리번호 code", "공약사업 pledge", "분야 field", "인원 people", "활동 activities"],
               [[r["pledge_code"], r["pledge_name_ko"], _field_label(field_names[r["field_code"]]), r["people"],
                 r["n_activities"]] for r in d.top_pledges], {3, 4})))

    # 6. parse coverage
    coverage_segments = [("활동 read as an activity", svg.PALETTE[0]), ("세부 read as a detail", svg.PALETTE[3]),
                         ("파싱 문제 kept as a parse issue", svg.PALETTE[2])]
    chart = svg.stacked_share_chart(
        CHART_IDS[5], "파싱 범위 — how the report's list items were read",
        [f"기준일 {p['report_date']}" for p in d.periods], coverage_segments,
        [[p["n_items_as_event"] or 0, p["n_items_as_detail"] or 0, p["n_items_as_issue"] or 0] for p in d.periods],
        totals_note=[f"{p['n_list_items'] or 0:,} items" for p in d.periods], label_width=160)
    sections.append(_section(
        "파싱 범위", "Parse coverage",
        "Every list item of each report became an activity, a detail line of an activity, or a recorded parse "
        "issue: nothing is dropped silently. The table lists the parse issues by kind.",
        chart,
        _table(["기준일 period", "severity", "kind", "issues"],
               [[str(r["report_date"]), r["severity"], r["issue_kind"], r["n_issues"]] for r in d.issues], {3})))

    t = d.totals
    kpis = [
        (f"{len(d.periods):,}", "보고 기간 reporting periods"),
        (f"{t.get('n_pledges', 0):,}", "공약사업 pledges with activities"),
        (f"{t.get('n_activities', 0):,}", "활동 distinct activities"),
        (f"{t.get('people', 0):,}", "참여 인원 people (where stated)"),
        (f"{t.get('n_online', 0):,}", "온라인 online activities"),
    ]
    periods_text = ", ".join(period_keys) or "none yet"
    return f"""<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>전주시 공약사업 주민소통 활동 보고서 — Jeonju pledge activity report</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>전주시 민선7기 공약사업 주민소통 활동</h1>
<p>Jeonju mayoral pledges: citizen-communication activities, as reported by the city.</p>
<p>기준일 reporting periods: {escape(periods_text)}</p>
</header>
<div class="kpis">{"".join(f'<div class="kpi"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in kpis)}</div>
{"".join(sections)}
<footer>Generated {generated_at:%Y-%m-%d %H:%M} UTC from {escape(source)}. Definitions: the dbt docs site
(<code>make docs-serve</code>) and the example queries in <code>dbt_project/analyses/</code>.</footer>
</main>
</body>
</html>
"""


def _fill_months(monthly: list[dict]) -> list[dict]:
    """Monthly rows with the empty months in between filled with 0, so the axis is regular."""
    if not monthly:
        return []
    have = {r["month"]: r for r in monthly}
    first, last = monthly[0]["month"], monthly[-1]["month"]
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        month = dt.date(y, m, 1)
        out.append(have.get(month, {"month": month, "n_activities": 0}))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def render_report(con: duckdb.DuckDBPyConnection, *, source: str = "") -> str:
    return render(report_data.load(con), source=source)


def write_report(db_path: Path, out_path: Path) -> Path:
    """Render the report from the warehouse at db_path (opened read-only) to out_path, atomically."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        html = render_report(con, source=db_path.name)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out_path)
    return out_path
