"""The search index in the warehouse, and the one ranking every front end uses.

After dbt, `build()` makes, in the run's working database:
- DuckDB's full-text index (the `fts` extension, loaded by path from its PyPI package) over
  `marts.mart_search_documents`, whose columns hold lemmas already: the index only splits them on
  spaces (no stemmer, no stopwords, and an `ignore` pattern that keeps Hangul);
- `marts.search_weights`: the index's BM25 weight of every (activity, text field, lemma), times the
  field's boost. It is the index in a form SQL, Python and the offline page read alike;
- `marts.search_vocabulary`: every lemma that can match (the index's and the synonym seed's), with its BM25
  IDF where the index has it;
- the macros `marts.search_tokens(tokens)` (ranking) and `marts.search_activities(q)` (a raw query), each
  with the optional limits `municipality :=` and `term_number :=`.

Ranking (`search_tokens`): each query lemma is expanded through its synonym groups (seed
`search_synonyms`); an activity scores, per query lemma, its best matching alternative (a synonym
at SYNONYM_FACTOR of its own weight, its IDF capped at the query lemma's); activities are ordered by
how many query lemmas they match, then by how many of those their own title names, then by score.
Every match is kept. Spacing both ways: a query lemma that is two known lemmas joined is asked as its two
parts (each also matching the whole), and two query lemmas whose join is a known lemma also match the join.
"""

from __future__ import annotations

import duckdb

from pipeline.load.staging import SEARCH_FIELDS

DOCUMENTS = "marts.mart_search_documents"
FTS_SCHEMA = "fts_marts_mart_search_documents"  # the fts extension's name for the index of DOCUMENTS
SYNONYMS = "vocab.search_synonyms"
# A match in the activity's own title outweighs one in its pledge's name, venue or detail lines.
FIELD_BOOST = {"title": 2.0, "pledge": 1.0, "venue": 1.0, "detail": 1.0}
# A word of the query's group counts at this share of its own BM25 weight, and with its IDF capped at the word
# asked's: a rare synonym (아카데미, 협의) does not outrank the common word asked (워크숍, 회의) for being rare.
SYNONYM_FACTOR = 0.8
# fts's BM25 parameters (its defaults, as match_bm25 uses them)
BM25_K, BM25_B = 1.2, 0.75
assert set(FIELD_BOOST) == set(SEARCH_FIELDS)

# A raw query's words into lemmas without the analyser (SQL and the offline page): a word that is a
# known lemma is that lemma; otherwise the known lemmas of two syllables or more inside it, the
# longest ones only (설명회를 -> 설명회, 마을공동체 -> 마을 + 공동체, 일자리를 -> 일자리 not 일 or 자리).
WORD_SPLIT = r"[^0-9a-z가-힣]+"


def _boost_sql() -> str:
    return "case text_field " + " ".join(f"when '{f}' then {b}" for f, b in FIELD_BOOST.items()) + " end"


