select
    term_number,
    term_name,
    start_date,
    end_date
from {{ ref('terms') }}
