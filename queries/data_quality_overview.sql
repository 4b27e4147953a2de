-- Generated from dbt_project/analyses/data_quality_overview.sql by pipeline/report/plain_sql.py: edit that file,
-- then run `.venv/bin/python -m pipeline.report.plain_sql`. Runs as is in `make sql` and in Python.
-- Data-quality overview: per reporting period (one municipality's report of one date, with its
-- mayoral term), the parse issues (파싱 문제) by kind and severity, next to how much of the report was
-- read (list items that became an activity or a detail) and how many activities lack a usable date or
-- a people figure. A period without issues shows one row with n_issues = 0.
with periods as (
    select
        municipality,
        term_number,
        report_date,
        source_file,
        n_events,
        n_list_items,
        n_items_as_event,
        n_items_as_detail,
        n_items_as_issue
    from marts.dim_period
),

event_quality as (
    select
        municipality,
        report_date,
        sum(case when start_date is null and end_date is null then 1 else 0 end) as n_events_undated,
        sum(case when start_precision = 'year' then 1 else 0 end) as n_events_year_precision,
        sum(case when attendee_count is null then 1 else 0 end) as n_events_without_attendance
    from marts.fct_events
    group by municipality, report_date
),

issues as (
    select
        municipality,
        report_date,
        severity,
        issue_kind,
        count(*) as n_issues,
        count(distinct pledge_code) as n_pledges_affected,
        min(source_line) as first_source_line,
        min(message) as example_message
    from staging.stg_parse_issues
    group by municipality, report_date, severity, issue_kind
)

select
    periods.municipality,
    periods.term_number,
    periods.report_date,
    periods.source_file,
    periods.n_events,
    periods.n_list_items,
    case when periods.n_list_items > 0
        then cast(periods.n_items_as_event + periods.n_items_as_detail as double precision) / periods.n_list_items
    end as share_items_read,
    coalesce(event_quality.n_events_undated, 0) as n_events_undated,
    coalesce(event_quality.n_events_year_precision, 0) as n_events_year_precision,
    coalesce(event_quality.n_events_without_attendance, 0) as n_events_without_attendance,
    issues.severity,
    issues.issue_kind,
    coalesce(issues.n_issues, 0) as n_issues,
    issues.n_pledges_affected,
    issues.first_source_line,
    issues.example_message
from periods
left join event_quality
    on periods.municipality = event_quality.municipality
    and periods.report_date = event_quality.report_date
left join issues
    on periods.municipality = issues.municipality
    and periods.report_date = issues.report_date
order by
    periods.municipality,
    periods.report_date,
    case issues.severity when 'error' then 1 when 'warning' then 2 else 3 end,
    issues.n_issues desc,
    issues.issue_kind
