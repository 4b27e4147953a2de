with source as (
    select * from {{ source('staging', 'report_rows') }}
),

renamed as (
    select
        municipality,
        term as term_number,
        report_date,
        source_file,
        source_line,
        serial_no,
        field_label,
        field_code,
        pledge_code,
        nullif(trim(pledge_name), '') as pledge_name_ko,
        is_continuation,
        n_list_items
    from source
)

select * from renamed
