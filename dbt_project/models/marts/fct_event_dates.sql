{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed('period') }}"
) }}
-- Incremental by reporting period (macros/incremental.sql): only the periods this build
-- changed are rebuilt.

with dates as (
    select * from {{ ref('stg_event_dates') }}
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
    dates.report_date,
    dates.date_seq,
    dates.date_value,
    dates.date_precision,
    dates.raw_text,
    dates.date_value > dates.report_date as is_after_report_date,
    dates.pledge_code,
    dates.event_seq,
    dates.source_line
from dates
inner join events
    on dates.municipality = events.municipality
    and dates.report_date = events.report_date
    and dates.pledge_code = events.pledge_code
    and dates.event_seq = events.event_seq
