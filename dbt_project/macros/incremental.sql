{#- Marts built incrementally, by one of two grains, from `staging.periods_changed` (written by
    the Dagster staging load and activity keys: the periods this build loaded, re-keyed or
    retracted; a period is a municipality's report date, or, recorded before municipalities, a
    date of every municipality).

    - grain 'period': the facts of one row per activity per report (fct_events, fct_event_dates,
      fct_attendees) rebuild the changed periods;
    - grain 'municipality': the activity-grain models, each of whose rows depends on one
      municipality's reports only (dim_event, fct_event_months, fct_event_lifecycle,
      mart_search_documents), rebuild the municipalities of the changed periods. Adding a city's
      first report to hundreds of cities then costs that city's rows, not every city's.

    Before the model runs, its rows of what changed are deleted (the pre-hook `delete_changed`, so
    a period or a municipality that now has no rows loses its old ones too); the model then selects
    only what changed (`in_changed`) and dbt appends it. The first build, and every build after the
    dbt project itself changed, is a full refresh (`pledge_dbt_models` in pipeline/defs/assets/dbt.py).
-#}
{% macro changed_condition(grain) -%}
    {%- set changed = source('staging', 'periods_changed') -%}
    {%- if grain == 'period' -%}
    ((municipality, report_date) in (select municipality, report_date from {{ changed }} where municipality is not null)
     or report_date in (select report_date from {{ changed }} where municipality is null))
    {%- elif grain == 'municipality' -%}
    (municipality in (select municipality from {{ changed }} where municipality is not null)
     or exists (select 1 from {{ changed }} where municipality is null))
    {%- else -%}
    {{ exceptions.raise_compiler_error("incremental grain must be 'period' or 'municipality', not " ~ grain) }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_changed(grain) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ changed_condition(grain) }}
    {%- else -%}
        select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}

{#- `where`/`and` condition on a relation's municipality (and report_date) columns: everything on a
    full build, what changed on an incremental build. -#}
{% macro in_changed(grain) -%}
    {%- if is_incremental() -%}
        {{ changed_condition(grain) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
