-- The report's own figures: plain SQL on marts.*, runs as is in `make sql` and in Python.
--
-- The report reads a figure from queries/<name>.sql when an example query gives it (activities per
-- field per period, pledges ranked by attendance, format mix, monthly timeline, parse issues), and from
-- here otherwise: the blocks
-- below are only the figures no example query states. Each block starts with `-- figure: <name>`.
-- Definitions shared by all of them:
--   * an activity counts once across periods: its row in marts.dim_event;
--   * "people who attended" is attendee_count where attendee_kind = 'attended'; the other kinds
--     (surveyed, trained, served, appointed, mixed) count other things and are never added to it;
--   * an activity that states no figure is unknown, not zero: it is left out of the sums and counted
--     in n_with_figure's complement.

-- figure: headline
-- One row: the tiles at the top of the report, and whose report it is (municipality, mayoral terms).
-- n_activities counts every activity ever reported; the tiles show those of the latest report and, apart,
-- those a later report of the same term no longer prints (dropped), so that a dropped activity is not read
-- as a current one, and those of earlier terms (their term ended: not dropped by anyone).
-- "Latest" is each municipality's own latest report; a pledge is a municipality's pledge of one term
-- (pledge_key), as two terms, or two cities, number their pledges alike.
with latest as (
    select municipality, max(report_date) as report_date, arg_max(term_number, report_date) as term_number
    from marts.dim_period
    group by municipality
)

select
    (select count(*) from marts.dim_period) as n_periods,
    (select max(report_date) from latest) as latest_report_date,
    (select string_agg(distinct municipality, ', ' order by municipality) from marts.dim_period) as municipalities,
    (select list(distinct term_number order by term_number) from marts.dim_period) as term_numbers,
    count(*) as n_activities,
    count(*) filter (where activities.last_report_date = latest.report_date) as n_in_latest_report,
    count(*) filter (
        where activities.last_report_date < latest.report_date and activities.term_number = latest.term_number
    ) as n_no_longer_reported,
    count(*) filter (where activities.term_number <> latest.term_number) as n_earlier_terms,
    count(distinct activities.pledge_key) as n_pledges,
    count(activities.attendee_count) as n_with_figure,
    count(*) filter (where activities.attendee_kind = 'attended') as n_attended_figure,
    coalesce(sum(activities.attendee_count) filter (where activities.attendee_kind = 'attended'), 0)
        as people_attended,
    count(*) filter (where activities.is_online) as n_online
from marts.dim_event as activities
left join latest on activities.municipality = latest.municipality;

-- figure: people_by_kind
-- People per kind of figure (dim_attendee_kind), attended first: shown beside the headline, never summed into it.
select
    kinds.attendee_kind,
    kinds.attendee_kind_name_ko,
    kinds.attendee_kind_name_en,
    count(activities.event_key) as n_activities,
    coalesce(sum(activities.attendee_count), 0) as people
from marts.dim_attendee_kind as kinds
left join marts.dim_event as activities on activities.attendee_kind = kinds.attendee_kind
group by kinds.attendee_kind, kinds.attendee_kind_name_ko, kinds.attendee_kind_name_en
order by kinds.attendee_kind <> 'attended', people desc, kinds.attendee_kind;

-- figure: attendance_per_field
-- Per policy field: people who attended, the other kinds apart, and how many activities state a figure.
select
    fields.field_code,
    fields.field_name_ko,
    fields.field_name_en,
    count(activities.event_key) as n_activities,
    count(activities.attendee_count) as n_with_figure,
    count(*) filter (where activities.attendee_kind = 'attended') as n_attended_figure,
    coalesce(sum(activities.attendee_count) filter (where activities.attendee_kind = 'attended'), 0)
        as people_attended,
    coalesce(sum(activities.attendee_count) filter (where activities.attendee_kind <> 'attended'), 0)
        as people_other_kinds,
    count(*) filter (where activities.attendee_kind = 'attended' and activities.attendee_is_approx)
        as n_attended_approx
