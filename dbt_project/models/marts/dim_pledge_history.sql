-- The names (and fields) a pledge was printed under, one row per version: consecutive reports
-- printing the same name (spacing aside) and field form one version. A pledge renamed between
-- reports keeps its code and gets one row per name; `dim_pledge` carries the latest. Versions are
-- within one municipality and term (pledge_key): a new term's pledge 1 is no rename of the old one's.
with pledges as (
    select pledge_key, municipality, term_number, report_date, pledge_code, pledge_name_ko, field_code
    from {{ ref('int_pledges_by_period') }}
    where pledge_name_ko is not null
),

versioned as (
    select
        *,
        {{ normalise_text('pledge_name_ko') }} || '|' || coalesce(field_code, '') as version_text
    from pledges
),

flagged as (
    select
        *,
        case
            when lag(version_text) over (partition by pledge_key order by report_date) = version_text then 0
            else 1
        end as starts_version
    from versioned
),

numbered as (
    select
        *,
        cast(sum(starts_version) over (
            partition by pledge_key order by report_date rows between unbounded preceding and current row
        ) as integer) as version_no
    from flagged
),

versions as (
    select
        pledge_key,
        any_value(municipality) as municipality,
        any_value(term_number) as term_number,
        any_value(pledge_code) as pledge_code,
        version_no,
        min(report_date) as valid_from_report_date,
        max(report_date) as valid_to_report_date,
        cast(count(*) as integer) as n_reports
    from numbered
    group by pledge_key, version_no
),

latest_spelling as (
    select
        pledge_key,
        version_no,
        pledge_name_ko,
        field_code,
        row_number() over (partition by pledge_key, version_no order by report_date desc) as spelling_rank
    from numbered
)

select
    versions.pledge_key,
    versions.municipality,
    versions.term_number,
    versions.pledge_code,
    versions.version_no,
    latest_spelling.pledge_name_ko,
    latest_spelling.field_code,
    versions.valid_from_report_date,
    versions.valid_to_report_date,
    versions.n_reports,
    versions.version_no = max(versions.version_no) over (partition by versions.pledge_key) as is_current
from versions
inner join latest_spelling
    on versions.pledge_key = latest_spelling.pledge_key
    and versions.version_no = latest_spelling.version_no
    and latest_spelling.spelling_rank = 1
