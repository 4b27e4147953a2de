-- Gives every activity its cross-period event_key. The keys are assigned in Python by the
-- Dagster asset staging/event_keys (pipeline/identity/match.py): each report's activities are
-- matched one-to-one to the previous report's of the same municipality and term, pledge by pledge (same dates and normalised title,
-- then title, then dates, then title similarity), so a reworded or moved activity keeps its key.
-- A left join: an activity without a key fails the not-null test instead of disappearing.
with events as (
    select * from {{ ref('stg_events') }}
),

keys as (
    select * from {{ ref('stg_event_keys') }}
)

select
    keys.event_key,
    keys.match_method,
    {{ pledge_key('events.municipality', 'events.term_number', 'events.pledge_code') }} as pledge_key,
    events.municipality,
    events.term_number,
    events.report_date,
    events.source_file,
    events.source_line,
    events.serial_no,
    events.pledge_code,
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
    events.attendee_kind,
    events.venue_name,
    events.is_online,
    events.format_code
from events
left join keys
    on events.municipality = keys.municipality
    and events.report_date = keys.report_date
    and events.pledge_code = keys.pledge_code
    and events.event_seq = keys.event_seq
