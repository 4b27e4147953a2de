{#- Schemas are named exactly as configured (`staging`, `intermediate`, `marts`,
    `vocab`) instead of dbt's default `<target>_<custom>`: analysts query
    `marts.fct_events`, whatever the target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name is not none else target.schema }}
{%- endmacro %}
