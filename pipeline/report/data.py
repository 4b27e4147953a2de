"""The numbers behind the report, read from the published warehouse's marts.

Every figure is plain SQL, defined once: an example query of `queries/` when one states it (those are
generated from `dbt_project/analyses/`, so the report, `make sql` and the dbt docs show one query),
else a block of `figures.sql` beside this module. No SQL is written here, so the report cannot drift
from the queries an analyst runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from pipeline.report import plain_sql
from pipeline.search.index import page_index

FIGURES_FILE = Path(__file__).with_name("figures.sql")
_FIGURE_MARK = re.compile(r"^-- figure: (\w+)[ \t]*$", re.M)

# the figures the report takes from an example query, by the query's file name
QUERY_FIGURES = (
    "activities_per_field_per_period",
    "format_mix_per_field",
    "monthly_activity_timeline",
    "data_quality_overview",
)


@cache
def report_figures(path: Path = FIGURES_FILE) -> dict[str, str]:
    """name -> SQL of every `-- figure: name` block of figures.sql."""
    text = path.read_text(encoding="utf-8")
    marks = list(_FIGURE_MARK.finditer(text))
    blocks = {}
    for mark, following in zip(marks, [*marks[1:], None]):
        sql = text[mark.end() : following.start() if following else len(text)].strip().rstrip(";").strip()
        if mark.group(1) in blocks:
            raise ValueError(f"{path.name}: figure {mark.group(1)!r} is defined twice")
        blocks[mark.group(1)] = sql
    return blocks


def figure_sql(name: str) -> str:
    """The SQL of a figure: the example query `queries/<name>.sql`, else the block of figures.sql."""
    query = plain_sql.QUERIES_DIR / f"{name}.sql"
    if query.is_file():
        if name in report_figures():
            raise ValueError(f"figure {name!r} is defined both in {query} and in {FIGURES_FILE.name}")
        return query.read_text(encoding="utf-8")
    try:
        return report_figures()[name]
    except KeyError:
        raise KeyError(f"no figure {name!r}: neither queries/{name}.sql nor a block of {FIGURES_FILE.name}") from None


def figure(con: duckdb.DuckDBPyConnection, name: str) -> list[dict]:
    cursor = con.execute(figure_sql(name))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


@dataclass
class ReportData:
    headline: dict
    people_by_kind: list[dict]
    periods: list[dict]
    field_period: list[dict]
    monthly: list[dict]
    outside_timeline: dict
    format_mix: list[dict]
    attendance_per_field: list[dict]
    pledges: list[dict]  # every pledge (of a term) with an activity, ranked by people who attended
    issues: list[dict]
    activities: list[dict] = field(default_factory=list)
    latest_changes: list[dict] = field(default_factory=list)  # per pledge: new, changed, dropped, carried
    latest_changed: list[dict] = field(default_factory=list)  # the changed and dropped activities
    top_n: int = 15
    search: dict = field(default_factory=dict)  # the search box's index (pipeline/search/index.py page_index)

    @property
    def terms(self) -> list[int]:
        """The mayoral terms (민선N기) the reports are of."""
        return list(self.headline.get("term_numbers") or [])

    @property
    def fields(self) -> list[dict]:
        return self.attendance_per_field

    @property
    def top_pledges(self) -> list[dict]:
        return self.pledges[: self.top_n]

    @property
    def formats(self) -> list[dict]:
        """Formats with at least one activity, most frequent first (summed from the format mix)."""
        totals: dict[str, dict] = {}
        for r in self.format_mix:
            f = totals.setdefault(
                r["format_code"],
                {
                    "format_code": r["format_code"],
                    "n_activities": 0,
                    "format_name_ko": r["format_name_ko"],
                    "format_name_en": r["format_name_en"],
                },
            )
            f["n_activities"] += r["n_activities"]
        return sorted(totals.values(), key=lambda f: (-f["n_activities"], f["format_code"]))


def load(con: duckdb.DuckDBPyConnection, top_n: int = 15) -> ReportData:
    quality = figure(con, "data_quality_overview")
    return ReportData(
        headline=figure(con, "headline")[0],
        people_by_kind=figure(con, "people_by_kind"),
        periods=figure(con, "periods"),
        field_period=figure(con, "activities_per_field_per_period"),
        monthly=figure(con, "monthly_activity_timeline"),
        outside_timeline=figure(con, "outside_the_timeline")[0],
        format_mix=figure(con, "format_mix_per_field"),
        attendance_per_field=figure(con, "attendance_per_field"),
        pledges=figure(con, "pledge_attendance"),
        # data_quality_overview has one row per period and issue kind, and one row with no kind for a
        # period without issues
        issues=[r for r in quality if r["issue_kind"] is not None and r["n_issues"] > 0],
        activities=figure(con, "activities"),
        latest_changes=figure(con, "latest_changes_per_pledge"),
        latest_changed=figure(con, "latest_changed_activities"),
        top_n=top_n,
        search=page_index(con),
    )
