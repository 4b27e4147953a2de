with source as (
    select * from {{ source('staging', 'report_files') }}
),

renamed as (
    select
        municipality,
        municipality_printed,
        municipality_kind,
        term as term_number,
        term_printed as term_number_printed,
        report_date,
        source_file,
        sha256 as source_sha256,
        n_bytes,
        encoding as source_encoding,
        ingested_at,
        n_list_items,
        n_items_as_event,
        n_items_as_detail,
        n_items_as_issue
    from source
)

select * from renamed
