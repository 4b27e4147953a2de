-- Generated from dbt_project/analyses/pledges_ranked_by_attendance.sql by pipeline/report/plain_sql.py: edit that file,
-- then run `.venv/bin/python -m pipeline.report.plain_sql`. Runs as is in `make sql` and in Python.
-- Pledges (공약사업) ranked by the people their activities reached.
-- An activity reprinted in several yearly reports is counted once: its row from the
-- latest report that lists it (event_key is stable across periods).
-- people counts only activities that state a figure; n_with_attendance says how many did.
with activities as (
    select * from marts.dim_event
),

per_pledge as (
    select
        pledge_code,
        count(*) as n_activities,
        count(attendee_count) as n_with_attendance,
        coalesce(sum(attendee_count), 0) as people,
        sum(case when attendee_is_approx then 1 else 0 end) as n_approx_attendance,
        max(attendee_count) as largest_activity
    from activities
    group by pledge_code
)

select
    rank() over (order by per_pledge.people desc) as attendance_rank,
    pledges.pledge_code,
    pledges.pledge_name_ko,
    fields.field_name_ko,
    fields.field_name_en,
    per_pledge.people,
    per_pledge.n_activities,
    per_pledge.n_with_attendance,
    per_pledge.n_approx_attendance,
    per_pledge.largest_activity
from per_pledge
inner join marts.dim_pledge as pledges on per_pledge.pledge_code = pledges.pledge_code
inner join marts.dim_field as fields on pledges.field_code = fields.field_code
order by attendance_rank, pledges.pledge_code
