with events as (
    select * from {{ ref('int_events_keyed') }}
),

pledges as (
    select * from {{ ref('int_pledges_by_period') }}
),

venues as (
    select * from {{ ref('int_event_venues') }}
)

select
    events.event_key,
    events.report_date,
    events.pledge_code,
    pledges.field_code,
    events.event_seq,
    events.title,
    events.raw_text,
    events.start_date,
    events.start_precision,
    events.end_date,
    events.end_precision,
    events.session_count,
    events.attendee_count,
    events.attendee_is_approx,
    venues.venue_key,
    events.venue_name,
    events.is_online,
    events.format_code,
    events.match_method,
    events.source_file,
    events.source_line
from events
left join pledges
    on events.report_date = pledges.report_date
    and events.pledge_code = pledges.pledge_code
left join venues
    on events.report_date = venues.report_date
    and events.pledge_code = venues.pledge_code
    and events.event_seq = venues.event_seq
