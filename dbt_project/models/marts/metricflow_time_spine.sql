-- MetricFlow's calendar: one row per day, from January 1 of the earliest year that any activity date
-- or report date falls in to December 31 of the latest. MetricFlow (the semantic models and metrics in
-- _semantic_models.yml and _metrics.yml) needs it to place `metric_time` on days, months and years; the
-- bounds come from the data, so re-dated or future reports never fall outside it.
with dates as (
    select reference_date as day from {{ ref('fct_events') }}
    union all
    select end_date from {{ ref('fct_events') }}
    union all
    select report_date from {{ ref('dim_period') }}
),

bounds as (
    select
        cast(date_trunc('year', min(day)) as date) as first_day,
        cast(date_trunc('year', max(day)) + interval 1 year - interval 1 day as date) as last_day
    from dates
)

select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as date_day
from bounds
