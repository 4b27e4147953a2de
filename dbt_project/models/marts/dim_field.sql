select
    field_code,
    field_name_ko,
    field_name_en,
    sort_order
from {{ ref('fields') }}
