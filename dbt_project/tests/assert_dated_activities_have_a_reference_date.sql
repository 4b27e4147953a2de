{{ config(meta={"dagster": {"ref": {"name": "fct_events"}}}) }}  {# the Dagster asset check of fct_events #}
-- No activity with a printed date (a row in fct_event_dates) lacks a reference_date.
select events.event_key, events.report_date
from {{ ref('fct_events') }} as events
where events.reference_date is null
    and exists (
        select 1 from {{ ref('fct_event_dates') }} as dates
        where dates.event_key = events.event_key and dates.report_date = events.report_date
    )
