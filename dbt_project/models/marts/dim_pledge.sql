-- One row per pledge of a municipality's term (pledge_key): its code is the municipality's and the
-- term's, so two cities, or two terms of one city, never share a pledge. Name and field from the
-- latest report of the term that names it.
with pledges as (
    select * from {{ ref('int_pledges_by_period') }}
),

latest as (
    select
        pledge_key,
        pledge_name_ko,
        field_code,
        row_number() over (
            partition by pledge_key
            order by case when pledge_name_ko is null then 1 else 0 end, report_date desc
        ) as recency_rank
    from pledges
),

span as (
    select
        pledge_key,
        any_value(municipality) as municipality,
        any_value(term_number) as term_number,
        any_value(pledge_code) as pledge_code,
        min(report_date) as first_report_date,
        max(report_date) as last_report_date,
        count(*) as n_reports
    from pledges
    group by pledge_key
)

select
    span.pledge_key,
    span.municipality,
    span.term_number,
    span.pledge_code,
    latest.pledge_name_ko,
    latest.field_code,
    span.first_report_date,
    span.last_report_date,
    span.n_reports
from latest
inner join span on latest.pledge_key = span.pledge_key
where latest.recency_rank = 1
