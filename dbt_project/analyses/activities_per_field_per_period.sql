-- Activities per policy field (분야) per reporting period: one municipality's report of one date
-- (municipality, 기준일), with its mayoral term. One row per period and field; a field with no
-- activity in a period shows 0. Two cities' reports of one date are two periods, never added up.
-- people_attended = people who attended (attendee_kind = 'attended'), as the metric
-- people_attended_per_period counts them; figures of other kinds (surveyed, trained, served,
-- appointed, mixed) count other things and stand apart in people_other_kinds. Activities that state
-- no figure are unknown, not 0: both are null where no activity of the field states one.
with periods as (
    select municipality, term_number, report_date from {{ ref('dim_period') }}
),

fields as (
    select field_code, field_name_ko, field_name_en, sort_order from {{ ref('dim_field') }}
),

events as (
    select municipality, report_date, field_code, pledge_key, attendee_count, attendee_kind, attendee_is_approx
    from {{ ref('fct_events') }}
),

per_field as (
    select
        municipality,
        report_date,
        field_code,
        count(*) as n_activities,
        count(distinct pledge_key) as n_pledges,
        count(attendee_count) as n_with_figure,
        sum(case when attendee_kind = 'attended' then 1 else 0 end) as n_attended_figure,
        sum(case when attendee_kind = 'attended' then attendee_count end) as people_attended,
        sum(case when attendee_kind = 'attended' and attendee_is_approx then 1 else 0 end) as n_attended_approx,
        sum(case when attendee_kind <> 'attended' then attendee_count end) as people_other_kinds
    from events
    group by municipality, report_date, field_code
)

select
    periods.municipality,
    periods.term_number,
    periods.report_date,
    fields.field_code,
    fields.field_name_ko,
    fields.field_name_en,
    coalesce(per_field.n_activities, 0) as n_activities,
    coalesce(per_field.n_pledges, 0) as n_pledges,
    coalesce(per_field.n_with_figure, 0) as n_with_figure,
    coalesce(per_field.n_attended_figure, 0) as n_attended_figure,
    per_field.people_attended,
    coalesce(per_field.n_attended_approx, 0) as n_attended_approx,
    per_field.people_other_kinds
from periods
cross join fields
left join per_field
    on periods.municipality = per_field.municipality
    and periods.report_date = per_field.report_date
    and fields.field_code = per_field.field_code
order by periods.municipality, periods.report_date, fields.sort_order
