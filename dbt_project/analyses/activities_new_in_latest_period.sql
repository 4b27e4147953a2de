-- Activities new in each municipality's latest reporting period: listed in its latest report but
-- not in its report before it of the same mayoral term (matched on the stable event_key).
-- Reports are compared within one municipality and term: a report of another city, or of the term
-- before (whose activities end with the term, `term_ended` in fct_event_lifecycle), is no "previous".
-- Without an earlier report of the term (a single period loaded, or a term's first report), every
-- activity is new.
with periods as (
    select municipality, term_number, report_date from {{ ref('dim_period') }}
),

latest as (
    select periods.municipality, periods.term_number, periods.report_date
    from periods
    inner join (
        select municipality, max(report_date) as report_date from periods group by municipality
    ) as last_report
        on periods.municipality = last_report.municipality
        and periods.report_date = last_report.report_date
),

previous as (
    select latest.municipality, max(periods.report_date) as report_date
    from latest
    inner join periods
        on periods.municipality = latest.municipality
        and periods.term_number = latest.term_number
        and periods.report_date < latest.report_date
    group by latest.municipality
),

events as (
    select * from {{ ref('fct_events') }}
)

select
    events.municipality,
    events.term_number,
    events.report_date,
    events.event_key,
    events.pledge_code,
    pledges.pledge_name_ko,
    events.field_code,
    events.event_seq,
    events.title,
    events.start_date,
    events.start_precision,
    events.end_date,
    events.end_precision,
    events.attendee_count,
    events.attendee_is_approx,
    events.format_code,
    events.venue_name
from events
inner join latest
    on events.municipality = latest.municipality
    and events.report_date = latest.report_date
-- pledge_key, not pledge_code: every city and term numbers its pledges 1, 2, ...
inner join {{ ref('dim_pledge') }} as pledges on events.pledge_key = pledges.pledge_key
left join previous on events.municipality = previous.municipality
where not exists (
    select 1
    from events as earlier
    where earlier.event_key = events.event_key
        and earlier.municipality = previous.municipality
        and earlier.report_date = previous.report_date
)
-- per municipality, pledge codes in their printed order (1, 2, ... 10, 5-1 after 5), not as text (1, 10, 11, 2)
order by
    events.municipality,
    cast(split_part(events.pledge_code, '-', 1) as integer),
    cast(nullif(split_part(events.pledge_code, '-', 2), '') as integer) nulls first,
    events.event_seq
