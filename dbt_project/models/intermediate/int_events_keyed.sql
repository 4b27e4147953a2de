-- Gives every activity its event_key. The key is a hash of what identifies an
-- activity across reports: its pledge, its normalised title and its first date.
-- Activities identical on all three within one report are told apart by their
-- order of appearance.
with events as (
    select * from {{ ref('stg_events') }}
),

identity as (
    select
        *,
        pledge_code || '|' || {{ normalise_text('title') }} || '|'
            || coalesce(cast(start_date as varchar), '') as identity_text
    from events
),

numbered as (
    select
        *,
        row_number() over (partition by report_date, identity_text order by event_seq) as identity_rank
    from identity
)

select
    md5(identity_text || '|' || cast(identity_rank as varchar)) as event_key,
    'hash' as match_method,
    report_date,
    source_file,
    source_line,
    serial_no,
    pledge_code,
    event_seq,
    title,
    raw_text,
    start_date,
    start_precision,
    end_date,
    end_precision,
    session_count,
    attendee_count,
    attendee_is_approx,
    venue_name,
    is_online,
    format_code
from numbered
