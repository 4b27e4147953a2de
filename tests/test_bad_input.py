"""Bad and odd input files, all in one raw/ folder and one real run (Dagster + dbt).

A raw/ folder in use holds whatever exports and mistakes have put there: empty, binary or undecodable
files, folders and pipes with a report's name, damaged reports, reports in other encodings, in
full-width forms, under names with quotes or markup. The pipeline judges each file on its own, so one
run over all of them shows what a run per kind of file would (the run is most of a test's time), and
that one file's refusal does not hold back the others. Every report has a report date of its own:
two files of one municipality and date would both be refused.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .conftest import SEED_REPORT, Workspace, make_workspace
from .test_operating import SEED_TEXT, redated

SEED_DATE = "2020-12-31"

# Files refused whole, each with what its REFUSED line says.
REFUSED = {
    "empty.txt": "empty",
    "junk.txt": "binary",
    "no header.txt": "no report date header",
    "undecodable.txt": "cannot be decoded",
    "folder.txt": "a folder",
    "pipe.txt": "named pipe",
    "dangling.txt": "dangling link",
    "io error.txt": "cannot be read",
    "late nul.txt": "binary content (NUL bytes",
    "two dates.txt": "two header dates",
}
REFUSED_DATES = ("2020-11-30", "2020-10-31", "2020-09-30")  # late nul.txt; two dates.txt, both of its dates

# The same report in three encodings and line endings (CP949 has no '•', '◦', '↳': a CP949 export
# prints other glyphs of the same role).
ENCODED = {"utf8.txt": "2020-12-30", "bom crlf.txt": "2020-12-29", "euc-kr 보고서.txt": "2020-12-28"}
QUOTED_NAME = '전주 보고서 "최종" it\'s; drop table x.txt'
HOSTILE_NAME = '<b onmouseover="x">[a](javascript:b).txt'  # markup in the Dagster UI, unless escaped
FULL_WIDTH_NAME = "full width.txt"
UTF16_NAME = "utf16.txt"

# Every file that must load cleanly (each alone would have been a run with exit 0), and its period.
GOOD = {
    SEED_REPORT.name: SEED_DATE,
    **ENCODED,
    QUOTED_NAME: "2020-12-27",
    HOSTILE_NAME: "2020-12-26",
    FULL_WIDTH_NAME: "2020-12-25",
    UTF16_NAME: "2020-12-24",
}


def damaged_variants() -> dict[str, tuple[str, int | None]]:
    """Report date -> (the real report damaged in one way, the source line its parse issue must name)."""
    lines = SEED_TEXT.split("\n")
    data_rows = [i for i, line in enumerate(lines) if line[:1].isdigit() and line.count("\t") == 4]
    row = data_rows[5]
    variants = {}
    # cut mid-row: the last data row loses the end of its HTML
    cut = "\n".join(lines[: data_rows[-1]] + [lines[data_rows[-1]][: len(lines[data_rows[-1]]) // 2]])
    variants["2020-12-01"] = (cut, data_rows[-1] + 1)
    damaged = list(lines)
    damaged[row] = damaged[row].replace("</ul>", "", 1).replace("</li>", "", 2)  # unclosed tags
    variants["2020-12-02"] = ("\n".join(damaged), None)
    damaged = list(lines)
    damaged[row] = "\t".join(damaged[row].split("\t")[:3])  # a row with missing columns
    variants["2020-12-03"] = ("\n".join(damaged), row + 1)
    damaged = list(lines)
    damaged[row] = damaged[row].replace("경 제 분 야", "우 주 분 야", 1)  # an unknown field label
    variants["2020-12-04"] = ("\n".join(damaged), row + 1)
    damaged = list(lines)
    parts = damaged[row].split("\t")
    damaged[row] = "\t".join(parts[:2] + ["제5호?"] + parts[3:])  # a pledge code in an unexpected form
    variants["2020-12-05"] = ("\n".join(damaged), row + 1)
    return variants


DAMAGED = damaged_variants()


def damaged_name(date: str) -> str:
    return f"damaged {date}.txt"


def full_width(text: str, date: str) -> str:
    """The report on `date`, its header date and its pledge codes (`５-１`) in full-width forms."""
    y, m, d = date.split("-")
    width = str.maketrans("0123456789.-", "０１２３４５６７８９．－")
    header = "【" + "".join(f"{part.translate(width)}． " for part in (y, f"{int(m)}", f"{int(d)}")) + "】"
    lines = redated(text, date).replace(f"【{y}. {int(m)}. {int(d)}.】", header, 1).split("\n")
    assert header in "\n".join(lines)
    for i, line in enumerate(lines):
        cells = line.split("\t")
        if len(cells) == 5 and cells[0].isdigit():
            cells[2] = cells[2].translate(width)
            lines[i] = "\t".join(cells)
    return "\n".join(lines)


def fill_raw(ws: Workspace) -> None:
    """Every kind of file at once in raw/, beside the real report (put there by `make_workspace`)."""
    raw = ws.raw_dir
    # refused whole
    (raw / "empty.txt").write_bytes(b"")
    (raw / "junk.txt").write_bytes(os.urandom(2048) + b"\x00" * 16)
    (raw / "no header.txt").write_text(SEED_TEXT.replace("【2020. 12. 31.】", ""), encoding="utf-8")
    (raw / "undecodable.txt").write_bytes(bytes([0xFF, 0xFE, 0xFA, 0x80]) * 100)
    (raw / "folder.txt").mkdir()
    os.mkfifo(raw / "pipe.txt")
    (raw / "dangling.txt").symlink_to(ws.root / "nowhere.txt")
    (raw / "io error.txt").symlink_to("/proc/self/mem")  # read() fails with EIO, even as root
    late_nul = redated(SEED_TEXT, REFUSED_DATES[0])
    (raw / "late nul.txt").write_text(late_nul[:-100] + "\x00" + late_nul[-100:], encoding="utf-8")
    (raw / "two dates.txt").write_text(
        redated(SEED_TEXT, REFUSED_DATES[1]).replace("【2020. 10. 31.】", "【2020. 10. 31.】\n【2020. 9. 30.】", 1),
        encoding="utf-8",
    )
    # odd but good
    swapped = SEED_TEXT.translate(str.maketrans("•◦↳", "○○※"))
    utf8, bom_crlf, cp949 = ENCODED
    (raw / utf8).write_text(redated(swapped, ENCODED[utf8]), encoding="utf-8")
    (raw / bom_crlf).write_bytes(
        b"\xef\xbb\xbf" + redated(swapped, ENCODED[bom_crlf]).replace("\n", "\r\n").encode("utf-8")
    )
    (raw / cp949).write_bytes(redated(swapped, ENCODED[cp949]).replace("\n", "\r\n").encode("cp949"))
    (raw / QUOTED_NAME).write_text(redated(SEED_TEXT, GOOD[QUOTED_NAME]), encoding="utf-8")
    (raw / HOSTILE_NAME).write_text(redated(SEED_TEXT, GOOD[HOSTILE_NAME]), encoding="utf-8")
    (raw / FULL_WIDTH_NAME).write_text(full_width(SEED_TEXT, GOOD[FULL_WIDTH_NAME]), encoding="utf-8")
    (raw / UTF16_NAME).write_bytes(redated(SEED_TEXT, GOOD[UTF16_NAME]).encode("utf-16"))  # with its BOM
    # damaged: refused whole, or loaded with a parse issue
    for date, (text, _) in DAMAGED.items():
        (raw / damaged_name(date)).write_text(redated(text, date), encoding="utf-8")


@dataclass
class BadInputRun:
    ws: Workspace
    exit_code: int
    out: str
    err: str

    def refused_line(self, name: str) -> str | None:
        """The REFUSED line that names file `name`, and the line of it at fault if any (None: the file was not
        refused)."""
        names = re.compile(rf"REFUSED {re.escape(name)}(:\d+)?: ")
        return next((line for line in self.err.splitlines() if names.match(line)), None)

    def published(self) -> dict[str, int]:
        """Report date -> number of activities, of every published period."""
        with self.ws.connect() as con:
            return dict(con.execute("select report_date::varchar, n_events from marts.dim_period").fetchall())


@pytest.fixture(scope="module")
def module_monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.fixture(scope="module")
def bad_input(tmp_path_factory: pytest.TempPathFactory, module_monkeypatch: pytest.MonkeyPatch) -> BadInputRun:
    """`make run` once over a raw/ folder holding every kind of bad and odd file, its console captured
    (the REFUSED and WARNING lines go to sys.stderr, looked up as they are printed)."""
    ws = make_workspace(tmp_path_factory.mktemp("bad_input"), module_monkeypatch)
    fill_raw(ws)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        exit_code = ws.run()
    return BadInputRun(ws, exit_code, out.getvalue(), err.getvalue())


def test_refusal_gives_exit_1(bad_input):
    assert bad_input.exit_code == 1, bad_input.err


@pytest.mark.parametrize("name, reason", REFUSED.items())
def test_refused_files_are_named_with_their_reason(bad_input, name, reason):
    line = bad_input.refused_line(name)
    assert line is not None and reason in line, (name, reason, bad_input.err)


def test_a_nul_byte_at_the_start_refuses_a_file_too():
    from pipeline.raw.report_file import ReportFileError, decode_report

    with pytest.raises(ReportFileError, match="NUL"):
        decode_report(b"\x00" + SEED_TEXT.encode("utf-8"), "early.txt")  # the rule of late nul.txt, at any position


def test_good_periods_are_published_and_refused_ones_are_not(bad_input):
    published = bad_input.published()
    assert set(GOOD.values()) <= set(published), published
    assert set(published) <= set(GOOD.values()) | set(DAMAGED), published  # nothing of a refused file
    assert not set(REFUSED_DATES) & set(published)


def test_good_files_load_as_cleanly_as_each_alone(bad_input):
    """What a run of each good file alone showed by its exit 0: not refused, nor warned about, and no
    error-level parse issue in its period."""
    for name in GOOD:
        assert bad_input.refused_line(name) is None, (name, bad_input.err)
        assert f"WARNING {name}" not in bad_input.err, (name, bad_input.err)
    with bad_input.ws.connect() as con:
        errors = con.execute(
            "select report_date::varchar, source_line, message from staging.stg_parse_issues "
            "where severity = 'error' and report_date::varchar in (select unnest(?))",
            [list(GOOD.values())],
        ).fetchall()
    assert errors == []


def test_encodings_bom_crlf_and_cp949_load_like_utf8(bad_input):
    dates = list(ENCODED.values())
    per_period = {d: n for d, n in bad_input.published().items() if d in dates}
    with bad_input.ws.connect() as con:
        titles = con.execute(
            """
            select pledge_code, event_seq, title, count(distinct report_date) from marts.fct_events
            where report_date::varchar in (select unnest(?))
            group by pledge_code, event_seq, title having count(distinct report_date) <> 3
            """,
            [dates],
        ).fetchall()
    assert len(per_period) == 3 and len(set(per_period.values())) == 1, per_period
    assert titles == []  # the same activities, word for word, in all three encodings


def test_file_names_with_spaces_quotes_and_korean(bad_input):
    with bad_input.ws.connect() as con:
        source_files = dict(con.execute("select report_date::varchar, source_file from marts.dim_period").fetchall())
    assert source_files[GOOD[QUOTED_NAME]] == QUOTED_NAME
    for name, date in GOOD.items():  # every name as it is in raw/, markup and all
        assert source_files[date] == name, (date, source_files[date], name)


def test_full_width_codes_dates_and_header_read_like_ascii(bad_input):
    query = """
        select pledge_code, event_seq, title, start_date, end_date from marts.fct_events
        where report_date = ? order by all
    """
    with bad_input.ws.connect() as con:
        wide = con.execute(query, [GOOD[FULL_WIDTH_NAME]]).fetchall()
        plain = con.execute(query, [SEED_DATE]).fetchall()
    assert wide and wide == plain


def test_utf16_with_a_bom_loads(bad_input):
    published = bad_input.published()
    assert published[GOOD[UTF16_NAME]] == published[SEED_DATE], published


def test_damaged_reports_are_quarantined_not_half_loaded(bad_input):
    published = bad_input.published()
    with bad_input.ws.connect() as con:
        issues = con.execute(
            "select report_date::varchar, source_line, issue_kind, message from staging.stg_parse_issues"
        ).fetchall()
        accounted = con.execute(
            "select count(*) from marts.dim_period "
            "where n_items_as_event + n_items_as_detail + n_items_as_issue <> n_list_items"
        ).fetchone()[0]
    assert SEED_DATE in published
    assert accounted == 0  # every list item of every period is an activity, a detail or an issue
    # the issues the undamaged report has too (the same lines and kinds in its own period) are not the damage's
    undamaged = {(i[1], i[2]) for i in issues if i[0] == SEED_DATE}
    for date, (_, line) in DAMAGED.items():
        if date not in published:  # refused whole: allowed, by name, and then make run exits 1
            assert bad_input.refused_line(damaged_name(date)) is not None, (date, bad_input.err)
            continue
        mine = [i for i in issues if i[0] == date and i[2] != "date_after_report" and (i[1], i[2]) not in undamaged]
        assert mine, f"{date}: damage loaded without a parse issue"
        if line is not None:
            assert any(i[1] == line for i in mine), (date, line, mine)
    if not set(DAMAGED) <= set(published):
        assert bad_input.exit_code == 1


def test_a_hostile_file_name_stays_text_in_the_raw_report_metadata(bad_input):
    from dagster import DagsterInstance

    from pipeline.defs.assets.raw import RAW_REPORT
    from pipeline.report.preview import md_text

    with DagsterInstance.from_config(str(bad_input.ws.dagster_home)) as instance:
        event = instance.get_latest_materialization_event(RAW_REPORT)
    files = event.asset_materialization.metadata["files"].value
    assert md_text(HOSTILE_NAME) in files and "<b" not in files
