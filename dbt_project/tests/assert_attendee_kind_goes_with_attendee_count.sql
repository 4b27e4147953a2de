-- Every activity with a people count says what it counts, and none without one does.
select event_key, report_date, attendee_count, attendee_kind
from {{ ref('fct_events') }}
where (attendee_count is null) != (attendee_kind is null)
