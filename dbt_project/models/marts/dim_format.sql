select
    format_code,
    format_name_ko,
    format_name_en,
    sort_order
from {{ ref('formats') }}
