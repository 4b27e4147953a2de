"""Search over several municipalities and terms (pipeline/search/, docs/search.md "Cities and terms"):
testkit/cities.py's four SYNTHETIC series, whose activities are word for word the real report's, so only
the municipality, the term and the pledge tell two results apart."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest

from pipeline.search.__main__ import main
from pipeline.search.index import search
from testkit.cities import write_four_series
from testkit.workspace import REPO, Workspace

from .conftest import use_workspace

QUERY = "온두레 기자브리핑을"  # one activity of pledge 50: 2020 온두레공동체 사업 기자브리핑 ('19. 12. 24)
REAL_PLEDGE = "\t50\t전주 온두레 공동체 2.0\t"
OTHER_PLEDGE = "\t50\t군산 온두레 공동체 2.0\t"


@pytest.fixture(scope="module")
def four_series(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One warehouse of the four series (about 25 s). In the other city's report pledge 50 has a name of its
    own: the same code, the same activities, so only a join on the pledge itself shows the right name."""
    with pytest.MonkeyPatch.context() as mp:
        ws = use_workspace(tmp_path_factory.mktemp("cities"), mp)
        other = write_four_series(ws.raw_dir)["other_city"]
        text = other.read_text(encoding="utf-8")
        assert text.count(REAL_PLEDGE) == 3
        other.write_text(text.replace(REAL_PLEDGE, OTHER_PLEDGE), encoding="utf-8")
        assert ws.run() == 0
        yield ws


def test_identical_activities_of_two_cities_are_each_found_once_and_a_city_or_term_keeps_its_own(four_series, capsys):
    with four_series.connect() as con:
        everywhere = search(con, QUERY)
        macro = con.execute(
            "select event_key, municipality, term_number, pledge_name_ko from marts.search_activities(?)", [QUERY]
        ).fetchall()
        macro_gunsan = con.execute(
            "select municipality, term_number from marts.search_activities(?, municipality := '군 산 시')", [QUERY]
        ).fetchall()
        term8 = search(con, QUERY, term_number=8)
    best = [r for r in everywhere if r["title"].startswith("2020 온두레공동체 사업 기자브리핑")]
    # the same activity in each series, once each (three event_keys), its pledge named as that city names it
    assert len({r["event_key"] for r in best}) == len(best) == 3
    assert {(r["municipality"], r["term_number"], r["pledge_name_ko"]) for r in best} == {
        ("전주시", 7, "전주 온두레 공동체 2.0"),
        ("전주시", 8, "전주 온두레 공동체 2.0"),
        ("군산시", 7, "군산 온두레 공동체 2.0"),
    }
    assert len({r["event_key"] for r in everywhere}) == len(everywhere)  # no result repeated per city
    assert [(k, m, t, n) for k, m, t, n in macro] == [
        (r["event_key"], r["municipality"], r["term_number"], r["pledge_name_ko"]) for r in everywhere
    ]
    assert set(macro_gunsan) == {("군산시", 7)} and len(macro_gunsan) == len(everywhere) // 3
    assert {(r["municipality"], r["term_number"]) for r in term8} == {("전주시", 8)}
    assert [r["search_rank"] for r in term8] == list(range(1, len(term8) + 1))

    # make search CITY=... TERM=...: the limits reach it through the environment, the JSON names both
    env = {**os.environ, "PLEDGE_WAREHOUSE": str(four_series.warehouse)}
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "search", f"Q={QUERY}", "CITY=군산시", "TERM=7", "FORMAT=json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    gunsan = json.loads(done.stdout)
    assert {(r["municipality"], r["term_number"]) for r in gunsan} == {("군산시", 7)}
    assert len(gunsan) == len(everywhere) // 3
    assert {"event_key", "pledge_code", "event_seq", "report_date", "score"} <= gunsan[0].keys()
    assert gunsan[0]["title"].startswith("2020 온두레공동체 사업 기자브리핑")
    assert gunsan[0]["pledge_name_ko"] == "군산 온두레 공동체 2.0"

    # the text shows each result's municipality and term; a city with no report is refused, not searched
    assert main([QUERY, "--city", "전주시", "--term", "민선8기", "--limit", "1"]) == 0
    assert "전주시 민선8기 · 50 전주 온두레 공동체 2.0" in capsys.readouterr().out
    assert main([QUERY, "--city", "서울시"]) == 2
    assert "군산시, 전주시" in capsys.readouterr().err
