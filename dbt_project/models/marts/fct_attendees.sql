{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed('period') }}"
) }}
-- Incremental by reporting period (macros/incremental.sql): only the periods this build
-- changed are rebuilt.

with figures as (
    select * from {{ ref('stg_attendee_figures') }}
    where {{ in_changed('period') }}
),

events as (
    select event_key, municipality, term_number, report_date, pledge_code, event_seq from {{ ref('int_events_keyed') }}
    where {{ in_changed('period') }}
)

select
    events.event_key,
    events.municipality,
    events.term_number,
    figures.report_date,
    figures.figure_seq,
    figures.group_label,
    figures.people_count,
    figures.is_approx,
    figures.is_cumulative,
    figures.is_per_session,
    figures.is_total,
    figures.attendee_kind,
    figures.raw_text,
    figures.pledge_code,
    figures.event_seq,
    figures.source_line
from figures
inner join events
    on figures.municipality = events.municipality
    and figures.report_date = events.report_date
    and figures.pledge_code = events.pledge_code
    and figures.event_seq = events.event_seq
