-- The venue of each activity, keyed so that spelling and spacing variants of a
-- place share one key. Online activities without a named place get `online`.
with events as (
    select * from {{ ref('stg_events') }}
)

select
    report_date,
    pledge_code,
    event_seq,
    venue_name,
    is_online,
    case
        when venue_name is not null then md5({{ normalise_text('venue_name') }})
        when is_online then 'online'
    end as venue_key,
    case
        when venue_name is not null and not is_online then 'physical'
        when venue_name is not null and is_online then 'online'
        when is_online then 'online'
    end as venue_type
from events
