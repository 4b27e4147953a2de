with source as (
    select * from {{ source('staging', 'event_details') }}
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
        detail_seq,
        marker as detail_marker,
        text as detail_text
    from source
)

select * from renamed
