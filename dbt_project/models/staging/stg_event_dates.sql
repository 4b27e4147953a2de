with source as (
    select * from {{ source('staging', 'event_dates') }}
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
        date_seq,
        value as date_value,
        precision as date_precision,
        raw as raw_text
    from source
)

select * from renamed
