-- One row per pledge; name and field from the latest report that names it.
with pledges as (
    select * from {{ ref('int_pledges_by_period') }}
),

latest as (
    select
        pledge_code,
        pledge_name_ko,
        field_code,
        row_number() over (
            partition by pledge_code
            order by case when pledge_name_ko is null then 1 else 0 end, report_date desc
        ) as recency_rank
    from pledges
),

span as (
    select
        pledge_code,
        min(report_date) as first_report_date,
        max(report_date) as last_report_date,
        count(*) as n_reports
    from pledges
    group by pledge_code
)

select
    latest.pledge_code,
    latest.pledge_name_ko,
    latest.field_code,
    span.first_report_date,
    span.last_report_date,
    span.n_reports
from latest
inner join span on latest.pledge_code = span.pledge_code
where latest.recency_rank = 1
