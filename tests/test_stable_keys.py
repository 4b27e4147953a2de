"""Published activity keys stay with their activities, through real pipeline runs (Dagster + dbt).

The real 2020 report is published, then an older report is added (the synthetic 2019 one of
testkit/reports.py), then 2020 is re-issued with a pledge's two page parts in the other order, then a
misdated copy (1999, before every other report), one dated 1900 (refused), a report whose continued row
is printed after the next pledge's row, and a report that cannot be numbered arrive together. After each
run, every key published for 2020 must still name the same activity (its pledge and printed text), and
every key ever published must still be in the registry. The parser's side of the continued row is tested
without a run at the end.
"""

import datetime as dt

import pytest

from pipeline.parse.report import parse_report_text
from pipeline.raw.report_file import ReportFileError
from testkit.reports import (
    SEED_REPORT,
    build_series,
    redated,
    with_continuation_after_next,
    with_parts_swapped,
)

from .conftest import make_workspace

Y20 = dt.date(2020, 12, 31)
REAL = SEED_REPORT.read_text(encoding="utf-8-sig")
SERIAL_CONTINUED = 19  # pledge 18, printed in two rows over a page break; its second part starts with an activity


def _keys(ws, report_date=Y20) -> dict[str, tuple[str, str]]:
    """key -> (pledge_code, text as printed) of one period, from the published warehouse."""
    with ws.connect() as con:
        rows = con.execute(
            """
            select k.event_key, e.pledge_code, e.raw_text
            from staging.event_keys k join staging.events e using (report_date, pledge_code, event_seq)
            where report_date = ?""",
            [report_date],
        ).fetchall()
    return {key: (code, text) for key, code, text in rows}


def _registered(ws) -> set[str]:
    with ws.connect() as con:
        return {r[0] for r in con.execute("select distinct event_key from staging.event_key_registry").fetchall()}


def _moved(published: dict, now: dict) -> list[str]:
    """Published keys that no longer name the activity they named."""
    return sorted(key for key, activity in published.items() if now.get(key) != activity)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The real report published alone: its keys, and the workspace to add reports to."""
    with pytest.MonkeyPatch.context() as mp:
        ws = make_workspace(tmp_path_factory.mktemp("stable"), mp)
        assert ws.run() == 0
        keys = _keys(ws)
        assert len(keys) == 405
        yield ws, keys, mp


def test_keys_are_kept_whatever_is_added_reissued_or_refused(published, capsys):
    ws, keys_2020, _ = published
    ever = set(keys_2020)

    # an older report, published after the newer one
    older = build_series().snapshots[0]
    older.write(ws.raw_dir)
    assert ws.run() == 0
    assert _moved(keys_2020, _keys(ws)) == []
    keys_2019 = _keys(ws, older.report_date)
    shared = set(keys_2019) & set(keys_2020)
    assert len(shared) > 150  # its activities printed again in 2020 took their published 2020 keys
    assert all(keys_2019[k][0] == keys_2020[k][0] for k in shared)
    ever |= set(keys_2019)
    assert ever <= _registered(ws)

    # 2020 re-issued (same file name): pledge 18's two parts in the other order, so other positions
    (ws.raw_dir / SEED_REPORT.name).write_text(with_parts_swapped(REAL, SERIAL_CONTINUED), encoding="utf-8")
    assert ws.run() == 0
    reissued = _keys(ws)
    assert _moved(keys_2020, reissued) == []
    assert len(reissued) == 405
    assert _keys(ws, older.report_date) == keys_2019
    assert ever <= _registered(ws)

    # a misdated copy, a report with a continued row out of place, and one that cannot be numbered
    misdated = dt.date(1999, 12, 31)
    (ws.raw_dir / "misdated 1999.txt").write_text(redated(REAL, misdated), encoding="utf-8")
    (ws.raw_dir / "misdated 1900.txt").write_text(redated(REAL, dt.date(1900, 12, 31)), encoding="utf-8")
    late_row = redated(with_continuation_after_next(REAL, SERIAL_CONTINUED), dt.date(2021, 12, 31))
    (ws.raw_dir / "late continued row 2021.txt").write_text(late_row, encoding="utf-8")
    lines = redated(REAL, dt.date(2022, 12, 31)).split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("21\t"))
    cells = lines[at].split("\t")
    lines[at] = "\t".join([*cells[:2], "18", *cells[3:]])  # serial 21 printed with pledge 18's code
    (ws.raw_dir / "two serials 2022.txt").write_text("\n".join(lines), encoding="utf-8")
    capsys.readouterr()
    assert ws.run() == 1  # two files refused
    err = capsys.readouterr().err
    assert "REFUSED two serials 2022.txt:" in err and "printed under serial 19 and serial 21" in err
    assert "REFUSED misdated 1900.txt:" in err and "implausible" in err
    assert "late continued row 2021.txt" not in err and "misdated 1999.txt" not in err
    assert _moved(keys_2020, _keys(ws)) == []
    assert _keys(ws, older.report_date) == keys_2019
    keys_1999, keys_2021 = _keys(ws, misdated), _keys(ws, dt.date(2021, 12, 31))
    assert len(keys_1999) == len(keys_2021) == 405
    # the misdated copy and the late-row report print the 2020 activities: they take the 2020 keys
    assert len(set(keys_1999) & set(reissued)) >= 400
    assert len(set(keys_2021) & set(reissued)) >= 400
    assert ever <= _registered(ws)


# ---------------------------------------------------------------- the parser, without a run


def _events(text: str) -> list[tuple]:
    parsed = parse_report_text(text, source_file="x.txt", report_date=Y20)
    return sorted((e.pledge_code, e.event_seq, e.title, e.raw_text) for e in parsed.events)


def test_a_continued_row_after_the_next_pledge_continues_its_own_pledge():
    late = with_continuation_after_next(REAL, SERIAL_CONTINUED)
    assert _events(late) == _events(REAL)
    parsed = parse_report_text(late, source_file="x.txt", report_date=Y20)
    issues = [i for i in parsed.issues if i.kind in ("continuation_out_of_order", "serial_out_of_order")]
    assert [(i.kind, i.serial_no, i.pledge_code, i.severity) for i in issues] == [
        ("continuation_out_of_order", SERIAL_CONTINUED, "18", "warning")
    ]
    assert sum(r.is_continuation for r in parsed.rows) == sum(
        r.is_continuation for r in parse_report_text(REAL, source_file="x.txt", report_date=Y20).rows
    )


def test_a_pledge_code_under_two_serials_refuses_the_file_by_name():
    lines = REAL.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("21\t"))
    cells = lines[at].split("\t")
    lines[at] = "\t".join([*cells[:2], "18", *cells[3:]])
    with pytest.raises(
        ReportFileError, match=r"^bad\.txt:\d+: pledge code '18' is printed under serial 19 and serial 21"
    ):
        parse_report_text("\n".join(lines), source_file="bad.txt", report_date=Y20)
