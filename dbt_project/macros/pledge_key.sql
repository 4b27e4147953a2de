{#- The key of a pledge: its code is the municipality's and the term's (two cities, or two terms of one
    city, number their pledges alike). -#}
{% macro pledge_key(municipality, term_number, pledge_code) -%}
    md5({{ municipality }} || '|' || cast({{ term_number }} as varchar) || '|' || {{ pledge_code }})
{%- endmacro %}
