-- The cities of one mayoral term ranked by their citizen communication: each city's latest report of the
-- term (a report lists every activity of the term so far), ranked by activities per pledge, with the other
-- figures an evaluator reads beside it. Ties (same activities per pledge and activities) share a rank.
with comparison as (
    select * from {{ ref('mart_municipality_comparison') }}
),

-- The term ranked: null ranks the latest term loaded. For another term write its number in place of
-- the null (`select 7 as term_number`); params stays one row either way.
chosen_term as (
    select cast(null as integer) as term_number
),

params as (
    select coalesce(max(chosen_term.term_number), max(comparison.term_number)) as term_number
    from comparison
    cross join chosen_term
),

latest as (
    select comparison.municipality, max(comparison.report_date) as report_date
    from comparison
    inner join params on comparison.term_number = params.term_number
    group by comparison.municipality
)

select
    rank() over (
        order by comparison.events_per_pledge desc nulls last, comparison.n_events desc
    ) as rank_in_term,
    comparison.municipality,
    comparison.term_number,
    comparison.report_date,
    comparison.n_pledges,
    comparison.n_active_pledges,
    comparison.n_events,
    comparison.events_per_pledge,
    comparison.share_with_attendees,
    comparison.n_people_attended,
    comparison.online_share,
    comparison.main_format_code
from comparison
inner join params on comparison.term_number = params.term_number
inner join latest
    on comparison.municipality = latest.municipality
    and comparison.report_date = latest.report_date
order by rank_in_term, comparison.municipality
