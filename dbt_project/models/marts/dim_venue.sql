-- One row per venue. Every name of one place (the seed `venue_aliases`, and spacing
-- variants) shares a key. The name shown is the place's canonical name from the seed, or,
-- for a place the seed does not list, the spelling used most often (ties: the first
-- alphabetically). `aliases` lists every name the place goes by: the spellings printed in
-- the activities and the seed's aliases of it.
with venues as (
    select * from {{ ref('int_event_venues') }}
    where venue_key is not null
),

seed_aliases as (
    select
        md5({{ normalise_text('venue_name') }}) as venue_key,
        venue_name,
        alias
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

canonical as (
    select distinct venue_key, venue_name
    from seed_aliases
),

names as (
    select venue_key, venue_name as alias
    from spellings
    where venue_name is not null
    union
    select venue_key, alias
    from seed_aliases
),

alias_lists as (
    select venue_key, list_sort(list_distinct(list(alias))) as aliases
    from names
    group by venue_key
)

select
    ranked.venue_key,
    coalesce(canonical.venue_name, ranked.venue_name) as venue_name,
    ranked.venue_type,
    coalesce(alias_lists.aliases, []::varchar[]) as aliases,
    ranked.n_events
from ranked
left join canonical on canonical.venue_key = ranked.venue_key
left join alias_lists on alias_lists.venue_key = ranked.venue_key
where ranked.spelling_rank = 1
