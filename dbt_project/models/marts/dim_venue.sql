-- One row per venue. Variants of one place (spacing) share a key; the spelling
-- shown is the one used most often (ties: the first alphabetically).
with venues as (
    select * from {{ ref('int_event_venues') }}
    where venue_key is not null
),

spellings as (
    select
        venue_key,
        venue_name,
        venue_type,
        count(*) as n_uses
    from venues
    group by venue_key, venue_name, venue_type
),

ranked as (
    select
        venue_key,
        coalesce(venue_name, '온라인') as venue_name,
        venue_type,
        row_number() over (
            partition by venue_key order by n_uses desc, venue_name
        ) as spelling_rank,
        sum(n_uses) over (partition by venue_key) as n_events
    from spellings
)

select venue_key, venue_name, venue_type, n_events
from ranked
where spelling_rank = 1