from marts.dim_field as fields
left join marts.dim_event as activities on activities.field_code = fields.field_code
group by fields.field_code, fields.field_name_ko, fields.field_name_en, fields.sort_order
order by fields.sort_order;

-- figure: latest_changes_per_pledge
-- What changed in each municipality's latest report, per pledge (marts.fct_event_lifecycle): activities
-- new, changed (dates, people or title), dropped (printed by the report before, not by this one) and
-- carried. Only pledges with something new, changed or dropped.
with changes as (
    select * from marts.fct_event_lifecycle
    where (municipality, report_date) in (
        select municipality, max(report_date) from marts.dim_period group by municipality
    )
)

select
    pledges.municipality,
    pledges.term_number,
    changes.pledge_key,
    changes.pledge_code,
    pledges.pledge_name_ko,
    pledges.field_code,
    count(*) filter (where changes.status = 'new') as n_new,
    count(*) filter (where changes.status = 'changed') as n_changed,
    count(*) filter (where changes.status = 'dropped') as n_dropped,
    count(*) filter (where changes.status = 'carried') as n_carried
from changes
inner join marts.dim_pledge as pledges on changes.pledge_key = pledges.pledge_key
group by
    pledges.municipality,
    pledges.term_number,
    changes.pledge_key,
    changes.pledge_code,
    pledges.pledge_name_ko,
    pledges.field_code
having count(*) filter (where changes.status in ('new', 'changed', 'dropped')) > 0
order by
    pledges.municipality,
    pledges.term_number,
    try_cast(split_part(changes.pledge_code, '-', 1) as integer),
    try_cast(split_part(changes.pledge_code, '-', 2) as integer) nulls first,
    changes.pledge_code;

-- figure: latest_changed_activities
-- The activities each municipality's latest report changed or dropped, with what changed; the title is
-- the activity's latest version (for a dropped one, as the last report that printed it).
select
    changes.pledge_code,
    changes.status,
    activities.title,
    changes.is_dates_changed,
    changes.is_people_changed,
    changes.is_text_changed,
    changes.previous_report_date
from marts.fct_event_lifecycle as changes
inner join marts.dim_event as activities on changes.event_key = activities.event_key
where (changes.municipality, changes.report_date) in (
        select municipality, max(report_date) from marts.dim_period group by municipality
    )
    and changes.status in ('changed', 'dropped')
order by
    changes.municipality,
    try_cast(split_part(changes.pledge_code, '-', 1) as integer),
    try_cast(split_part(changes.pledge_code, '-', 2) as integer) nulls first,
    changes.pledge_code,
    changes.status,
    activities.event_seq,
    changes.event_key;

-- figure: periods
-- The reporting periods, with how each report's list items were read.
select
    municipality,
    term_number,
    report_date,
    source_file,
    n_pledges,
    n_events,
    n_parse_issues,
    n_list_items,
    n_items_as_event,
    n_items_as_detail,
    n_items_as_issue
from marts.dim_period
order by municipality, report_date;

-- figure: outside_the_timeline
-- Activities the monthly timeline cannot place: no date at all, or a span known only to the year.
select
    count(*) as n_activities,
    count(*) filter (where activities.reference_date is null) as n_undated,
    count(*) filter (
        where activities.reference_date is not null
            and not exists (
                select 1 from marts.fct_event_months as months
                where months.event_key = activities.event_key and months.span_precision in ('day', 'month'))
    ) as n_year_only
from marts.dim_event as activities;

-- figure: activities
-- The browsable table: every activity once, with the names shown and the periods that list it.
with listed as (
    select event_key, list(distinct cast(report_date as varchar) order by cast(report_date as varchar))
        as report_dates
    from marts.fct_events
    group by event_key
)

