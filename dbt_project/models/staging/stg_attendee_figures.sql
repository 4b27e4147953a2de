with source as (
    select * from {{ source('staging', 'attendee_figures') }}
),

renamed as (
    select
        municipality,
        term as term_number,
        report_date,
        source_file,
        source_line,
        pledge_code,
        event_seq,
        figure_seq,
        group_label,
        people_count,
        is_approx,
        is_cumulative,
        is_per_session,
        is_total,
        attendee_kind,
        raw as raw_text
    from source
)

select * from renamed
