"""The numbers behind the report, read from the published warehouse's marts.

Same definitions as the example queries in `dbt_project/analyses/`: figures per
period use every row of `fct_events`; figures over all periods count each
activity once (its row in the latest report that lists it, `event_key` being
stable across periods); people are summed only over activities that state a
figure.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

# Each activity once: its row in the latest report that lists it.
LATEST_ACTIVITIES = "select * from marts.dim_event"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


@dataclass
class ReportData:
    periods: list[dict]
    fields: list[dict]
    field_period: list[dict]
    monthly: list[dict]
    undated: dict
    format_mix: list[dict]
    formats: list[dict]
    attendance_per_field: list[dict]
    top_pledges: list[dict]
    issues: list[dict]
    totals: dict = field(default_factory=dict)


def load(con: duckdb.DuckDBPyConnection, top_n: int = 15) -> ReportData:
    periods = _rows(con, """
        select report_date, source_file, n_pledges, n_events, n_parse_issues, n_list_items,
               n_items_as_event, n_items_as_detail, n_items_as_issue
        from marts.dim_period order by report_date""")
    fields = _rows(con, "select field_code, field_name_ko, field_name_en from marts.dim_field order by sort_order")
    field_period = _rows(con, """
        select p.report_date, f.field_code, count(e.event_key) as n_activities, sum(e.attendee_count) as people
        from marts.dim_period p
        cross join marts.dim_field f
        left join marts.fct_events e on e.report_date = p.report_date and e.field_code = f.field_code
        group by p.report_date, f.field_code, f.sort_order
        order by p.report_date, f.sort_order""")
    monthly = _rows(con, f"""
        select cast(date_trunc('month', start_date) as date) as month, count(*) as n_activities
        from ({LATEST_ACTIVITIES}) as a
        where start_date is not null and start_precision in ('day', 'month')
        group by 1 order by 1""")
    undated = _rows(con, f"""
        select count(*) as n_activities,
               count(*) filter (where start_date is null) as n_undated,
               count(*) filter (where start_precision = 'year') as n_year_only
        from ({LATEST_ACTIVITIES}) as a""")[0]
    format_mix = _rows(con, f"""
        select field_code, format_code, count(*) as n_activities
        from ({LATEST_ACTIVITIES}) as a group by 1, 2""")
    formats = _rows(con, """
        select f.format_code, f.format_name_ko, f.format_name_en, count(a.event_key) as n_activities
        from marts.dim_format f
        left join ({}) as a on a.format_code = f.format_code
        group by 1, 2, 3, f.sort_order
        order by n_activities desc, f.sort_order""".format(LATEST_ACTIVITIES))
    attendance_per_field = _rows(con, f"""
        select f.field_code, f.field_name_ko, f.field_name_en,
               count(a.event_key) as n_activities,
               count(a.attendee_count) as n_with_attendance,
               coalesce(sum(a.attendee_count), 0) as people,
               count(*) filter (where a.attendee_is_approx) as n_approx
        from marts.dim_field f
        left join ({LATEST_ACTIVITIES}) as a on a.field_code = f.field_code
        group by 1, 2, 3, f.sort_order
        order by f.sort_order""")
    top_pledges = _rows(con, f"""
        select p.pledge_code, p.pledge_name_ko, p.field_code,
               count(*) as n_activities, count(a.attendee_count) as n_with_attendance,
               coalesce(sum(a.attendee_count), 0) as people
        from ({LATEST_ACTIVITIES}) as a
        join marts.dim_pledge p on p.pledge_code = a.pledge_code
        group by 1, 2, 3
        order by people desc, n_activities desc, p.pledge_code
        limit ?""", [top_n])
    issues = _rows(con, """
        select report_date, severity, issue_kind, count(*) as n_issues
        from staging.stg_parse_issues
        group by 1, 2, 3
        order by 1, case severity when 'error' then 1 when 'warning' then 2 else 3 end, n_issues desc, 3""")
    totals = _rows(con, f"""
        select count(*) as n_activities,
               count(distinct pledge_code) as n_pledges,
               coalesce(sum(attendee_count), 0) as people,
               count(attendee_count) as n_with_attendance,
               count(*) filter (where is_online) as n_online
        from ({LATEST_ACTIVITIES}) as a""")[0]
    return ReportData(periods=periods, fields=fields, field_period=field_period, monthly=monthly, undated=undated,
                      format_mix=format_mix, formats=formats, attendance_per_field=attendance_per_field,
                      top_pledges=top_pledges, issues=issues, totals=totals)
