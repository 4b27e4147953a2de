{#- Facts built incrementally by reporting period (fct_events, fct_event_dates, fct_attendees).

    Such a fact keeps the rows of the periods this build did not change and rebuilds the
    others: before the model runs, its rows of the changed periods are deleted (the pre-hook
    `delete_changed_periods`, so a period that now has no rows loses its old ones too); the
    model then selects only those periods (`in_changed_periods`) and dbt appends them. The
    changed periods are `staging.periods_changed`, written by the Dagster staging load and
    activity keys: a period is a municipality's report date (another city's report of the
    same date is another period), or, recorded before municipalities, a date of every
    municipality. The first build, and every build after the dbt project itself changed, is
    a full refresh (`pledge_dbt_models` in pipeline/defs/assets/dbt.py).
-#}
{% macro changed_period_condition(municipality, report_date) -%}
    (({{ municipality }}, {{ report_date }}) in (
        select municipality, report_date from {{ source('staging', 'periods_changed') }}
        where municipality is not null)
     or {{ report_date }} in (
        select report_date from {{ source('staging', 'periods_changed') }} where municipality is null))
{%- endmacro %}

{% macro delete_changed_periods() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ changed_period_condition('municipality', 'report_date') }}
    {%- else -%}
        select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}

{#- `where`/`and` condition on a relation's municipality and report_date columns: every period on a
    full build, the changed ones on an incremental build. -#}
{% macro in_changed_periods(municipality='municipality', report_date='report_date') -%}
    {%- if is_incremental() -%}
        {{ changed_period_condition(municipality, report_date) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
