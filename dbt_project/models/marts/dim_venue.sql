-- One row per venue of a municipality (two cities' 시청 are two venues; `online` is one for all).
-- Every name of one place (the seed `venue_aliases`, and spacing variants) shares a key. The name
-- shown is the place's canonical name from the seed, or, for a place the seed does not list, the
-- spelling used most often (ties: the first alphabetically). `aliases` lists every name the place
-- goes by: the spellings printed in the activities and the seed's aliases of it.
with venues as (
    select * from {{ ref('int_event_venues') }}
    where venue_key is not null
),

seed_aliases as (
    select venue_name, alias
    from {{ ref('venue_aliases') }}
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
),

places as (
    -- the municipality of a named place (none for `online`) and its name in the seed, if listed
    select
        venue_key,
        case when venue_key != 'online' then any_value(municipality) end as municipality,
        any_value(canonical_venue_name) filter (
            where canonical_venue_name in (select venue_name from seed_aliases)
        ) as seed_name
    from venues
    group by venue_key
),

names as (
    select venue_key, venue_name as alias
    from spellings
    where venue_name is not null
    union
    select places.venue_key, seed_aliases.alias
    from places
    inner join seed_aliases on seed_aliases.venue_name = places.seed_name
),

alias_lists as (
    select venue_key, list_sort(list_distinct(list(alias))) as aliases
    from names
    group by venue_key
)

select
    ranked.venue_key,
    places.municipality,
    coalesce(places.seed_name, ranked.venue_name) as venue_name,
    ranked.venue_type,
    coalesce(alias_lists.aliases, []::varchar[]) as aliases,
    ranked.n_events
from ranked
inner join places on places.venue_key = ranked.venue_key
left join alias_lists on alias_lists.venue_key = ranked.venue_key
where ranked.spelling_rank = 1