select
    activities.event_key,
    activities.pledge_key,
    activities.pledge_code,
    activities.term_number,
    pledges.pledge_name_ko,
    activities.field_code,
    activities.format_code,
    activities.title,
    activities.start_date,
    activities.start_precision,
    activities.end_date,
    activities.end_precision,
    activities.reference_date,
    activities.session_count,
    activities.attendee_count,
    activities.attendee_kind,
    activities.attendee_is_approx,
    activities.venue_name,
    activities.is_online,
    listed.report_dates
from marts.dim_event as activities
inner join marts.dim_pledge as pledges on activities.pledge_key = pledges.pledge_key
left join listed on listed.event_key = activities.event_key
order by
    activities.municipality,
    activities.term_number,
    try_cast(split_part(activities.pledge_code, '-', 1) as integer),
    try_cast(split_part(activities.pledge_code, '-', 2) as integer),
    activities.pledge_code,
    activities.reference_date nulls last,
    activities.event_key;

-- figure: pledge_attendance
-- Pledges ranked by the people who attended their activities, each activity once, as the example query
-- pledges_ranked_by_attendance ranks them, but per pledge of a municipality's term (pledge_key): that
-- query groups by pledge_code, which two terms of one city number alike.
with per_pledge as (
    select
        pledge_key,
        count(*) as n_activities,
        count(attendee_count) as n_with_figure,
        count(*) filter (where attendee_kind = 'attended') as n_attended_figure,
        coalesce(sum(attendee_count) filter (where attendee_kind = 'attended'), 0) as people_attended,
        coalesce(sum(attendee_count) filter (where attendee_kind <> 'attended'), 0) as people_other_kinds
    from marts.dim_event
    group by pledge_key
)

select
    rank() over (order by per_pledge.people_attended desc) as attendance_rank,
    pledges.pledge_key,
    pledges.pledge_code,
    pledges.term_number,
    pledges.pledge_name_ko,
    pledges.field_code,
    per_pledge.people_attended,
    per_pledge.n_attended_figure,
    per_pledge.people_other_kinds,
    per_pledge.n_activities,
    per_pledge.n_with_figure
from per_pledge
inner join marts.dim_pledge as pledges on per_pledge.pledge_key = pledges.pledge_key
order by
    attendance_rank,
    per_pledge.n_activities desc,
    pledges.municipality,
    pledges.term_number,
    try_cast(split_part(pledges.pledge_code, '-', 1) as integer),
    try_cast(split_part(pledges.pledge_code, '-', 2) as integer) nulls first,
    pledges.pledge_code;

-- figure: municipalities
-- The index page comparing municipalities: one row per municipality, the figures of its latest report
-- (marts.mart_municipality_comparison). A report lists every activity of its term so far, so a city's
-- latest report is what it has done in its current term.
with latest as (
    select municipality, max(report_date) as report_date, count(*) as n_reports
    from marts.dim_period
    group by municipality
)

select
    comparison.municipality,
    comparison.term_number,
    comparison.report_date,
    latest.n_reports,
    comparison.n_pledges,
    comparison.n_active_pledges,
    comparison.n_events,
    comparison.events_per_pledge,
    comparison.share_with_attendees,
    comparison.n_people_attended,
    comparison.online_share,
    comparison.main_format_code,
    formats.format_name_ko as main_format_name_ko,
    formats.format_name_en as main_format_name_en
from marts.mart_municipality_comparison as comparison
inner join latest
    on comparison.municipality = latest.municipality
    and comparison.report_date = latest.report_date
left join marts.dim_format as formats on comparison.main_format_code = formats.format_code
order by comparison.municipality;

-- figure: municipality_reports
-- Every report of every municipality, with its figures: to compare reports of one date, or a city's terms.
select
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
    formats.format_name_ko as main_format_name_ko
from marts.mart_municipality_comparison as comparison
left join marts.dim_format as formats on comparison.main_format_code = formats.format_code
order by comparison.report_date, comparison.municipality;
