-- Generated from dbt_project/analyses/monthly_activity_timeline.sql by pipeline/report/plain_sql.py: edit that file,
-- then run `.venv/bin/python -m pipeline.report.plain_sql`. Runs as is in `make sql` and in Python.
-- Monthly timeline: activities per calendar month their span covers (fct_event_months), so that a
-- range '20. 10. ~ 12. counts in October, November and December, not October only.
-- Each activity counted once per month (its latest version, as in dim_event); an activity with one
-- date, or an open range, counts in the month of its reference_date. Year-precision spans cannot be
-- placed in a month and undated activities have none: both are left out (see data_quality_overview).
-- people_attended adds the people who attended (attendee_kind = 'attended') of the activities under
-- way in the month: a span over three months counts in each, so do not add the months up.
with months as (
    select * from marts.fct_event_months
    where span_precision in ('day', 'month')
),

activities as (
    select event_key, attendee_count, attendee_kind from marts.dim_event
)

select
    months.activity_month,
    count(*) as n_activities,
    sum(case when months.month_seq = 1 then 1 else 0 end) as n_starting,
    sum(case when months.span_precision = 'day' then 1 else 0 end) as n_day_precision,
    sum(case when months.span_precision = 'month' then 1 else 0 end) as n_month_precision,
    sum(case when activities.attendee_kind = 'attended' then 1 else 0 end) as n_attended_figure,
    sum(case when activities.attendee_kind = 'attended' then activities.attendee_count end) as people_attended
from months
inner join activities
    on months.event_key = activities.event_key
group by 1
order by 1
