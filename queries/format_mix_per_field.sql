-- Generated from dbt_project/analyses/format_mix_per_field.sql by pipeline/report/plain_sql.py: edit that file,
-- then run `.venv/bin/python -m pipeline.report.plain_sql`. Runs as is in `make sql` and in Python.
-- Format mix (활동 유형) per policy field (분야): how each field talks to citizens.
-- Each activity counted once (dim_event: its row in the latest report that lists it);
-- share_in_field is the format's share of the field's activities (sums to 1 per field).
with activities as (
    select * from marts.dim_event
),

per_format as (
    select
        field_code,
        format_code,
        count(*) as n_activities,
        sum(case when is_online then 1 else 0 end) as n_online
    from activities
    group by field_code, format_code
)

select
    fields.field_code,
    fields.field_name_ko,
    fields.field_name_en,
    formats.format_code,
    formats.format_name_ko,
    formats.format_name_en,
    per_format.n_activities,
    per_format.n_online,
    cast(per_format.n_activities as double precision)
        / sum(per_format.n_activities) over (partition by per_format.field_code) as share_in_field
from per_format
inner join marts.dim_field as fields on per_format.field_code = fields.field_code
inner join marts.dim_format as formats on per_format.format_code = formats.format_code
order by fields.sort_order, per_format.n_activities desc, formats.sort_order
