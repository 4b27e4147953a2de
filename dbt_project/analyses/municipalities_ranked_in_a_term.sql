-- The cities of one mayoral term ranked by their citizen communication: each city's latest report of the
-- term (a report lists every activity of the term so far), ranked by activities per pledge, with the other
-- figures an evaluator reads beside it. Change `term` below for another term.
with params as (
    select max(term_number) as term from {{ ref('mart_municipality_comparison') }}
),

latest as (
    select comparison.*
    from {{ ref('mart_municipality_comparison') }} as comparison
    inner join params on comparison.term_number = params.term
    qualify row_number() over (partition by comparison.municipality order by comparison.report_date desc) = 1
)

select
    rank() over (order by events_per_pledge desc, n_events desc) as rank_in_term,
    municipality,
    term_number,
    report_date,
    n_pledges,
    n_active_pledges,
    n_events,
    events_per_pledge,
    share_with_attendees,
    n_people_attended,
    online_share,
    main_format_code
from latest
order by rank_in_term, municipality
