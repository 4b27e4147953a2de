-- Activity per policy field (분야) per reporting period, with the change in activities and people
-- since the previous report of the municipality's term: the pledge mart summed by field.
with by_pledge as (
    select * from {{ ref('mart_pledge_activity_by_period') }}
),

fields as (
    select field_code, field_name_ko, field_name_en from {{ ref('dim_field') }}
),

by_field as (
    select
        municipality,
        term_number,
        report_date,
        field_code,
        cast(sum(case when is_in_report then 1 else 0 end) as bigint) as n_pledges,
        cast(sum(case when n_events > 0 then 1 else 0 end) as bigint) as n_active_pledges,
        cast(sum(n_events) as bigint) as n_events,
        cast(sum(n_new_events) as bigint) as n_new_events,
        cast(sum(n_carried_events) as bigint) as n_carried_events,
        cast(sum(n_changed_events) as bigint) as n_changed_events,
        cast(sum(n_dropped_events) as bigint) as n_dropped_events,
        cast(sum(n_attendees) as bigint) as n_attendees,
        cast(sum(n_new_attendees) as bigint) as n_new_attendees
    from by_pledge
    group by municipality, term_number, report_date, field_code
)

select
    by_field.municipality,
    by_field.term_number,
    by_field.report_date,
    by_field.field_code,
    fields.field_name_ko,
    fields.field_name_en,
    by_field.n_pledges,
    by_field.n_active_pledges,
    by_field.n_events,
    by_field.n_new_events,
    by_field.n_carried_events,
    by_field.n_changed_events,
    by_field.n_dropped_events,
    by_field.n_attendees,
    by_field.n_new_attendees,
    by_field.n_events
        - lag(by_field.n_events) over (
            partition by by_field.municipality, by_field.term_number, by_field.field_code
            order by by_field.report_date
        )
        as n_events_change,
    by_field.n_attendees
        - lag(by_field.n_attendees) over (
            partition by by_field.municipality, by_field.term_number, by_field.field_code
            order by by_field.report_date
        )
        as n_attendees_change
from by_field
left join fields
    on by_field.field_code = fields.field_code
