"""Reports of several municipalities and mayoral terms, through one real run (Dagster + dbt).

raw/ holds the real Jeonju report (민선7기, 2020-12-31) and three SYNTHETIC ones made from it by changing
only the header (testkit/cities.py): Jeonju under 민선8기 (2023-12-31), a later Jeonju report that prints
no term (2024-12-31: 민선8기 by its date) and 군산시's report of 2020-12-31. Their activities are word for
word the real report's, so only the header, or the date, keeps them apart.
"""

import datetime as dt

import pytest

from testkit.cities import write_four_series

from .conftest import make_workspace

JEONJU, GUNSAN = "전주시", "군산시"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("cities")
    with pytest.MonkeyPatch.context() as mp:
        ws = make_workspace(root, mp, reports=[])
        write_four_series(ws.raw_dir)
        ws.run()
        yield ws


def rows(ws, sql: str) -> list[tuple]:
    with ws.connect() as con:
        return con.execute(sql).fetchall()


def test_all_four_reports_load_each_in_its_municipality_and_term(ws):
    assert ws.exit_code == 0
    assert rows(ws, "select municipality, term_number, report_date from marts.dim_period order by all") == [
        (GUNSAN, 7, dt.date(2020, 12, 31)),
        (JEONJU, 7, dt.date(2020, 12, 31)),
        (JEONJU, 8, dt.date(2023, 12, 31)),
        (JEONJU, 8, dt.date(2024, 12, 31)),
    ]
    # Dagster shows each municipality's periods as partitions of their own
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        keys = set(instance.get_dynamic_partitions("reporting_periods"))
    assert {f"{JEONJU}/2020-12-31", f"{GUNSAN}/2020-12-31", f"{JEONJU}/2024-12-31"} <= keys


def test_pledges_are_per_municipality_and_term(ws):
    assert rows(ws, "select municipality, term_number, count(*) from marts.dim_pledge group by all order by all") == [
        (GUNSAN, 7, 76),
        (JEONJU, 7, 76),
        (JEONJU, 8, 76),
    ]
    # a new term's pledge 1 is no rename of the old term's: one version each
    assert rows(ws, "select max(version_no) from marts.dim_pledge_history") == [(1,)]


def test_no_activity_key_is_shared_across_municipalities_or_terms(ws):
    assert rows(
        ws,
        "select count(*) from (select event_key from marts.fct_events "
        "group by event_key having count(distinct (municipality, term_number)) > 1)",
    ) == [(0,)]
    # 405 activities in each of three series, word for word alike: three keys each
    assert rows(ws, "select municipality, term_number, count(*) from marts.dim_event group by all order by all") == [
        (GUNSAN, 7, 405),
        (JEONJU, 7, 405),
        (JEONJU, 8, 405),
    ]


def test_a_new_term_or_another_city_drops_nothing_and_the_later_term_report_continues_the_earlier(ws):
    statuses = rows(
        ws,
        "select municipality, term_number, report_date, status, count(*) from marts.fct_event_lifecycle "
        "group by all order by all",
    )
    assert statuses == [
        (GUNSAN, 7, dt.date(2020, 12, 31), "new", 405),
        (JEONJU, 7, dt.date(2020, 12, 31), "new", 405),
        # the 7th term's activities are not dropped by the city: the term ended
        (JEONJU, 7, dt.date(2023, 12, 31), "term_ended", 405),
        (JEONJU, 8, dt.date(2023, 12, 31), "new", 405),
        (JEONJU, 8, dt.date(2024, 12, 31), "carried", 405),
    ]
    # carried: the 2024 report's activities keep the keys the 2023 report gave them
    assert rows(
        ws,
        "select count(*) from marts.fct_events e24 join marts.fct_events e23 using (event_key) "
        "where e24.report_date = '2024-12-31' and e23.report_date = '2023-12-31'",
    ) == [(405,)]


def test_the_comparison_mart_has_one_row_per_report_and_metrics_break_down_by_city_and_term(ws):
    compared = rows(
        ws,
        "select municipality, term_number, report_date, n_pledges, n_events, n_active_pledges "
        "from marts.mart_municipality_comparison order by all",
    )
    assert [r[:3] for r in compared] == rows(
        ws, "select municipality, term_number, report_date from marts.dim_period order by all"
    )
    # the same activities under every header: the same figures, counted apart
    assert {r[3:] for r in compared} == {(76, 405, 76)}
