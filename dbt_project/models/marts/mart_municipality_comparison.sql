-- The citizen-communication figures of each report, one row per (municipality, term, report): what an
-- evaluator compares across cities and terms. A report lists every activity of its term so far, so
-- compare reports of one date (or each city's latest of a term), not a city's reports with each other.
with events as (
    select * from {{ ref('fct_events') }}
),

periods as (
    select * from {{ ref('dim_period') }}
),

pledges as (
    select municipality, report_date, count(*) as n_pledges
    from {{ ref('int_pledges_by_period') }}
    group by municipality, report_date
),

by_report as (
    select
        municipality,
        report_date,
        count(*) as n_events,
        count(distinct pledge_key) as n_active_pledges,
        count(attendee_count) as n_events_with_attendees,
        cast(coalesce(sum(attendee_count) filter (where attendee_kind = 'attended'), 0) as bigint)
            as n_people_attended,
        count(*) filter (where is_online) as n_online_events
    from events
    group by municipality, report_date
),

formats as (
    select municipality, report_date, coalesce(format_code, 'other') as format_code, count(*) as n_events
    from events
    group by municipality, report_date, coalesce(format_code, 'other')
),

format_mix as (
    select
        formats.municipality,
        formats.report_date,
        map_from_entries(
            list(struct_pack(k := formats.format_code, v := round(formats.n_events / by_report.n_events, 4))
                order by formats.format_code)
        ) as format_mix,
        arg_max(formats.format_code, formats.n_events * 1000 - coalesce(dim_format.sort_order, 999))
            as main_format_code
    from formats
    inner join by_report
        on formats.municipality = by_report.municipality
        and formats.report_date = by_report.report_date
    left join {{ ref('dim_format') }} as dim_format on dim_format.format_code = formats.format_code
    group by formats.municipality, formats.report_date
)

select
    periods.municipality,
    periods.term_number,
    periods.report_date,
    coalesce(pledges.n_pledges, 0) as n_pledges,
    coalesce(by_report.n_active_pledges, 0) as n_active_pledges,
    coalesce(by_report.n_events, 0) as n_events,
    round(coalesce(by_report.n_events, 0) / nullif(pledges.n_pledges, 0), 2) as events_per_pledge,
    round(by_report.n_events_with_attendees / nullif(by_report.n_events, 0), 4) as share_with_attendees,
    coalesce(by_report.n_people_attended, 0) as n_people_attended,
    round(by_report.n_online_events / nullif(by_report.n_events, 0), 4) as online_share,
    format_mix.main_format_code,
    format_mix.format_mix
from periods
left join pledges
    on periods.municipality = pledges.municipality
    and periods.report_date = pledges.report_date
left join by_report
    on periods.municipality = by_report.municipality
    and periods.report_date = by_report.report_date
left join format_mix
    on periods.municipality = format_mix.municipality
    and periods.report_date = format_mix.report_date
