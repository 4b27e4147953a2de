"""`make search Q="어르신 일자리"`: the activities of the published warehouse that match, best first, with
why each matched; FORMAT=json prints one JSON array instead (`make -s search Q=... FORMAT=json`)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from pipeline import settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make search", description=__doc__)
    parser.add_argument("query", nargs="*", help="the query (default: PLEDGE_SEARCH_QUERY, as make sets it)")
    parser.add_argument("--format", choices=("text", "json"), default=os.environ.get("PLEDGE_SEARCH_FORMAT") or "text")
    parser.add_argument("--limit", type=int, default=None, help="at most this many (default: every match)")
    args = parser.parse_args(argv)
    query = " ".join(args.query) or os.environ.get("PLEDGE_SEARCH_QUERY", "")
    if not query.strip():
        print('Give a query: make search Q="어르신 일자리"', file=sys.stderr)
        return 2
    warehouse = settings.warehouse_path()
    if not warehouse.exists():
        print(f"No warehouse at {warehouse}: `make run` builds it.", file=sys.stderr)
        return 1
    import duckdb

    from pipeline.search.index import search

    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = search(con, query, args.limit)
    if args.format == "json":
        print(json.dumps(found, ensure_ascii=False, default=str, indent=1))
        return 0
    if not found:
        print(f"no activity matches {query!r}")
        return 0
    for r in found:
        print(f"{r['search_rank']:>4}. {r['title']}")
        print(
            f"      {r['pledge_code']} {r['pledge_name_ko'] or ''} · {r['start_date'] or '날짜 없음'} · "
            f"보고 {r['report_date']} · score {r['score']:.3f}"
        )
        print(f"      matched: {r['matched']}")
    print(f"{len(found)} activities match {query!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
