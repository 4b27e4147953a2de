-- Generated from dbt_project/analyses/activities_new_in_latest_period.sql by pipeline/report/plain_sql.py: edit that file,
-- then run `.venv/bin/python -m pipeline.report.plain_sql`. Runs as is in `make sql` and in Python.
-- Activities new in the latest reporting period: listed in the latest report but
-- not in the report before it (matched on the stable event_key).
-- With a single period loaded there is no previous report, so every activity is new.
with periods as (
    select report_date from marts.dim_period
),

latest as (
    select max(report_date) as report_date from periods
),

previous as (
    select max(report_date) as report_date
    from periods
    where report_date < (select report_date from latest)
),

events as (
    select * from marts.fct_events
)

select
    events.report_date,
    events.event_key,
    events.pledge_code,
    pledges.pledge_name_ko,
    events.field_code,
    events.event_seq,
    events.title,
    events.start_date,
    events.start_precision,
    events.end_date,
    events.end_precision,
    events.attendee_count,
    events.attendee_is_approx,
    events.format_code,
    events.venue_name
from events
inner join marts.dim_pledge as pledges on events.pledge_code = pledges.pledge_code
where events.report_date = (select report_date from latest)
    and not exists (
        select 1
        from events as earlier
        where earlier.event_key = events.event_key
            and earlier.report_date = (select report_date from previous)
    )
-- pledge codes in their printed order (1, 2, ... 10, 5-1 after 5), not as text (1, 10, 11, 2)
order by
    cast(split_part(events.pledge_code, '-', 1) as integer),
    cast(nullif(split_part(events.pledge_code, '-', 2), '') as integer) nulls first,
    events.event_seq
