-- One row per pledge per reporting period (a municipality's report of one date). A pledge continued
-- over a page break has several report rows (the continued ones sometimes with an empty name): the
-- name and field come from its first row that has them.
with rows_ as (
    select * from {{ ref('stg_report_rows') }}
),

ranked as (
    select
        municipality,
        term_number,
        report_date,
        pledge_code,
        field_code,
        pledge_name_ko,
        serial_no,
        row_number() over (
            partition by municipality, report_date, pledge_code
            order by case when pledge_name_ko is null then 1 else 0 end, source_line
        ) as row_rank,
        count(*) over (partition by municipality, report_date, pledge_code) as n_report_rows
    from rows_
)

select
    {{ pledge_key('municipality', 'term_number', 'pledge_code') }} as pledge_key,
    municipality,
    term_number,
    report_date,
    pledge_code,
    field_code,
    pledge_name_ko,
    serial_no,
    n_report_rows
from ranked
where row_rank = 1
