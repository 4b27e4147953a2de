{#- Generic test: none of `columns` is null. One query for all of a model's required columns: a
    `not_null` test per column is a dbt node each, and 195 of them cost every build about 5 s. A
    failing row names which of its columns are null (`null_columns`). -#}
{% test not_null_columns(model, columns) %}
select
    concat_ws(', ', {% for c in columns %}case when {{ c }} is null then '{{ c }}' end{{ ', ' if not loop.last }}{% endfor %}) as null_columns,
    *
from {{ model }}
where {% for c in columns %}{{ c }} is null{{ ' or ' if not loop.last }}{% endfor %}
{% endtest %}
