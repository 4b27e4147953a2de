"""Korean search (pipeline/search/): the analyser, the synonym seed, the index in the real warehouse,
`make search` and the SQL macro. The report's search box is tested in the browser in tests/test_report.py
(test_typing_a_query_shows_what_make_search_finds_best_first); the measured figures are in docs/search.md
(`python -m bench.search_quality`)."""

from __future__ import annotations

import csv
import json
import os
import subprocess

import duckdb
import pytest

from bench.search_quality import measure
from pipeline.load.staging import SEARCH_FIELDS
from pipeline.search.analyse import lemmas, lemmas_of
from pipeline.search.index import SYNONYM_FACTOR, create_macros, search
from pipeline.shared.extensions import extension_path
from testkit.workspace import REPO

SEED = REPO / "dbt_project" / "seeds" / "search_synonyms.csv"


def with_object_particle(word: str) -> str:
    """`word` as a sentence's object: 아이를, 농업인을 (을 after a final consonant)."""
    last = word[-1]
    return word + ("을" if "가" <= last <= "힣" and (ord(last) - ord("가")) % 28 else "를")


def test_every_term_of_the_synonym_seed_is_a_lemma_the_analyser_gives():
    """Alone or as an object: Kiwi reads a lone 아이 as an interjection, 아이를 as the noun."""
    rows = list(csv.DictReader(SEED.open(encoding="utf-8")))
    terms = [r["term"] for r in rows]
    alone, as_object = lemmas_of(terms), lemmas_of([with_object_particle(t) for t in terms])
    missing = [(t, a, b) for t, a, b in zip(terms, alone, as_object) if t not in a and t not in b]
    assert not missing, missing
    assert len({r["group_code"] for r in rows}) >= 20 and {r["group_kind"] for r in rows} == {
        "citizens",
        "meeting",
        "activity",
        "topic",
    }


def test_particles_and_endings_fall_away_and_compounds_split_with_or_without_the_space():
    assert lemmas("주민들과 설명회를 개최했습니다") == ["주민", "설명회", "개최"]
    assert lemmas("일자리를 운영하는 협약을") == ["일자리", "운영", "협약"]
    assert lemmas("마을공동체") == lemmas("마을 공동체") == ["마을", "공동체"]
    assert lemmas("비대면") == ["비대면"]  # a prefix stays with its noun: not 대면, its opposite
    # a compound Kiwi keeps whole as an unknown word is followed by its known parts
    assert {"한옥", "마을", "공동체"} <= set(lemmas("한옥마을비빔공동체"))
    assert lemmas("오리엔테이션") == ["오리엔테이션"]  # a word it knows is never cut


def test_a_rarer_word_of_the_group_counts_with_the_idf_of_the_word_asked():
    """The ranking macro on three hand-made weights: a synonym rarer than the word asked (a higher IDF, so a
    higher BM25 weight) counts with the asked word's IDF, so it does not outrank the word asked; a commoner one
    keeps its own weight. Both at SYNONYM_FACTOR."""
    con = duckdb.connect()
    con.execute("create schema marts; create schema vocab")
    con.execute("create table vocab.search_synonyms (group_code varchar, group_kind varchar, term varchar)")
    con.execute(
        "insert into vocab.search_synonyms values ('training', 'activity', '워크숍'), "
        "('training', 'activity', '아카데미'), ('training', 'activity', '교육')"
    )
    con.execute(
        "create table marts.search_vocabulary as "
        "select token, idf::double as idf from (values ('워크숍', 1.0), ('아카데미', 3.0), ('교육', 0.5)) v(token, idf)"
    )
    con.execute(
        "create table marts.search_weights as select * replace (weight::double as weight) from (values "
        "('asked', '전주시', 7, 'title', '워크숍', 2.0), ('rarer', '전주시', 7, 'title', '아카데미', 6.0), "
        "('commoner', '전주시', 7, 'title', '교육', 1.0)"
        ") w(event_key, municipality, term_number, text_field, token, weight)"
    )
    create_macros(con)
    ranked = con.execute(
        "select event_key, round(score, 6) from marts.search_tokens(['워크숍']) order by search_rank"
    ).fetchall()
    assert ranked == [
        ("asked", 2.0),
        ("rarer", round(6.0 * SYNONYM_FACTOR * 1.0 / 3.0, 6)),  # not 4.8, above the word asked
        ("commoner", round(1.0 * SYNONYM_FACTOR, 6)),  # never raised to the asked word's IDF
    ]


def test_the_index_weights_are_the_full_text_index_bm25(built_warehouse):
    """marts.search_weights (what SQL, make search and the page rank by) is what fts's match_bm25 gives."""
    rows = []
    with built_warehouse.connect() as con:
        con.execute(f"LOAD '{extension_path('fts')}'")
        for token in ("간담회", "어르신", "공동체", "전주"):
            for field in SEARCH_FIELDS:  # match_bm25 takes its query and fields as constants
                rows += con.execute(
                    f"""select w.bm25, fts_marts_mart_search_documents.match_bm25(w.event_key, '{token}',
                                                                                fields := '{field}_tokens')
                        from marts.search_weights w where w.token = '{token}' and w.text_field = '{field}'"""
                ).fetchall()
    assert len(rows) > 50
    assert all(theirs is not None and abs(mine - theirs) < 1e-9 for mine, theirs in rows), rows[:3]


def make_search_json(warehouse, *variables: str) -> list[dict]:
    """`make -s search ... FORMAT=json` against `warehouse` (the limits reach it through make's variables
    and the environment): the one JSON array it prints."""
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "search", *variables, "FORMAT=json"],
        cwd=REPO,
        env={**os.environ, "PLEDGE_WAREHOUSE": str(warehouse)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_make_search_json_is_one_array_best_first(built_warehouse):
    found = make_search_json(built_warehouse.warehouse, "Q=어르신 일자리를")
    assert len(found) > 5
    assert {"event_key", "pledge_code", "event_seq", "report_date", "score", "matched"} <= found[0].keys()
    assert [r["search_rank"] for r in found] == list(range(1, len(found) + 1))
    # the best names both words, one of them through its group (노인일자리 for 어르신 일자리)
    assert found[0]["n_terms_matched"] == 2 and "어르신→" in found[0]["matched"]


def test_the_sql_macro_finds_what_make_search_finds(built_warehouse):
    with built_warehouse.connect() as con:
        for query in ("설명회를", "소상공인들의", "마을 공동체"):
            macro = [r[0] for r in con.execute("select event_key from marts.search_activities(?)", [query]).fetchall()]
            assert macro == [r["event_key"] for r in search(con, query)], query


def test_a_judged_query_never_finds_nothing_and_search_finds_more_than_substrings(built_warehouse):
    """On this branch's judged queries (tests/search_judgements.jsonl). The figures themselves are in
    docs/search.md, not asserted: they are measurements."""
    with built_warehouse.connect() as con:
        result = measure(con)
    assert len(result["queries"]) >= 25
    assert not [r["query"] for r in result["queries"] if r["n_found"] == 0]
    assert result["mean"]["recall"] > result["mean"]["substring_details_recall"]


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_query_is_refused(query):
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "pipeline.search", query],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "make search" in done.stderr
