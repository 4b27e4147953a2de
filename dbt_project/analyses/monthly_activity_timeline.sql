-- Monthly timeline: activities by the month they started (start_date).
-- Each activity counted once (its row in the latest report that lists it).
-- Only day- and month-precision start dates can be placed in a month: year-precision
-- and undated activities are left out (see data_quality_overview for how many).
with event_versions as (
    select
        event_key,
        start_date,
        start_precision,
        attendee_count,
        row_number() over (partition by event_key order by report_date desc) as version_rank
    from {{ ref('fct_events') }}
),

activities as (
    select * from event_versions
    where version_rank = 1
        and start_date is not null
        and start_precision in ('day', 'month')
)

select
    cast({{ dbt.date_trunc('month', 'start_date') }} as date) as activity_month,
    count(*) as n_activities,
    sum(case when start_precision = 'day' then 1 else 0 end) as n_day_precision,
    sum(case when start_precision = 'month' then 1 else 0 end) as n_month_precision,
    count(attendee_count) as n_with_attendance,
    sum(attendee_count) as people
from activities
group by 1
order by 1
