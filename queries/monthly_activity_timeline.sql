-- Generated from dbt_project/analyses/monthly_activity_timeline.sql by pipeline/report/plain_sql.py: edit that file,
-- then run `.venv/bin/python -m pipeline.report.plain_sql`. Runs as is in `make sql` and in Python.
-- Monthly timeline: activities by the month they started (start_date).
-- Each activity counted once (dim_event: its row in the latest report that lists it).
-- Only day- and month-precision start dates can be placed in a month: year-precision
-- and undated activities are left out (see data_quality_overview for how many).
with activities as (
    select * from marts.dim_event
    where start_date is not null
        and start_precision in ('day', 'month')
)

select
    cast(date_trunc('month', start_date) as date) as activity_month,
    count(*) as n_activities,
    sum(case when start_precision = 'day' then 1 else 0 end) as n_day_precision,
    sum(case when start_precision = 'month' then 1 else 0 end) as n_month_precision,
    count(attendee_count) as n_with_attendance,
    sum(attendee_count) as people
from activities
group by 1
order by 1
