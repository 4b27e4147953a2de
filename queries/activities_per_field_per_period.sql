-- Generated from dbt_project/analyses/activities_per_field_per_period.sql by pipeline/report/plain_sql.py: edit that file,
-- then run `.venv/bin/python -m pipeline.report.plain_sql`. Runs as is in `make sql` and in Python.
-- Activities per policy field (분야) per reporting period (기준일).
-- One row per period and field; a field with no activity in a period shows 0.
-- people = sum of attendee_count over the activities that state one (the rest are unknown, not 0).
with periods as (
    select report_date from marts.dim_period
),

fields as (
    select field_code, field_name_ko, field_name_en, sort_order from marts.dim_field
),

events as (
    select report_date, field_code, pledge_code, attendee_count, attendee_is_approx
    from marts.fct_events
),

per_field as (
    select
        report_date,
        field_code,
        count(*) as n_activities,
        count(distinct pledge_code) as n_pledges,
        count(attendee_count) as n_with_attendance,
        sum(attendee_count) as people,
        sum(case when attendee_is_approx then 1 else 0 end) as n_approx_attendance
    from events
    group by report_date, field_code
)

select
    periods.report_date,
    fields.field_code,
    fields.field_name_ko,
    fields.field_name_en,
    coalesce(per_field.n_activities, 0) as n_activities,
    coalesce(per_field.n_pledges, 0) as n_pledges,
    coalesce(per_field.n_with_attendance, 0) as n_with_attendance,
    per_field.people,
    coalesce(per_field.n_approx_attendance, 0) as n_approx_attendance
from periods
cross join fields
left join per_field
    on periods.report_date = per_field.report_date
    and fields.field_code = per_field.field_code
order by periods.report_date, fields.sort_order
