{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed('municipality') }}"
) }}
-- What happened to each activity from one report to the next. One row per activity per report it
-- is printed in (new / carried / changed), plus one `dropped` row at the first report after its
-- last appearance that no longer prints it (records no longer seen are marked, never deleted).
-- Reports are compared within one municipality and term: an activity of a term's last report gets one
-- `term_ended` row at the municipality's first report of the next term (the term ended; the city did
-- not drop it), and a new term's first report is all `new`.
-- A present activity is compared with the activity it was matched to (stg_event_keys), usually
-- the previous report's.
-- Incremental by municipality (macros/incremental.sql): only the municipalities this
-- build changed are rebuilt.
with events as (
    select * from {{ ref('int_events_keyed') }}
    where {{ in_changed('municipality') }}
),

keys as (
    select municipality, report_date, pledge_code, event_seq, matched_report_date
    from {{ ref('stg_event_keys') }}
    where {{ in_changed('municipality') }}
),

pledges as (
    select municipality, report_date, pledge_code, field_code
    from {{ ref('int_pledges_by_period') }}
    where {{ in_changed('municipality') }}
),

periods as (
    select
        municipality,
        term_number,
        report_date,
        lead(report_date) over (partition by municipality order by report_date) as next_report_date,
        lead(term_number) over (partition by municipality order by report_date) as next_term_number
    from {{ ref('stg_report_files') }}
    where {{ in_changed('municipality') }}
),

present as (
    select
        events.event_key,
        events.pledge_key,
        events.municipality,
        events.term_number,
        events.report_date,
        events.pledge_code,
        pledges.field_code,
        events.event_seq,
        events.match_method,
        keys.matched_report_date,
        events.raw_text,
        events.start_date,
        events.start_precision,
        events.end_date,
        events.end_precision,
        events.attendee_count
    from events
    left join keys
        on events.municipality = keys.municipality
        and events.report_date = keys.report_date
        and events.pledge_code = keys.pledge_code
        and events.event_seq = keys.event_seq
    left join pledges
        on events.municipality = pledges.municipality
        and events.report_date = pledges.report_date
        and events.pledge_code = pledges.pledge_code
),

compared as (
    select
        cur.event_key,
        cur.pledge_key,
        cur.municipality,
        cur.term_number,
        cur.report_date,
        cur.pledge_code,
        cur.field_code,
        cur.event_seq,
        cur.match_method,
        prev.report_date as previous_report_date,
        (
            cur.start_date is distinct from prev.start_date
            or cur.start_precision is distinct from prev.start_precision
            or cur.end_date is distinct from prev.end_date
            or cur.end_precision is distinct from prev.end_precision
        ) as is_dates_changed,
        cur.attendee_count is distinct from prev.attendee_count as is_people_changed,
        -- `exact` and `title` matches have the same normalised title (dates, spacing, `개최` aside)
        cur.match_method in ('dates', 'similar') as is_text_changed,
        -- printed identically: a year-less date read in another report's year is no change
        {{ normalise_text('cur.raw_text') }} = {{ normalise_text('prev.raw_text') }} as is_printed_identically
    from present as cur
    left join present as prev
        on cur.event_key = prev.event_key
        and cur.matched_report_date = prev.report_date
),

present_statuses as (
    select
        event_key,
        pledge_key,
        municipality,
        term_number,
        report_date,
        case
            when match_method = 'new' or previous_report_date is null then 'new'
            when is_printed_identically then 'carried'
            when is_dates_changed or is_people_changed or is_text_changed then 'changed'
            else 'carried'
        end as status,
        pledge_code,
        field_code,
        event_seq,
        previous_report_date,
        case when previous_report_date is not null then is_dates_changed and not is_printed_identically end
            as is_dates_changed,
        case when previous_report_date is not null then is_people_changed and not is_printed_identically end
            as is_people_changed,
        case when previous_report_date is not null then is_text_changed end as is_text_changed
    from compared
),

ended as (
    -- the last report of an activity, followed by another report of its municipality that does not
    -- print it: dropped within a term, or the end of the term
    select
        last_seen.event_key,
        last_seen.pledge_key,
        last_seen.municipality,
        last_seen.term_number,
        periods.next_report_date as report_date,
        case when periods.next_term_number = last_seen.term_number then 'dropped' else 'term_ended' end
            as status,
        last_seen.pledge_code,
        last_seen.field_code,
        cast(null as bigint) as event_seq,
        last_seen.report_date as previous_report_date,
        cast(null as boolean) as is_dates_changed,
        cast(null as boolean) as is_people_changed,
        cast(null as boolean) as is_text_changed
    from present as last_seen
    inner join periods
        on last_seen.municipality = periods.municipality
        and last_seen.report_date = periods.report_date
    where periods.next_report_date is not null
        and not exists (
            select 1
            from present as later
            where later.event_key = last_seen.event_key
                and later.report_date = periods.next_report_date
        )
)

select * from present_statuses
union all
select * from ended