def build(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The index, weights, vocabulary and macros, made anew over the current documents."""
    from pipeline.shared.extensions import extension_path

    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute(f"LOAD '{extension_path('fts')}'")
    columns = ", ".join(f"'{f}_tokens'" for f in SEARCH_FIELDS)
    con.execute(
        f"PRAGMA create_fts_index('{DOCUMENTS}', 'event_key', {columns}, stemmer='none', stopwords='none', "
        r"ignore='(\.|[^a-z0-9가-힣])+', strip_accents=0, lower=0, overwrite=1)"
    )
    # BM25 exactly as the extension's match_bm25 computes it for a one-lemma query restricted to
    # one field (tests/test_search.py compares them), for every lemma of every document at once
    con.execute(f"""
        create or replace table marts.search_weights as
        with tf as (
            select docs.name as event_key, replace(fields.field, '_tokens', '') as text_field,
                   dict.term as token, count(*) as tf, any_value(dict.df) as df, any_value(docs.len) as len
            from {FTS_SCHEMA}.terms terms
            join {FTS_SCHEMA}.docs docs using (docid)
            join {FTS_SCHEMA}.dict dict using (termid)
            join {FTS_SCHEMA}.fields fields on fields.fieldid = terms.fieldid
            group by all
        ),
        stats as (select num_docs, avgdl from {FTS_SCHEMA}.stats)
        select tf.event_key, d.municipality, d.term_number, text_field, token,
               log((num_docs - df + 0.5) / (df + 0.5) + 1)
                 * (tf * ({BM25_K} + 1) / (tf + {BM25_K} * (1 - {BM25_B} + {BM25_B} * len / avgdl))) as bm25,
               bm25 * ({_boost_sql()}) as weight
        from tf
        -- each weight carries its activity's municipality and term, so a search limited to one city
        -- or term filters the weights themselves rather than joining every match to the documents
        -- not sorted by token: at 1,002 reports the sort cost a run 1.9 s and saved a search about 20 ms
        join {DOCUMENTS} d on d.event_key = tf.event_key, stats
    """)
    con.execute(f"""
        create or replace table marts.search_vocabulary as
        select token, max(idf) as idf from (
            select dict.term as token, log((num_docs - dict.df + 0.5) / (dict.df + 0.5) + 1) as idf
            from {FTS_SCHEMA}.dict dict, {FTS_SCHEMA}.stats
            union all select term, null from {SYNONYMS}
        ) group by token order by token
    """)
    create_macros(con)
    return {
        "documents": con.execute(f"select count(*) from {DOCUMENTS}").fetchone()[0],
        "weights": con.execute("select count(*) from marts.search_weights").fetchone()[0],
        "vocabulary": con.execute("select count(*) from marts.search_vocabulary").fetchone()[0],
    }


def create_macros(con: duckdb.DuckDBPyConnection, *, temporary: bool = False) -> None:
    """The search macros in `marts`, or, `temporary`, as this connection's own: a DuckLake keeps tables and
    no macros, so a reader of the shared warehouse makes them on its connection (`make search`, `make sql`)."""
    for statement in macro_statements(temporary=temporary):
        con.execute(statement)


def ensure_macros(con: duckdb.DuckDBPyConnection) -> str:
    """The macros on a connection to the published warehouse: the file's own, or made for this connection;
    returns how to name them there (`marts.` or nothing)."""
    found = con.execute(
        "select schema_name from duckdb_functions() where function_name = 'search_tokens' limit 1"
    ).fetchone()
    if found is None:
        create_macros(con, temporary=True)
        return ""
    return "marts." if found[0] == "marts" else ""


def macro_statements(*, temporary: bool = False) -> list[str]:
    """The statements that make the macros (in `marts`, or temporary ones that read `marts` on the search path
    of a connection whose default catalog is the lake)."""
    create, at = ("create or replace temp macro ", "") if temporary else ("create or replace macro ", "marts.")
    return [
        f"""
        {create}{at}search_tokens(query_tokens, municipality := null, term_number := null) as table
        -- (in this body an unqualified municipality or term_number is the parameter: columns are qualified)
        with asked as (select distinct unnest(query_tokens) as token),
        -- a lemma that is two known lemmas joined (마을버스) is asked as its parts, each also matching
        -- the whole; two lemmas asked whose join is known (마을 버스) also match the join
        splits as (
            select asked.token as whole, a.token as head, b.token as tail
            from asked
            join marts.search_vocabulary a
              on length(a.token) >= 2 and length(a.token) <= length(asked.token) - 2
             and starts_with(asked.token, a.token)
            join marts.search_vocabulary b on b.token = substr(asked.token, length(a.token) + 1)
        ),
        q as (
            select token as query_token from asked where token not in (select whole from splits)
            union select head from splits union select tail from splits
        ),
        same_words as (
            select head as query_token, whole as term from splits
            union select tail, whole from splits
            union select a.query_token, v.token from q a join q b on a.query_token <> b.query_token
                join marts.search_vocabulary v on v.token = a.query_token || b.query_token
            union select b.query_token, v.token from q a join q b on a.query_token <> b.query_token
                join marts.search_vocabulary v on v.token = a.query_token || b.query_token
        ),
        alternatives as (
            select query_token, term, max(factor) as factor from (
                select query_token, query_token as term, 1.0 as factor from q
                union all
                select query_token, term, 1.0 from same_words
                union all
                select q.query_token, s2.term, {SYNONYM_FACTOR} from q
                join {SYNONYMS} s1 on s1.term = q.query_token
                join {SYNONYMS} s2 on s2.group_code = s1.group_code and s2.term <> s1.term
            ) group by all
        ),
        -- a synonym's IDF counts at most as the word asked's: a rare word of the group does not outrank the
        -- common word asked for being rare (a compound's parts and joins are the word itself, uncapped)
        capped as (
            select a.query_token, a.term,
                   a.factor * case when a.factor < 1 then coalesce(least(1.0, qv.idf / tv.idf), 1.0) else 1.0 end
                   as factor
            from alternatives a
            left join marts.search_vocabulary qv on qv.token = a.query_token
            left join marts.search_vocabulary tv on tv.token = a.term
        ),
        hits as (
            select a.query_token, w.event_key, a.term, sum(w.weight) * any_value(a.factor) as score,
                   bool_or(w.text_field = 'title') as in_title,
                   -- the lists are sorted after aggregating: an ordered aggregate (string_agg ... order by)
                   -- sorts per group and was most of a search's time at 50 cities
                   array_to_string(list_sort(list(w.text_field)), ',') as fields
            from capped a join marts.search_weights w on w.token = a.term
            -- the optional limits: a municipality as the reports name it (spaces dropped, 군 산 시 = 군산시)
            -- and a term (민선 N기's N); the BM25 weights stay those of the whole warehouse
            where (municipality is null or w.municipality = replace(municipality, ' ', ''))
              and (term_number is null or w.term_number = term_number)
            group by all
        ),
        per_token as (
            select event_key, query_token, max(score) as score, bool_or(in_title) as in_title,
                   array_to_string(list_transform(list_sort(list({{
                       'score': -score, 'term': term,
                       'said': case when term = query_token then term else query_token || '→' || term end
                               || ' (' || fields || ')'
                   }})), lambda x: x.said), ', ') as matched
            from hits group by all
        ),
        per_activity as (
            select event_key,
                   count(*) as n_terms_matched,
                   count(*) filter (where in_title) as n_terms_in_title,
                   sum(score) as score,
                   array_to_string(list_transform(list_sort(list({{'token': query_token, 'said': matched}})),
                                                  lambda x: x.said), '; ') as matched
            from per_token group by event_key
        )
        -- the score rounded: a sum's last bits depend on the order a parallel aggregate adds in, and must
        -- not decide between two cities' word-for-word identical activities (event_key does)
        select row_number() over (
                   order by n_terms_matched desc, n_terms_in_title desc, round(score, 9) desc, event_key
               ) as search_rank, *
        from per_activity
    """,
        f"""
        {create}{at}search_query_tokens(q) as (
            with words as (
                select distinct unnest(string_split_regex(lower(q), '{WORD_SPLIT}')) as word
            ),
            found as (
                select w.word, v.token from words w join marts.search_vocabulary v
                on v.token = w.word or (length(v.token) >= 2 and contains(w.word, v.token))
            )
            select coalesce(list(distinct f.token order by f.token), [])
            from found f
            where f.word <> '' and not exists (
                select 1 from found g where g.word = f.word and g.token <> f.token and contains(g.token, f.token)
            )
        )
    """,
        f"""
        {create}{at}search_activities(q, municipality := null, term_number := null) as table
        select s.search_rank, s.event_key, e.municipality, e.term_number, e.pledge_code, e.event_seq,
               e.last_report_date as report_date, e.title, p.pledge_name_ko, s.n_terms_matched,
               s.n_terms_in_title, s.score, s.matched
        from {at}search_tokens({at}search_query_tokens(q), municipality := municipality,
                                 term_number := term_number) s
        join marts.dim_event e using (event_key)
        -- pledge codes repeat across cities and terms: the pledge is the activity's own (pledge_key)
        left join marts.dim_pledge p on p.pledge_key = e.pledge_key
        order by s.search_rank
    """,
    ]


def search(
    con: duckdb.DuckDBPyConnection,
    query: str,
    limit: int | None = None,
    municipality: str | None = None,
    term_number: int | None = None,
) -> list[dict]:
    """Activities for `query`, best first: the query analysed by the texts' analyser, then ranked by
    `marts.search_tokens`; only those of `municipality` and `term_number` when given."""
    from pipeline.search.analyse import lemmas, unique

    tokens = unique(lemmas(query))
    if not tokens:
        return []
    at = ensure_macros(con)
    # the limit before the joins: with many cities a broad query matches thousands of activities
    ranked = f"select * from {at}search_tokens(?::varchar[], municipality := ?::varchar, term_number := ?::integer)"
    if limit:
        ranked += f" order by search_rank limit {int(limit)}"
    cursor = con.execute(
        f"""
        select s.search_rank, s.event_key, e.municipality, e.term_number, e.pledge_code, e.event_seq,
               e.last_report_date as report_date, e.title, p.pledge_name_ko, e.start_date, s.n_terms_matched,
               s.n_terms_in_title, round(s.score, 4) as score, s.matched
        from ({ranked}) s
        join marts.dim_event e using (event_key)
        left join marts.dim_pledge p on p.pledge_key = e.pledge_key
        order by s.search_rank
        """,
        [tokens, municipality, term_number],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def page_index(con: duckdb.DuckDBPyConnection) -> dict:
    """The index as the offline page's search box reads it (pipeline/report/page.py): per lemma, its
    (activity, field, weight) postings; the synonym groups; the lemmas a query word is looked up in;
    and the ranking's constants. Empty where the warehouse has no index (built before search)."""
    have = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = 'search_weights'"
    ).fetchone()[0]
    if not have:
        return {}
    postings: dict[str, list] = {}
    fields = list(SEARCH_FIELDS)
    for token, event_key, text_field, weight in con.execute(
        "select token, event_key, text_field, weight from marts.search_weights order by token, event_key, text_field"
    ).fetchall():
        postings.setdefault(token, []).append([event_key, fields.index(text_field), round(weight, 6)])
    synonyms: dict[str, list[str]] = {}
    for term, others in con.execute(f"""
        select s1.term, list(distinct s2.term order by s2.term)
        from {SYNONYMS} s1 join {SYNONYMS} s2 on s2.group_code = s1.group_code and s2.term <> s1.term
        group by s1.term order by s1.term
    """).fetchall():
        synonyms[term] = others
    vocabulary, idf = [], {}
    for token, token_idf in con.execute("select token, idf from marts.search_vocabulary order by token").fetchall():
        vocabulary.append(token)
        if token_idf is not None:
            idf[token] = round(token_idf, 6)
    return {
        "fields": fields,
        "synonym_factor": SYNONYM_FACTOR,
        "word_split": WORD_SPLIT,
        "postings": postings,
        "synonyms": synonyms,
        "vocabulary": vocabulary,
        "idf": idf,
    }
