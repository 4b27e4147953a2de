"""The static report page: one self-contained HTML file with inline SVG charts and a browsable table.

It opens from disk, offline, in any browser: the style, the script and the activity data are inline,
nothing is fetched (no external script, stylesheet, font or image), and a Content-Security-Policy
that allows only this page's own script and style (by hash) makes that a rule the browser enforces,
so even a title that slipped through escaping could neither run a script nor reach the network.
Korean labels use the viewer's Korean font (NanumGothic first, then the usual system Korean fonts,
then the generic sans-serif).

Every text from the reports (titles, pledge names, venues) is escaped for where it goes: HTML text via
`html.escape`; the activity data as JSON in a `<script type="application/json">` with `<`, `>` and
`&` written as `\\u003c`… so that no `</script>` or `<!--` can end or bend the block; the script puts
it on the page with `textContent`, never as markup.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from html import escape
from pathlib import Path
from urllib.parse import urlencode

import duckdb

from pipeline.report import data as report_data
from pipeline.report import svg
from pipeline.report.data import ReportData

CHART_IDS = (
    "chart-field-period",
    "chart-monthly",
    "chart-format-mix",
    "chart-attendance-field",
    "chart-top-pledges",
    "chart-parse-coverage",
)
ACTIVITY_TABLE_ID = "activities"
PAGE_SIZE = 50  # rows drawn at first and per "show more": the table stays light with 80,000 activities

# The page's style and the activity table's script are files of their own beside this module (an
# editor and a linter read them as CSS and JavaScript); both go inline into the page, which must work
# offline and as one file.
_HERE = Path(__file__).parent
CSS = (_HERE / "page.css").read_text(encoding="utf-8").replace("__FONT__", svg.FONT_STACK)

# The activity table's behaviour. Plain DOM, no library: it reads the JSON block, fills the filter
# menus, and draws the rows that match with textContent (never innerHTML), PAGE_SIZE at a time. The
# filters live in the address's #fragment, so a filtered view is a link (the charts' bars are such
# links) and works from a file:// address.
SCRIPT = (_HERE / "page.js").read_text(encoding="utf-8").replace("__TABLE_ID__", ACTIVITY_TABLE_ID)


def _table(headers: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(_fmt(v))}</td>' if i in numeric else f"<td>{escape(_fmt(v))}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
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
    return (
        f"<section><h2>{escape(title_ko)} <small>{escape(title_en)}</small></h2>"
        f'<p class="note">{note}</p>{chart}{table}</section>'
    )


def _field_label(f: dict) -> str:
    return f"{f['field_name_ko']} {f['field_name_en'].split(' ')[0]}"


def filter_link(**filters: str) -> str:
    """The address fragment that opens the activity table with these filters."""
    return "#" + urlencode({k: v for k, v in filters.items() if v})


def date_text(
    start: dt.date | None, start_precision: str | None, end: dt.date | None, end_precision: str | None
) -> str:
    """A date or span as printed to its precision: `2020-10-05`, `2020-10 ~ 2020-12`, `~ 2020-12`, `2019`."""

    def one(d: dt.date | None, precision: str | None) -> str:
        if d is None:
            return ""
        return {"year": f"{d:%Y}", "month": f"{d:%Y-%m}"}.get(precision or "day", f"{d:%Y-%m-%d}")

    s, e = one(start, start_precision), one(end, end_precision)
    if s and e and s != e:
        return f"{s} ~ {e}"
    if e and not s:
        return f"~ {e}"
    return s


def pledge_label(pledge: dict, several_terms: bool) -> str:
    """`5-1  name`: a pledge as the report prints it, with its term when the page holds several terms (each
    term numbers its pledges anew)."""
    label = f"{pledge['pledge_code']}  {pledge['pledge_name_ko']}"
    return f"{label} · 민선{pledge['term_number']}기" if several_terms else label


def json_for_script(value) -> str:
    """JSON that is safe as the text of a <script> element: no `<`, `>` or `&` (so no `</script>`, no
    `<!--`), and no U+2028/2029, each written as its \\u escape, which JSON.parse reads back unchanged."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def activity_payload(d: ReportData) -> dict:
    """The activity table's data: one array per activity (`columns` names the positions), the menus'
    options with their counts, and the kind labels."""
    period_index = {str(p["report_date"]): i for i, p in enumerate(d.periods)}
    several_terms = len(d.terms) > 1
    per_pledge: dict[str, list] = {}
    for a in d.activities:
        label = pledge_label(a, several_terms)
        entry = per_pledge.setdefault(a["pledge_key"], [a["pledge_key"], label, a["field_code"], 0])
        entry[3] += 1
    formats = d.formats
    columns = [
        "key",
        "pledge",
        "field",
        "format",
        "title",
        "date",
        "sort_date",
        "people",
        "kind",
        "approx",
        "venue",
        "online",
        "periods",
    ]
    rows = [
        [
            a["event_key"],
            a["pledge_key"],
            a["field_code"],
            a["format_code"],
            a["title"],
            date_text(a["start_date"], a["start_precision"], a["end_date"], a["end_precision"]),
            a["reference_date"].isoformat() if a["reference_date"] else "",
            a["attendee_count"],
            a["attendee_kind"],
            bool(a["attendee_is_approx"]),
            a["venue_name"],
            bool(a["is_online"]),
            [period_index[p] for p in (a["report_dates"] or []) if p in period_index],
        ]
        for a in d.activities
    ]
    row_of = {a["event_key"]: i for i, a in enumerate(d.activities)}
    search = {}
    if d.search:  # postings point at rows of this table rather than repeating the keys
        search = {k: v for k, v in d.search.items() if k != "postings"}
        search["postings"] = {
            token: [[row_of[key], f, w] for key, f, w in postings if key in row_of]
            for token, postings in d.search["postings"].items()
        }
    return {
        "columns": columns,
        "page_size": PAGE_SIZE,
        "search": search,
        "periods": [[str(p["report_date"]), p["n_events"] or 0] for p in d.periods],
        "fields": [[f["field_code"], _field_label(f), f["n_activities"]] for f in d.fields],
        "formats": [
            [f["format_code"], f"{f['format_name_ko']} {f['format_name_en']}", f["n_activities"]] for f in formats
        ],
        "pledges": list(per_pledge.values()),
        "kinds": {
            k["attendee_kind"]: f"{k['attendee_kind_name_ko']} {k['attendee_kind_name_en'].lower()}"
            for k in d.people_by_kind
        },
        "rows": rows,
    }


