{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed('municipality') }}"
) }}
-- One row per activity (event_key), as printed in the latest report that lists it: every column of
-- fct_events from that version (its report_date as last_report_date), with the span of reports it
-- appears in. The table to use when an activity that is reprinted in every yearly report must count
-- once.
-- Incremental by municipality (macros/incremental.sql): only the municipalities this
-- build changed are rebuilt.
with events as (
    select * from {{ ref('fct_events') }}
    where {{ in_changed('municipality') }}
),

versions as (
    select
        events.*,
        row_number() over (partition by event_key order by report_date desc) as version_rank,
        min(report_date) over (partition by event_key) as first_report_date,
        count(*) over (partition by event_key) as n_reports
    from events
)

select
    event_key,
    pledge_key,
    municipality,
    term_number,
    pledge_code,
    field_code,
    event_seq,
    title,
    raw_text,
    start_date,
    start_precision,
    end_date,
    end_precision,
    reference_date,
    reference_precision,
    session_count,
    attendee_count,
    attendee_is_approx,
    attendee_kind,
    venue_key,
    venue_name,
    is_online,
    format_code,
    match_method,
    source_file,
    source_line,
    first_report_date,
    report_date as last_report_date,
    n_reports
from versions
where version_rank = 1
