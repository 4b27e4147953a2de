with source as (
    select * from {{ source('staging', 'event_tokens') }}
),

renamed as (
    select
        municipality,
        term as term_number,
        report_date,
        pledge_code,
        event_seq,
        text_field,
        token_seq,
        token
    from source
)

select * from renamed
