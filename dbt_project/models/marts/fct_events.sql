{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed('period') }}"
) }}
-- Incremental by reporting period (macros/incremental.sql): only the periods this build
-- changed are rebuilt.

with events as (
    select * from {{ ref('int_events_keyed') }}
    where {{ in_changed('period') }}
),

pledges as (
    select * from {{ ref('int_pledges_by_period') }}
    where {{ in_changed('period') }}
),

venues as (
    select * from {{ ref('int_event_venues') }}
    where {{ in_changed('period') }}
)

select
    events.event_key,
    events.pledge_key,
    events.municipality,
    events.term_number,
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
    coalesce(events.start_date, events.end_date) as reference_date,
    case when events.start_date is not null then events.start_precision else events.end_precision end
        as reference_precision,
    events.session_count,
    events.attendee_count,
    events.attendee_is_approx,
    events.attendee_kind,
    venues.venue_key,
    events.venue_name,
    events.is_online,
    events.format_code,
    events.match_method,
    events.source_file,
    events.source_line
from events
left join pledges
    on events.municipality = pledges.municipality
    and events.report_date = pledges.report_date
    and events.pledge_code = pledges.pledge_code
left join venues
    on events.municipality = venues.municipality
    and events.report_date = venues.report_date
    and events.pledge_code = venues.pledge_code
    and events.event_seq = venues.event_seq
