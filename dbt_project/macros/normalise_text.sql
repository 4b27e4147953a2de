{#- Text compared across spellings: spaces removed, lower case. `경 제 분 야` and
    `경제분야`, `시청 회의실` and `시청회의실` become the same key. -#}
{% macro normalise_text(column) -%}
    lower(regexp_replace({{ column }}, '\s+', '', 'g'))
{%- endmacro %}
