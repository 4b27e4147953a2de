-- What a people figure counts (seed attendee_kinds): one row per kind.
select
    code as attendee_kind,
    name_ko as attendee_kind_name_ko,
    name_en as attendee_kind_name_en
from {{ ref('attendee_kinds') }}
