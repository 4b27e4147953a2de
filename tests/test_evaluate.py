"""The gold scorer: its rules on small cases, then the real report against the targets."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.evaluate import DEFAULT_GOLD, DEFAULT_REPORT, TARGETS, events_from_report, load_gold, main, score


def event(**kw):
    base = dict(
        pledge_code="1",
        event_seq=1,
        title="전주시 지역유통상위원회 개최",
        start_date=dt.date(2018, 11, 13),
        start_precision="day",
        end_date=dt.date(2019, 11, 21),
        end_precision="day",
        attendee_count=30,
        attendee_is_approx=True,
        venue_name=None,
        is_online=False,
        format_code="meeting",
    )
    base.update(kw)
    return base


def gold(**kw):
    base = {
        "serial_no": 1,
        "pledge_code": "1",
        "event_seq": 1,
        "text": "전주시 지역유통상위원회 개최를 통한 유통상생 논의",
        "start": "2018-11-13",
        "end": "2019-11-21",
        "attendees": 30,
        "attendees_approx": True,
        "venue": None,
        "format": "meeting",
    }
    base.update(kw)
    return base


def test_a_perfect_event_scores_everything():
    r = score([event()], [gold()])
    assert all(m.share == 1.0 for m in r.metrics.values())
    assert r.metrics["people_stated"].n == 1 and r.metrics["venue_recall"].n == 0 and not r.failed()


def test_precision_is_part_of_a_date():
    r = score([event(start_date=dt.date(2019, 5, 1), start_precision="day")], [gold(start="2019-05")])
    assert r.metrics["start"].share == 0
    r = score([event(start_date=dt.date(2019, 5, 1), start_precision="month")], [gold(start="2019-05")])
    assert r.metrics["start"].share == 1
    r = score([event(end_date=None, end_precision=None)], [gold(end=None)])
    assert r.metrics["end"].share == 1


def test_question_marks_are_left_out():
    r = score([event(format_code="other", attendee_count=None)], [gold(format="?", attendees="?", start="?")])
    assert r.metrics["format"].n == 0 and r.metrics["people_all"].n == 0 and r.metrics["start"].n == 0


def test_segmentation_needs_the_same_count_and_matching_titles():
    two = [gold(), gold(event_seq=2, text="상생발전기업 선정 관련 간담회")]
    assert (
        score([event(), event(event_seq=2, title="상생발전기업 선정 관련 간담회")], two).metrics["segmentation"].share
        == 1
    )
    assert score([event()], two).metrics["segmentation"].share == 0
    assert score([event(), event(event_seq=2, title="다른 행사")], two).metrics["segmentation"].share == 0


def test_venue_recall_and_precision():
    g = [
        gold(venue="전북대 진수당"),
        gold(event_seq=2, text="힐링캠프", venue="online"),
        gold(event_seq=3, text="회의"),
    ]
    ours = [
        event(venue_name="전북대 진수당 (5명)"),
        event(event_seq=2, title="힐링캠프", is_online=True),
        event(event_seq=3, title="회의", venue_name="시청"),
    ]
    r = score(ours, g)
    assert (r.metrics["venue_recall"].hits, r.metrics["venue_recall"].n) == (2, 2)
    assert (r.metrics["venue_precision"].hits, r.metrics["venue_precision"].n) == (2, 3)


@pytest.mark.skipif(not DEFAULT_GOLD.exists(), reason="gold set not available")
def test_the_parser_meets_every_target_on_the_gold_set(capsys):
    result = score(events_from_report(DEFAULT_REPORT), load_gold(DEFAULT_GOLD))
    assert not result.failed(), result.report()
    assert set(TARGETS) <= set(result.metrics)
    assert result.metrics["segmentation"].n == 31 and result.metrics["approx"].n == 117


@pytest.mark.skipif(not DEFAULT_GOLD.exists(), reason="gold set not available")
def test_cli_exits_zero_when_targets_are_met(capsys):
    assert main(["--quiet"]) == 0
    assert "segmentation" in capsys.readouterr().out


def test_attendee_kind_is_scored_on_stated_figures_only():
    r = score([event(attendee_kind="attended")], [gold(attendees_kind="attended")])
    assert (r.metrics["attendee_kind"].hits, r.metrics["attendee_kind"].n) == (1, 1)
    r = score([event(attendee_kind="served")], [gold(attendees_kind="attended")])
    assert r.metrics["attendee_kind"].share == 0
    r = score([event(attendee_count=None, attendee_kind=None)], [gold(attendees=None, attendees_kind=None)])
    assert r.metrics["attendee_kind"].n == 0
    assert score([event()], [gold(attendees_kind="?")]).metrics["attendee_kind"].n == 0


def test_the_warehouse_is_scored_on_the_annotated_report_whatever_else_it_holds(tmp_path):
    import duckdb

    from pipeline.evaluate import events_from_warehouse

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_events (report_date date, pledge_code varchar, event_seq int, title varchar)"
        )
        con.execute("insert into marts.fct_events values ('2020-12-31', '1', 1, 'old'), ('2021-12-31', '1', 1, 'new')")
    assert [e["title"] for e in events_from_warehouse(path)] == ["old"]
    with pytest.raises(SystemExit, match="no activities of the report dated 2019-12-31"):
        events_from_warehouse(path, "2019-12-31")
