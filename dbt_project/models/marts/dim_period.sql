with files as (
    select * from {{ ref('stg_report_files') }}
),

pledge_counts as (
    select municipality, report_date, count(*) as n_pledges
    from {{ ref('int_pledges_by_period') }}
    group by municipality, report_date
),

event_counts as (
    select municipality, report_date, count(*) as n_events
    from {{ ref('stg_events') }}
    group by municipality, report_date
),

issue_counts as (
    select municipality, report_date, count(*) as n_parse_issues, bool_or(issue_kind = 'truncated') as is_truncated
    from {{ ref('stg_parse_issues') }}
    group by municipality, report_date
)

select
    files.municipality,
    files.term_number,
    files.report_date,
    files.source_file,
    files.source_sha256,
    files.ingested_at,
    coalesce(pledge_counts.n_pledges, 0) as n_pledges,
    coalesce(event_counts.n_events, 0) as n_events,
    coalesce(issue_counts.n_parse_issues, 0) as n_parse_issues,
    coalesce(issue_counts.is_truncated, false) as is_truncated,
    files.n_list_items,
    files.n_items_as_event,
    files.n_items_as_detail,
    files.n_items_as_issue
from files
left join pledge_counts
    on files.municipality = pledge_counts.municipality and files.report_date = pledge_counts.report_date
left join event_counts
    on files.municipality = event_counts.municipality and files.report_date = event_counts.report_date
left join issue_counts
    on files.municipality = issue_counts.municipality and files.report_date = issue_counts.report_date
