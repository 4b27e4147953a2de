with source as (
    select * from {{ source('staging', 'parse_issues') }}
),

renamed as (
    select
        municipality,
        term as term_number,
        report_date,
        source_file,
        issue_seq,
        source_line,
        serial_no,
        pledge_code,
        event_seq,
        kind as issue_kind,
        severity,
        message,
        text as issue_text
    from source
)

select * from renamed
