{#- Activity-grain models built incrementally by municipality (dim_event, fct_event_months,
    fct_event_lifecycle, mart_search_documents).

    Each row of these models depends on one municipality's reports only (an activity's latest
    version, its months, its report-to-report lifecycle, its search document). A build that changed
    some municipalities' periods (`staging.periods_changed`) deletes those municipalities' rows
    before the model runs (the pre-hook `delete_changed_municipalities`) and selects them again
    (`in_changed_municipalities`); every other municipality's rows are kept as they are. Adding a
    city's first report to a warehouse of hundreds of cities then costs that city's rows, not every
    city's. A period recorded before municipalities (a NULL municipality) stands for every
    municipality: everything is rebuilt. Full refreshes as for the facts (macros/incremental_by_period.sql).
-#}
{% macro changed_municipality_condition(municipality) -%}
    ({{ municipality }} in (
        select municipality from {{ source('staging', 'periods_changed') }} where municipality is not null)
     or exists (select 1 from {{ source('staging', 'periods_changed') }} where municipality is null))
{%- endmacro %}

{% macro delete_changed_municipalities() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ changed_municipality_condition('municipality') }}
    {%- else -%}
        select 1 as nothing_to_delete
    {%- endif -%}
{%- endmacro %}

{#- `where`/`and` condition on a relation's municipality column: every municipality on a full build,
    the changed ones on an incremental build. -#}
{% macro in_changed_municipalities(municipality='municipality') -%}
    {%- if is_incremental() -%}
        {{ changed_municipality_condition(municipality) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
