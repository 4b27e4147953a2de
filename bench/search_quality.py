"""Search quality on the judged queries (tests/search_judgements.jsonl), against substring search.

`python -m bench.search_quality [--warehouse PATH]` prints, per query and overall: recall in the top 50,
precision of the top 10, and the same for substring search (every word of the query in the text, as
the report's search box and a LIKE query did), over title, pledge name and venue, and with the detail
lines too. Substring search has no ranking: all it finds counts as its top 50. Precision of the top 10
counts relevant activities among the first min(10, number judged relevant) results, so a query with
three relevant activities can reach 1.0. Also the latency of each search (query analysis and SQL).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline import settings

JUDGEMENTS = Path(__file__).resolve().parent.parent / "tests" / "search_judgements.jsonl"
TOP_RECALL, TOP_PRECISION = 50, 10


@dataclass
class Judged:
    query: str
    kind: str
    relevant: set[str]  # event keys


def judgements(con: duckdb.DuckDBPyConnection, path: Path = JUDGEMENTS) -> list[Judged]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    header, rows = lines[0], lines[1:]
    keys = dict(
        con.execute(
            "select pledge_code || '/' || event_seq, event_key from marts.fct_events where report_date = ?",
            [header["report_date"]],
        ).fetchall()
    )
    return [Judged(r["query"], r["kind"], {keys[a] for a in r["relevant"]}) for r in rows]


def substring_search(con: duckdb.DuckDBPyConnection, query: str, *, details: bool) -> list[str]:
    """Every word of the query, as typed, somewhere in the activity's text."""
    text = "e.raw_text" if details else "e.title"
    words = query.lower().split()
    where = " and ".join(f"strpos(lower(concat_ws(' ', {text}, p.pledge_name_ko, e.venue_name)), ?) > 0" for _ in words)
    return [
        r[0]
        for r in con.execute(
            f"select e.event_key from marts.dim_event e left join marts.dim_pledge p using (pledge_code) where {where}",
            words,
        ).fetchall()
    ]


def recall(found: list[str], relevant: set[str], k: int = TOP_RECALL) -> float:
    return len(set(found[:k]) & relevant) / len(relevant)


def precision(found: list[str], relevant: set[str], k: int = TOP_PRECISION) -> float:
    n = min(k, len(relevant))
    return len(set(found[:n]) & relevant) / n


def timed_search(con: duckdb.DuckDBPyConnection, query: str) -> tuple[list[str], float]:
    """The event keys `make search` finds for `query`, best first, and the seconds it took (query analysis
    and SQL; the analyser loaded before, as `make search` loads it once per call)."""
    from pipeline.search.analyse import analyser
    from pipeline.search.index import search

    analyser()
    start = time.perf_counter()
    found = [r["event_key"] for r in search(con, query)]
    return found, time.perf_counter() - start


def measure(con: duckdb.DuckDBPyConnection) -> dict:
    rows = []
    for j in judgements(con):
        found, took = timed_search(con, j.query)
        plain = substring_search(con, j.query, details=False)
        plain_details = substring_search(con, j.query, details=True)
        rows.append(
            {
                "query": j.query,
                "kind": j.kind,
                "n_relevant": len(j.relevant),
                "n_found": len(found),
                "recall": recall(found, j.relevant),
                "precision": precision(found, j.relevant),
                "substring_recall": recall(plain, j.relevant, len(plain)),
                "substring_details_recall": recall(plain_details, j.relevant, len(plain_details)),
                "ms": took * 1000,
            }
        )
    mean = {k: statistics.mean(r[k] for r in rows) for k in rows[0] if isinstance(rows[0][k], float)}
    return {"queries": rows, "mean": mean, "median_ms": statistics.median(r["ms"] for r in rows)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, default=settings.warehouse_path())
    args = parser.parse_args()
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        result = measure(con)
    print(
        f"{'query':<22} {'kind':<14} {'rel':>4} {'found':>5} {'R@50':>5} {'P@10':>5} {'sub':>5} {'sub+d':>5} {'ms':>6}"
    )
    for r in result["queries"]:
        print(
            f"{r['query']:<22} {r['kind']:<14} {r['n_relevant']:>4} {r['n_found']:>5} {r['recall']:>5.2f} "
            f"{r['precision']:>5.2f} {r['substring_recall']:>5.2f} {r['substring_details_recall']:>5.2f} "
            f"{r['ms']:>6.1f}"
        )
    m = result["mean"]
    slowest = max(r["ms"] for r in result["queries"])
    print(
        f"mean over {len(result['queries'])} queries: recall@50 {m['recall']:.3f}, precision@10 {m['precision']:.3f}; "
        f"substring recall {m['substring_recall']:.3f} (title, pledge, venue), {m['substring_details_recall']:.3f} "
        f"(with details); search latency median {result['median_ms']:.1f} ms, max {slowest:.1f} ms"
    )


if __name__ == "__main__":
    main()
