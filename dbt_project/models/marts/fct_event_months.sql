{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed('municipality') }}"
) }}
-- One row per activity (dim_event: counted once across periods) per calendar month its span covers,
-- from the month of its start to the month of its end (month precision; coarser dates by their first
-- day). An activity with one date only (or an open range) has one row: its reference month.
-- Incremental by municipality (macros/incremental.sql): only the municipalities this
-- build changed are rebuilt.
with activities as (
    select
        event_key,
        pledge_key,
        municipality,
        term_number,
        pledge_code,
        field_code,
        format_code,
        cast(date_trunc('month', reference_date) as date) as first_month,
        cast(date_trunc('month', greatest(reference_date, coalesce(end_date, reference_date))) as date)
            as last_month,
        case
            when 'year' in (start_precision, end_precision) then 'year'
            when 'month' in (start_precision, end_precision) then 'month'
            else 'day'
        end as span_precision
    from {{ ref('dim_event') }}
    where reference_date is not null and {{ in_changed('municipality') }}
),

months as (
    select
        activities.*,
        cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date) as activity_month
    from activities
)

select
    event_key,
    activity_month,
    cast(row_number() over (partition by event_key order by activity_month) as integer) as month_seq,
    cast(date_diff('month', first_month, last_month) + 1 as integer) as n_months,
    span_precision,
    pledge_key,
    municipality,
    term_number,
    pledge_code,
    field_code,
    format_code
from months
