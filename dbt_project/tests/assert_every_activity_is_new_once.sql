-- Every activity key is `new` exactly once, in the first report that prints it.
with lifecycle as (
    select * from {{ ref('fct_event_lifecycle') }}
),

firsts as (
    select event_key, min(report_date) as first_report_date
    from lifecycle
    where status <> 'dropped'
    group by event_key
),

news as (
    select event_key, count(*) as n_new, min(report_date) as new_report_date
    from lifecycle
    where status = 'new'
    group by event_key
)

select firsts.event_key, firsts.first_report_date, news.n_new, news.new_report_date
from firsts
left join news on firsts.event_key = news.event_key
where news.n_new is null or news.n_new <> 1 or news.new_report_date <> firsts.first_report_date
