-- Generated from dbt_project/analyses/pledges_ranked_by_attendance.sql by pipeline/report/plain_sql.py: edit that file,
-- then run `.venv/bin/python -m pipeline.report.plain_sql`. Runs as is in `make sql` and in Python.
-- Pledges (공약사업) ranked by the people who attended their activities (참석 인원), within each
-- municipality's mayoral term: a pledge is one city's and one term's (pledge_key), and every city and
-- term numbers its pledges 1, 2, ..., so pledges are counted per pledge_key and ranked among the
-- pledges of their own municipality and term.
-- An activity reprinted in several yearly reports is counted once: its row from the
-- latest report that lists it (event_key is stable across the periods of a term).
-- people_attended adds only figures of people present (attendee_kind = 'attended'), as the metric
-- people_attended and the report's headline do; figures of other kinds (survey respondents, course
-- students, people served, appointed members, mixed totals) count other things and stand apart in
-- people_other_kinds, never added in. Activities that state no figure are unknown, not zero.
with activities as (
    select * from marts.dim_event
),

per_pledge as (
    select
        pledge_key,
        count(*) as n_activities,
        count(attendee_count) as n_with_figure,
        sum(case when attendee_kind = 'attended' then 1 else 0 end) as n_attended_figure,
        coalesce(sum(case when attendee_kind = 'attended' then attendee_count end), 0) as people_attended,
        sum(case when attendee_kind = 'attended' and attendee_is_approx then 1 else 0 end) as n_attended_approx,
        max(case when attendee_kind = 'attended' then attendee_count end) as largest_attended,
        coalesce(sum(case when attendee_kind <> 'attended' then attendee_count end), 0) as people_other_kinds
    from activities
    group by pledge_key
)

select
    pledges.municipality,
    pledges.term_number,
    rank() over (
        partition by pledges.municipality, pledges.term_number
        order by per_pledge.people_attended desc
    ) as attendance_rank,
    pledges.pledge_code,
    pledges.pledge_name_ko,
    pledges.field_code,
    fields.field_name_ko,
    fields.field_name_en,
    per_pledge.people_attended,
    per_pledge.n_attended_figure,
    per_pledge.n_attended_approx,
    per_pledge.largest_attended,
    per_pledge.people_other_kinds,
    per_pledge.n_activities,
    per_pledge.n_with_figure
from per_pledge
inner join marts.dim_pledge as pledges on per_pledge.pledge_key = pledges.pledge_key
inner join marts.dim_field as fields on pledges.field_code = fields.field_code
-- per municipality and term; ties: the pledge with more activities first, then pledge codes in their
-- printed order (5, 5-1, 10)
order by
    pledges.municipality,
    pledges.term_number,
    attendance_rank,
    per_pledge.n_activities desc,
    cast(split_part(pledges.pledge_code, '-', 1) as integer),
    cast(nullif(split_part(pledges.pledge_code, '-', 2), '') as integer) nulls first,
    pledges.pledge_code
