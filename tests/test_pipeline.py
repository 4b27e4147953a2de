"""The whole pipeline on the real report: real Dagster job, real dbt build, real DuckDB file."""

import datetime as dt
import hashlib
import re

import pytest

from pipeline.parse.report import parse_report_text
from pipeline.raw.report_file import read_report

from .conftest import SEED_REPORT

EXPECTED_FIELDS = {"economy": "경제", "culture": "문화", "city": "도시", "community": "공동체", "welfare": "복지"}


@pytest.fixture(scope="module")
def parsed():
    info, text = read_report(SEED_REPORT)
    return parse_report_text(text, source_file=info.file_name, report_date=info.report_date)


def test_period_is_registered_with_its_file(built_warehouse):
    with built_warehouse.connect() as con:
        rows = con.execute(
            "select report_date, source_file, source_sha256, n_pledges, n_events from marts.dim_period"
        ).fetchall()
    assert len(rows) == 1
    report_date, source_file, sha, n_pledges, n_events = rows[0]
    assert report_date == dt.date(2020, 12, 31)
    assert source_file == SEED_REPORT.name
    assert sha == hashlib.sha256(SEED_REPORT.read_bytes()).hexdigest()
    assert n_pledges == 76


def test_every_parsed_activity_reaches_the_marts(built_warehouse, parsed):
    with built_warehouse.connect() as con:
        n_events = con.execute("select count(*) from marts.fct_events").fetchone()[0]
        n_pledges = con.execute("select count(distinct pledge_code) from marts.fct_events").fetchone()[0]
        per_pledge = dict(con.execute("select pledge_code, count(*) from marts.fct_events group by 1").fetchall())
    assert n_events == len(parsed.events)
    assert 380 <= n_events <= 430  # the report holds about 405 activities
    assert n_pledges >= 70
    expected = {}
    for e in parsed.events:
        expected[e.pledge_code] = expected.get(e.pledge_code, 0) + 1
    assert per_pledge == expected


def test_fields_are_the_five_and_other_and_the_real_report_uses_the_five(built_warehouse):
    with built_warehouse.connect() as con:
        fields = dict(con.execute("select field_code, field_name_ko from marts.dim_field").fetchall())
        used = {r[0] for r in con.execute("select distinct field_code from marts.dim_pledge").fetchall()}
    assert fields == {**EXPECTED_FIELDS, "other": "기타"}
    assert used == set(EXPECTED_FIELDS)


def test_pledge_codes_as_printed(built_warehouse):
    with built_warehouse.connect() as con:
        codes = {r[0] for r in con.execute("select pledge_code from marts.dim_pledge").fetchall()}
        name = con.execute("select pledge_name_ko from marts.dim_pledge where pledge_code = '48-2'").fetchone()[0]
    assert {"1", "5-1", "5-2", "48-2", "67"} <= codes
    assert name == "단독주택 관리 및 주거복지 지원 강화"  # continued rows with an empty name do not blank it


def test_event_seq_counts_across_page_breaks(built_warehouse):
    with built_warehouse.connect() as con:
        gaps = con.execute("""
            select pledge_code from marts.fct_events group by pledge_code
            having min(event_seq) <> 1 or max(event_seq) <> count(*)
        """).fetchall()
        continued = con.execute("""
            select count(distinct source_line) from marts.fct_events where pledge_code = '50'
        """).fetchone()[0]
    assert gaps == []
    assert continued >= 2  # pledge 50 (serial 56) spans three report rows


def test_formats_and_venues_join_their_dimensions(built_warehouse):
    with built_warehouse.connect() as con:
        unknown_format = con.execute("""
            select count(*) from marts.fct_events e left join marts.dim_format f using (format_code)
            where f.format_code is null
        """).fetchone()[0]
        unknown_venue = con.execute("""
            select count(*) from marts.fct_events e left join marts.dim_venue v using (venue_key)
            where e.venue_key is not null and v.venue_key is null
        """).fetchone()[0]
        n_formats = con.execute("select count(*) from marts.dim_format").fetchone()[0]
    assert unknown_format == 0 and unknown_venue == 0
    assert n_formats == 19


def test_staging_tables_carry_period_and_line(built_warehouse):
    tables = ["report_rows", "events", "event_details", "attendee_figures", "parse_issues", "event_dates"]
    with built_warehouse.connect() as con:
        for table in tables:
            cols = {r[0] for r in con.execute(f"describe staging.{table}").fetchall()}
            assert {"report_date", "source_line"} <= cols, table
        missing_line = con.execute("select count(*) from staging.events where source_line is null").fetchone()[0]
    assert missing_line == 0


def test_list_items_are_all_accounted_for(built_warehouse):
    with built_warehouse.connect() as con:
        n_items, n_event, n_detail, n_issue = con.execute(
            "select n_list_items, n_items_as_event, n_items_as_detail, n_items_as_issue from marts.dim_period"
        ).fetchone()
    assert n_items > 0
    assert n_event + n_detail + n_issue == n_items


def test_second_run_is_idempotent(built_warehouse):
    def snapshot():
        with built_warehouse.connect() as con:
            return {
                t: con.execute(f"select * exclude (ingested_at) from marts.{t} order by all").fetchall()
                if t == "dim_period"
                else con.execute(f"select * from marts.{t} order by all").fetchall()
                for t in ["dim_period", "dim_pledge", "fct_events", "fct_attendees", "dim_venue", "fct_event_dates"]
            }

    before = snapshot()
    assert built_warehouse.run("--full") == 0
    assert snapshot() == before


def test_run_is_recorded_in_the_dagster_instance(built_warehouse):
    from dagster import AssetKey, DagsterInstance

    instance = DagsterInstance.from_config(str(built_warehouse.dagster_home))
    assert instance.get_dynamic_partitions("reporting_periods") == ["전주시/2020-12-31"]
    for key in (
        AssetKey("raw_report"),
        AssetKey("parsed_activities"),
        AssetKey(["staging", "events"]),
        AssetKey(["marts", "fct_events"]),
        AssetKey("published_warehouse"),
    ):
        assert instance.get_latest_materialization_event(key) is not None, key
    checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [__import__("dagster").AssetCheckKey(AssetKey("parsed_activities"), "list_items_accounted_for")]
    )
    assert checks
    # every dbt test passed: none is an observation (those are for tests that warn or fail), the log counts them
    assert not instance.fetch_observations(AssetKey(["marts", "fct_events"]), limit=10).records
    logs = "".join(p.read_text() for p in (built_warehouse.warehouse.parent / "logs").glob("run-*.log"))
    counts = re.findall(r"dbt tests: (\d+) pass\b", logs)
    assert counts and int(counts[-1]) > 100, counts


def test_the_warehouse_meets_the_gold_targets(built_warehouse):
    """`make eval` on the built warehouse: what analysts get, scored against the gold set."""
    from pipeline.evaluate import DEFAULT_GOLD, events_from_warehouse, load_gold, score

    if not DEFAULT_GOLD.exists():
        pytest.skip("gold set not available")
    result = score(events_from_warehouse(built_warehouse.warehouse), load_gold(DEFAULT_GOLD))
    assert not result.failed(), result.report()
    assert result.metrics["segmentation"].n == 31
