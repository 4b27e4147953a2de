{#- Generic test: the combination of `columns` is unique (our own, as dbt_utils
    cannot be installed here). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
