-- Activity per pledge per reporting period: how many activities the report prints, how many are
-- new, changed or dropped since the previous report of the municipality's term, and how many people
-- they gathered. A pledge missing from a report whose activities were dropped there still gets a row
-- (n_events = 0). Activities whose term ended are not counted here (fct_event_lifecycle has them).
with lifecycle as (
    select * from {{ ref('fct_event_lifecycle') }}
    where status != 'term_ended'
),

events as (
    select pledge_key, report_date, event_key, attendee_count
    from {{ ref('int_events_keyed') }}
),

pledges as (
    select pledge_key, municipality, term_number, report_date, pledge_code, field_code
    from {{ ref('int_pledges_by_period') }}
),

pledge_periods as (
    select pledge_key, municipality, term_number, report_date, pledge_code from pledges
    union
    select pledge_key, municipality, term_number, report_date, pledge_code from lifecycle
),

event_counts as (
    select
        pledge_key,
        report_date,
        count(*) as n_events,
        count(attendee_count) as n_events_with_attendees,
        cast(coalesce(sum(attendee_count), 0) as bigint) as n_attendees
    from events
    group by pledge_key, report_date
),

status_counts as (
    select
        pledge_key,
        report_date,
        max(field_code) as field_code,
        cast(sum(case when status = 'new' then 1 else 0 end) as bigint) as n_new_events,
        cast(sum(case when status = 'carried' then 1 else 0 end) as bigint) as n_carried_events,
        cast(sum(case when status = 'changed' then 1 else 0 end) as bigint) as n_changed_events,
        cast(sum(case when status = 'dropped' then 1 else 0 end) as bigint) as n_dropped_events
    from lifecycle
    group by pledge_key, report_date
),

new_attendees as (
    select
        events.pledge_key,
        events.report_date,
        cast(coalesce(sum(events.attendee_count), 0) as bigint) as n_new_attendees
    from events
    inner join lifecycle
        on events.event_key = lifecycle.event_key
        and events.report_date = lifecycle.report_date
        and lifecycle.status = 'new'
    group by events.pledge_key, events.report_date
)

select
    pledge_periods.pledge_key,
    pledge_periods.municipality,
    pledge_periods.term_number,
    pledge_periods.report_date,
    pledge_periods.pledge_code,
    coalesce(pledges.field_code, status_counts.field_code) as field_code,
    pledges.pledge_code is not null as is_in_report,
    coalesce(event_counts.n_events, 0) as n_events,
    coalesce(status_counts.n_new_events, 0) as n_new_events,
    coalesce(status_counts.n_carried_events, 0) as n_carried_events,
    coalesce(status_counts.n_changed_events, 0) as n_changed_events,
    coalesce(status_counts.n_dropped_events, 0) as n_dropped_events,
    coalesce(event_counts.n_attendees, 0) as n_attendees,
    coalesce(new_attendees.n_new_attendees, 0) as n_new_attendees,
    coalesce(event_counts.n_events_with_attendees, 0) as n_events_with_attendees
from pledge_periods
left join pledges
    on pledge_periods.pledge_key = pledges.pledge_key
    and pledge_periods.report_date = pledges.report_date
left join event_counts
    on pledge_periods.pledge_key = event_counts.pledge_key
    and pledge_periods.report_date = event_counts.report_date
left join status_counts
    on pledge_periods.pledge_key = status_counts.pledge_key
    and pledge_periods.report_date = status_counts.report_date
left join new_attendees
    on pledge_periods.pledge_key = new_attendees.pledge_key
    and pledge_periods.report_date = new_attendees.report_date