def _activity_section(d: ReportData) -> str:
    payload = activity_payload(d)
    n = len(payload["rows"])
    return f"""<section id="{ACTIVITY_TABLE_ID}" class="wide"><h2>활동 찾아보기 <small>Browse the activities</small></h2>
<p class="note">Every activity once (its latest version, <code>marts.dim_event</code>). The search box finds what
<code>make search</code> finds, best first: the title, pledge name, venue and detail lines as Korean lemmas (particles
and endings dropped, compounds split), each word with its synonyms (docs/search.md). A period keeps the activities its
report lists; the counts in the menus are activities. Click a bar of a chart above to see its activities here.</p>
<div class="filters" role="search">
<label>검색 search<input type="search" id="f-q" placeholder="예: 어르신 일자리, 설명회를, 비대면" autocomplete="off"></label>
<label>기준일 period<select id="f-period"><option value="">모든 기간 all periods</option></select></label>
<label>분야 field<select id="f-field"><option value="">모든 분야 all fields</option></select></label>
<label>공약사업 pledge<select id="f-pledge"><option value="">모든 공약사업 all pledges</option></select></label>
<label>유형 format<select id="f-format"><option value="">모든 유형 all formats</option></select></label>
<label>정렬 sort<select id="f-sort"><option value="pledge">공약사업순 by pledge</option>
<option value="date-desc">최근순 newest first</option><option value="date-asc">오래된순 oldest first</option>
<option value="people">인원순 most people (any kind)</option></select></label>
<button type="button" id="f-reset">초기화 reset</button>
</div>
<p id="activity-status" aria-live="polite"><b data-n="matches">{n:,}</b> of <span data-n="total">{n:,}</span>
activities match · 참석 인원 people who attended: <b data-n="attended">{d.headline["people_attended"]:,}</b>
(<span data-n="with-attended">{d.headline["n_attended_figure"]:,}</span> of them state an attendance figure) ·
showing <span data-n="shown">0</span></p>
<noscript><p class="note">The table needs JavaScript; the same rows are on the 활동 sheet of the workbook
(<code>warehouse/export/pledge_activity.xlsx</code>).</p></noscript>
<table class="activities"><thead><tr><th>공약사업 pledge</th><th>활동 activity</th><th>날짜 date</th>
<th>유형 format</th><th>인원 people (any kind, named below)</th><th>보고 reported in</th></tr></thead><tbody id="activity-rows"></tbody></table>
<button type="button" id="activity-more" hidden>더 보기 show {PAGE_SIZE} more</button>
<script type="application/json" id="activity-data">{json_for_script(payload)}</script>
</section>"""


