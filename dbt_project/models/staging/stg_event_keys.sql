with source as (
    select * from {{ source('staging', 'event_keys') }}
),

renamed as (
    select
        municipality,
        term as term_number,
        report_date,
        pledge_code,
        event_seq,
        event_key,
        match_method,
        matched_report_date
    from source
)

select * from renamed
