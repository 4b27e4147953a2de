-- One row per municipality with a report; its printed name from its latest report.
with files as (
    select * from {{ ref('stg_report_files') }}
)

select
    municipality,
    arg_max(municipality_printed, report_date) as municipality_printed,
    arg_max(municipality_kind, report_date) as municipality_kind,
    count(*) as n_reports,
    min(report_date) as first_report_date,
    max(report_date) as last_report_date
from files
group by municipality
