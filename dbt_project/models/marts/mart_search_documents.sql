{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ delete_changed('municipality') }}"
) }}
-- One search document per activity (event_key): the lemmas of its latest version (dim_event's), one
-- column per text field, space-separated. pipeline/search/index.py builds DuckDB's full-text index over
-- these columns; each is already analysed, so the index only splits them on spaces.
-- Incremental by municipality (macros/incremental.sql): only the municipalities this
-- build changed are rebuilt.
with events as (
    select * from {{ ref('dim_event') }}
    where {{ in_changed('municipality') }}
),

tokens as (
    select * from {{ ref('stg_event_tokens') }}
    where {{ in_changed('municipality') }}
),

fields as (
    select
        municipality,
        report_date,
        pledge_code,
        event_seq,
        string_agg(token, ' ' order by token_seq) filter (where text_field = 'title') as title_tokens,
        string_agg(token, ' ' order by token_seq) filter (where text_field = 'pledge') as pledge_tokens,
        string_agg(token, ' ' order by token_seq) filter (where text_field = 'venue') as venue_tokens,
        string_agg(token, ' ' order by token_seq) filter (where text_field = 'detail') as detail_tokens
    from tokens
    group by municipality, report_date, pledge_code, event_seq
)

select
    events.event_key,
    events.municipality,
    events.term_number,
    events.last_report_date as report_date,
    events.pledge_code,
    events.event_seq,
    coalesce(fields.title_tokens, '') as title_tokens,
    coalesce(fields.pledge_tokens, '') as pledge_tokens,
    coalesce(fields.venue_tokens, '') as venue_tokens,
    coalesce(fields.detail_tokens, '') as detail_tokens
from events
left join fields
    on fields.municipality = events.municipality
    and fields.report_date = events.last_report_date
    and fields.pledge_code = events.pledge_code
    and fields.event_seq = events.event_seq
