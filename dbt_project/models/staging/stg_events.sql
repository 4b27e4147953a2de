with source as (
    select * from {{ source('staging', 'events') }}
),

renamed as (
    select
        municipality,
        term as term_number,
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
        attendee_kind,
        nullif(trim(venue_name), '') as venue_name,
        is_online,
        format_code
    from source
)

select * from renamed
