-- `attendee_is_approx` qualifies `attendee_count`: an activity with no count (only per-session
-- figures such as `월별 20~30명`) has no approximate count either.
select event_key, report_date, attendee_count, attendee_is_approx
from {{ ref('fct_events') }}
where attendee_is_approx and attendee_count is null