CHANGE_FLAGS = (
    ("is_dates_changed", "날짜 dates"),
    ("is_people_changed", "인원 people"),
    ("is_text_changed", "활동명 title"),
)


def _changes_section(d: ReportData, field_names: dict) -> str:
    """What changed in the latest report against the one before, per pledge (fct_event_lifecycle): the
    reason the reports are compared at all."""
    h = d.headline
    latest = h["latest_report_date"]
    totals = {k: sum(r[k] for r in d.latest_changes) for k in ("n_new", "n_changed", "n_dropped")}
    if h["n_periods"] < 2:
        note = (
            f"Only one report is loaded (기준일 {latest}): there is no earlier report to compare with, so every "
            f"activity is new ({totals['n_new']:,})."
        )
    else:
        note = (
            f"Against the report before it, the latest report (기준일 {latest}) prints "
            f'<b data-n="new">{totals["n_new"]:,}</b> new activities, <b data-n="changed">{totals["n_changed"]:,}'
            f'</b> changed ones (dates, people or title) and no longer prints <b data-n="dropped">'
            f"{totals['n_dropped']:,}</b> (dropped). Activities are matched on their stable key "
            "(<code>marts.fct_event_lifecycle</code>); the pledges without a change are left out."
        )
    per_pledge = _table(
        ["관리번호 code", "공약사업 pledge", "분야 field", "신규 new", "변경 changed", "중단 dropped", "유지 carried"],
        [
            [
                r["pledge_code"],
                r["pledge_name_ko"],
                _field_label(field_names[r["field_code"]]) if r["field_code"] in field_names else r["field_code"],
                r["n_new"],
                r["n_changed"],
                r["n_dropped"],
                r["n_carried"],
            ]
            for r in d.latest_changes
        ],
        {3, 4, 5, 6},
    ).replace(
        "<details><summary>표 보기 · show the numbers",
        '<details open id="latest-changes-per-pledge"><summary>공약사업별 · per pledge',
        1,
    )
    changed = ""
    if d.latest_changed:
        changed = _table(
            ["관리번호 code", "상태 status", "활동 activity", "바뀐 것 what changed"],
            [
                [
                    r["pledge_code"],
                    "변경 changed"
                    if r["status"] == "changed"
                    else f"중단 dropped (last in {r['previous_report_date']})",
                    r["title"],
                    ", ".join(label for flag, label in CHANGE_FLAGS if r[flag]) if r["status"] == "changed" else "",
                ]
                for r in d.latest_changed
            ],
        ).replace("show the numbers", "the changed and dropped activities", 1)
    return (
        '<section id="latest-changes"><h2>최근 보고서의 변경 <small>What changed in the latest report</small></h2>'
        f'<p class="note">{note}</p>{per_pledge}{changed}</section>'
    )


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def render(d: ReportData, *, generated_at: dt.datetime | None = None, source: str = "") -> str:
    generated_at = generated_at or dt.datetime.now(dt.UTC)
    field_names = {f["field_code"]: f for f in d.fields}
    field_order = list(field_names)
    field_colors = {f["field_code"]: svg.PALETTE[i % len(svg.PALETTE)] for i, f in enumerate(d.fields)}
    period_keys = [str(p["report_date"]) for p in d.periods]
    h = d.headline
    sections = []

    # 1. activities per field per period (queries/activities_per_field_per_period.sql)
    by_fp = {(str(r["report_date"]), r["field_code"]): r for r in d.field_period}
    per_period = {p: sum(r["n_activities"] for (rp, _), r in by_fp.items() if rp == p) for p in period_keys}
    chart = svg.grouped_hbar_chart(
        CHART_IDS[0],
        "분야별·기간별 활동 수 — activities per field per reporting period",
        [_field_label(f) for f in d.fields],
        [
            (
                f"기준일 {p} ({per_period[p]:,} activities)",
                [by_fp[(p, f["field_code"])]["n_activities"] for f in d.fields],
            )
            for p in period_keys
        ],
        x_title="활동 수 activities listed in the report",
        y_title="분야 field",
        links=lambda c, s: filter_link(period=period_keys[s], field=d.fields[c]["field_code"]),
    )
    sections.append(
        _section(
            "분야별 활동 수",
            "Activities per field, per reporting period",
            "Every activity listed in each yearly report (기준일), by the policy field (분야) of its pledge. "
            "An activity reprinted in a later report counts in each report that lists it.",
            chart,
            _table(
                ["기준일 period", "분야 field", "활동 activities", "참석 attended", "다른 유형 other kinds"],
                [
                    [
                        str(r["report_date"]),
                        _field_label(field_names[r["field_code"]]),
                        r["n_activities"],
                        r["people_attended"],
                        r["people_other_kinds"],
                    ]
                    for r in d.field_period
                ],
                {2, 3, 4},
            ),
        )
    )

    # 2. monthly timeline (queries/monthly_activity_timeline.sql): spans, with month-only dates apart
    months = _fill_months(d.monthly)
    out = d.outside_timeline
    chart = svg.column_chart(
        CHART_IDS[1],
        "월별 활동 추이 — activities per month their span covers",
        [(r["activity_month"].strftime("%Y-%m"), [r["n_day_precision"], r["n_month_precision"]]) for r in months],
        segments=[
            ("일자까지 dated to the day", svg.PALETTE[0]),
            ("월만 표기 printed to the month only", svg.PALETTE[5]),
        ],
        x_title="월 month",
        y_title="활동 수 activities",
        tick_every=lambda i, key: key[:4] if key.endswith("-01") or i == 0 else None,
    )
    sections.append(
        _section(
            "월별 활동 추이",
            "Monthly timeline of activities",
            f"Each activity (once) counts in every calendar month its span covers: a range '20. 10. ~ 12. counts in "
            f"October, November and December. Dates printed only to the month are drawn apart, in yellow: they fall "
            f"somewhere in that month. {out['n_undated'] + out['n_year_only']:,} of {out['n_activities']:,} activities "
            f"are not shown: {out['n_undated']:,} have no date, {out['n_year_only']:,} only a year.",
            chart,
            _table(
                ["월 month", "활동 activities", "시작 starting", "일자 to the day", "월만 month only"],
                [
                    [
                        r["activity_month"].strftime("%Y-%m"),
                        r["n_activities"],
                        r["n_starting"],
                        r["n_day_precision"],
                        r["n_month_precision"],
                    ]
                    for r in months
                ],
                {1, 2, 3, 4},
            ),
        )
    )

    # 3. format mix per field (queries/format_mix_per_field.sql)
    formats = d.formats
    top_formats = formats[:9]
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
    format_codes = [t["format_code"] for t in top_formats]
    chart = svg.stacked_share_chart(
        CHART_IDS[2],
        "분야별 활동 유형 구성 — format mix per field",
        [_field_label(f) for f in d.fields],
        segments,
        values,
        x_title="분야 활동 중 비율 share of the field's activities",
        y_title="분야 field",
        totals_note=[f"n = {sum(v):,}" for v in values],
        links=lambda c, s: filter_link(
            field=d.fields[c]["field_code"], format=format_codes[s] if s < len(format_codes) else ""
        ),
    )
    sections.append(
        _section(
            "분야별 활동 유형",
            "Format mix per field",
            "Share of each activity format (회의, 설명회, 교육, …) among the field's activities, each activity once. "
            "The format is decided by the head noun of the activity's title.",
            chart,
            _table(
                ["분야 field", "유형 format", "활동 activities"],
                [
                    [
                        _field_label(field_names[r["field_code"]]),
                        f"{r['format_name_ko']} {r['format_name_en']}",
                        r["n_activities"],
                    ]
                    for r in sorted(
                        d.format_mix, key=lambda r: (field_order.index(r["field_code"]), -r["n_activities"])
                    )
                ],
                {2},
            ),
        )
    )

    # 4. people who attended, per field (figures.sql: attendance_per_field)
    chart = svg.hbar_chart(
        CHART_IDS[3],
        "분야별 참석 인원 — people who attended, per field",
        [
            (
                _field_label(r),
                r["people_attended"],
                f"({r['n_attended_figure']:,} of {r['n_activities']:,} activities state an attendance figure)",
            )
            for r in d.attendance_per_field
        ],
        x_title="참석 인원 people who attended",
        y_title="분야 field",
        colors=[field_colors[r["field_code"]] for r in d.attendance_per_field],
        label_width=180,
        links=[filter_link(field=r["field_code"]) for r in d.attendance_per_field],
    )
    sections.append(
        _section(
            "분야별 참석 인원",
            "People who attended, per field",
            "Sum of the figures that count people present at an activity (참석·참여, <code>attendee_kind = "
            "'attended'</code>), each activity once. Figures of other kinds (survey respondents, course students, "
            "people who received support, appointed members) count other things and are in the table, not in the bars; "
            "activities that state no figure are left out, not counted as zero; approximate figures (30여명) count as "
            "printed.",
            chart,
            _table(
                [
                    "분야 field",
                    "참석 attended",
                    "다른 유형 other kinds",
                    "활동 activities",
                    "with a figure",
                    "with an attendance figure",
                    "approximate",
                ],
                [
                    [
                        _field_label(r),
                        r["people_attended"],
                        r["people_other_kinds"],
                        r["n_activities"],
                        r["n_with_figure"],
                        r["n_attended_figure"],
                        r["n_attended_approx"],
                    ]
                    for r in d.attendance_per_field
                ],
                {1, 2, 3, 4, 5, 6},
            ),
        )
    )

    # 5. top pledges by people who attended (queries/pledges_ranked_by_attendance.sql)
    top = d.top_pledges
    chart = svg.hbar_chart(
        CHART_IDS[4],
        "참석 인원 상위 공약사업 — pledges with the most people who attended",
        [
            (
                pledge_label(r, len(d.terms) > 1),
                r["people_attended"],
                f"({r['n_with_figure']:,} of {r['n_activities']:,} state a figure)",
            )
            for r in top
        ],
        x_title="참석 인원 people who attended",
        y_title="공약사업 pledge",
        colors=[field_colors.get(r["field_code"], svg.PALETTE[0]) for r in top],
        label_width=380,
        links=[filter_link(pledge=r["pledge_key"]) for r in top],
    )
    sections.append(
        _section(
            "참석 인원 상위 공약사업",
            f"Top {len(top)} pledges by people who attended",
            "Pledges (공약사업, by 관리번호 and name) ranked by the people who attended their activities, each activity "
            "once; bar colour = field. “N of M state a figure”: of the pledge's M activities, N print a people figure "
            "of any kind; people of other kinds are in the table.",
            chart,
            _table(
                [
                    "관리번호 code",
                    "공약사업 pledge",
                    "분야 field",
                    "참석 attended",
                    "다른 유형 other kinds",
                    "활동 activities",
                    "with a figure",
                    "with an attendance figure",
                ],
                [
                    [
                        r["pledge_code"],
                        r["pledge_name_ko"],
                        _field_label(field_names[r["field_code"]]),
                        r["people_attended"],
                        r["people_other_kinds"],
                        r["n_activities"],
                        r["n_with_figure"],
                        r["n_attended_figure"],
                    ]
                    for r in top
                ],
                {3, 4, 5, 6, 7},
            ),
        )
    )

    # 6. parse coverage (figures.sql: periods; issues from queries/data_quality_overview.sql)
    coverage_segments = [
        ("활동 read as an activity", svg.PALETTE[0]),
        ("세부 read as a detail", svg.PALETTE[3]),
        ("파싱 문제 kept as a parse issue", svg.PALETTE[2]),
    ]
    chart = svg.stacked_share_chart(
        CHART_IDS[5],
        "파싱 범위 — how the report's list items were read",
        [f"기준일 {p['report_date']}" for p in d.periods],
        coverage_segments,
        [[p["n_items_as_event"] or 0, p["n_items_as_detail"] or 0, p["n_items_as_issue"] or 0] for p in d.periods],
        x_title="목록 항목 중 비율 share of the report's list items",
        y_title="기준일 period",
        totals_note=[f"{p['n_list_items'] or 0:,} items" for p in d.periods],
        label_width=160,
    )
    sections.append(
        _section(
            "파싱 범위",
            "Parse coverage",
            "Every list item of each report became an activity, a detail line of an activity, or a recorded parse "
            "issue: nothing is dropped silently. The table lists the parse issues by kind.",
            chart,
            _table(
                ["기준일 period", "severity", "kind", "issues"],
                [[str(r["report_date"]), r["severity"], r["issue_kind"], r["n_issues"]] for r in d.issues],
                {3},
            ),
        )
    )

    kpis = [
        ("n_periods", f"{h['n_periods']:,}", "보고 기간 reporting periods"),
        ("n_pledges", f"{h['n_pledges']:,}", "공약사업 pledges with activities"),
        (
            "n_in_latest_report",
            f"{h['n_in_latest_report']:,}",
            f"활동 distinct activities in the latest report ({h['latest_report_date']})",
        ),
        ("n_no_longer_reported", f"{h['n_no_longer_reported']:,}", "중단 dropped: no longer in the latest report"),
        *(
            [("n_earlier_terms", f"{h['n_earlier_terms']:,}", "이전 임기 of earlier terms (their term ended)")]
            if h["n_earlier_terms"]
            else []
        ),
        ("n_online", f"{h['n_online']:,}", "온라인 online activities"),
    ]
    headline_tile = (
        f'<div class="kpi headline" data-figure="people_attended"><b>{h["people_attended"]:,}</b>'
        f"<span>참석 인원 people who attended ({h['n_attended_figure']:,} of {h['n_activities']:,} activities state "
        f"an attendance figure)</span></div>"
    )
    other_kinds = [k for k in d.people_by_kind if k["attendee_kind"] != "attended"]
    kinds_box = (
        '<div class="kinds" id="people-by-kind">Other people figures, not added to the headline: they count '
        "other things than attendance.<ul>"
        + "".join(
            f'<li data-kind="{escape(k["attendee_kind"])}"><b>{k["people"]:,}</b> '
            f"{escape(k['attendee_kind_name_ko'])} {escape(k['attendee_kind_name_en'].lower())} "
            f"({k['n_activities']:,} activities)</li>"
            for k in other_kinds
        )
        + f'<li data-kind=""><b>{h["n_activities"] - h["n_with_figure"]:,}</b> activities state no figure</li>'
        "</ul></div>"
    )
    periods_text = ", ".join(period_keys) or "none yet"
    city = h.get("municipalities") or ""
    terms = "·".join(f"민선{t}기" for t in d.terms)
    script = SCRIPT
    csp = (
        f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(CSS)}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    return f"""<!DOCTYPE html>
<html lang="ko">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{escape(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(city)} 공약사업 주민소통 활동 보고서 — pledge activity report</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>{escape(city)} {escape(terms)} 공약사업 주민소통 활동</h1>
<p>Mayoral pledges of {escape(city)}: citizen-communication activities, as reported by the city.</p>
<p>기준일 reporting periods: {escape(periods_text)}</p>
</header>
<div class="kpis">{headline_tile}{
        "".join(
            f'<div class="kpi" data-figure="{k}"><b>{escape(v)}</b><span>{escape(label)}</span></div>'
            for k, v, label in kpis
        )
    }</div>
{kinds_box}
{_changes_section(d, field_names)}
{"".join(sections)}
{_activity_section(d)}
<footer>Generated {generated_at:%Y-%m-%d %H:%M} UTC from {escape(source)}. Definitions: the example queries in
<code>queries/</code> and the report's own figures in <code>pipeline/report/figures.sql</code>; every table and column
in the dbt docs site (<code>make docs-serve</code>).</footer>
</main>
<script>{script}</script>
</body>
</html>
"""


def _fill_months(monthly: list[dict]) -> list[dict]:
    """Monthly rows with the empty months in between filled with 0, so the axis is regular."""
    if not monthly:
        return []
    have = {r["activity_month"]: r for r in monthly}
    first, last = monthly[0]["activity_month"], monthly[-1]["activity_month"]
    out, y, m = [], first.year, first.month
    zero = {k: 0 for k in monthly[0] if k != "activity_month"}
    while (y, m) <= (last.year, last.month):
        month = dt.date(y, m, 1)
        out.append(have.get(month, {**zero, "activity_month": month}))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def render_report(con: duckdb.DuckDBPyConnection, *, source: str = "") -> str:
    return render(report_data.load(con), source=source)


def write_report(db_path: Path, out_path: Path) -> Path:
    """Render the report from the warehouse at db_path (opened read-only) to out_path, atomically."""
    from pipeline.shared import connect_published  # the file, or the DuckLake when shared

    with connect_published(db_path) as con:
        return write_html(render_report(con, source=db_path.name), out_path)


def write_html(html: str, out_path: Path) -> Path:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out_path)
    return out_path
