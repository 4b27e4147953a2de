-- The venue of each activity, keyed so that every name of one place shares one key: spelling
-- and spacing variants (`한옥마을` / `전주한옥마을`, `팔복문화예술공장` / `팔복예술공장`) are
-- mapped onto the place's canonical name by the seed `venue_aliases`, spacing and case are
-- normalised, and the key is the hash of the municipality and the canonical name (two cities' 시청 are
-- two places). Online activities without a
-- named place get `online`.
with events as (
    select * from {{ ref('stg_events') }}
),

aliases as (
    select
        {{ normalise_text('alias') }} as alias_key,
        venue_name as canonical_name
    from {{ ref('venue_aliases') }}
),

named as (
    select
        events.municipality,
        events.report_date,
        events.pledge_code,
        events.event_seq,
        events.venue_name,
        events.is_online,
        case
            when events.venue_name is not null then coalesce(aliases.canonical_name, events.venue_name)
        end as canonical_venue_name
    from events
    left join aliases
        on aliases.alias_key = {{ normalise_text('events.venue_name') }}
)

select
    municipality,
    report_date,
    pledge_code,
    event_seq,
    venue_name,
    canonical_venue_name,
    is_online,
    case
        when canonical_venue_name is not null then md5(municipality || '|' || {{ normalise_text('canonical_venue_name') }})
        when is_online then 'online'
    end as venue_key,
    case
        when venue_name is not null and not is_online then 'physical'
        when venue_name is not null and is_online then 'online'
        when is_online then 'online'
    end as venue_type
from named
