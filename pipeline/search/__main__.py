"""`make search Q="어르신 일자리"`: the activities of the published warehouse that match, best first, with
why each matched; FORMAT=json prints one JSON array instead (`make -s search Q=... FORMAT=json`).
CITY=군산시 and TERM=7 limit the search to one municipality and one mayoral term (민선7기)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from pipeline import settings


def _term(value: str) -> int:
    """7, 민선7기 or 7기 -> 7: a term as a reader writes it."""
    digits = value.strip().removeprefix("민선").removesuffix("기").strip()
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"a term is its number (TERM=7 for 민선7기), not {value!r}")
    return int(digits)


def _published():
    """A read-only connection on the published warehouse, read as `make sql` reads it: in the shared
    deployment the DuckLake, through the read-only role when PLEDGE_READER_DSN is set (an analyst's
    machine needs no other setting); otherwise the warehouse file. LookupError: nothing published yet."""
    from pipeline.shared import lake, pg
    from pipeline.shared.config import reader_config

    cfg = reader_config()  # SharedConfigError for a setting that is not one
    if cfg is None:
        import duckdb

        warehouse = settings.warehouse_path()
        if not warehouse.is_file():
            raise LookupError(f"No warehouse at {warehouse}: `make run` builds it.")
        return duckdb.connect(str(warehouse), read_only=True)
    pg.check(cfg.read_dsn)  # a refused credential: one line naming the role and the server
    try:
        return lake.connect_reader(cfg)
    except lake.LakeMissingError:
        raise LookupError("Nothing is published in the shared warehouse yet: `make run` builds it.") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make search", description=__doc__)
    parser.add_argument("query", nargs="*", help="the query (default: PLEDGE_SEARCH_QUERY, as make sets it)")
    parser.add_argument("--format", choices=("text", "json"), default=os.environ.get("PLEDGE_SEARCH_FORMAT") or "text")
    parser.add_argument("--limit", type=int, default=None, help="at most this many (default: every match)")
    parser.add_argument(
        "--city",
        default=os.environ.get("PLEDGE_SEARCH_CITY") or None,
        help="only this municipality's activities, as its reports name it, 군산시 (default: PLEDGE_SEARCH_CITY)",
    )
    parser.add_argument(
        "--term",
        type=_term,
        default=os.environ.get("PLEDGE_SEARCH_TERM") or None,
        help="only this mayoral term's activities: 7 for 민선7기 (default: PLEDGE_SEARCH_TERM)",
    )
    args = parser.parse_args(argv)
    query = " ".join(args.query) or os.environ.get("PLEDGE_SEARCH_QUERY", "")
    if not query.strip():
        print('Give a query: make search Q="어르신 일자리"', file=sys.stderr)
        return 2
    city = "".join(args.city.split()) if args.city else None  # 군 산 시, as a report prints it, is 군산시
    from pipeline.search.index import search
    from pipeline.shared import lake, pg
    from pipeline.shared.config import SharedConfigError

    try:
        con = _published()
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (SharedConfigError, pg.AccessError, lake.LakeError) as exc:  # a setting, role or server it cannot use
        print(exc, file=sys.stderr)
        return 2
    with con:
        # a misspelt city or a term the warehouse has no report of would find nothing, silently
        series = con.execute("select distinct municipality, term_number from marts.mart_search_documents").fetchall()
        if city is not None and city not in {m for m, _ in series}:
            known = ", ".join(sorted({m for m, _ in series}))
            print(f"No report of {city!r} in the warehouse; its municipalities: {known}", file=sys.stderr)
            return 2
        if args.term is not None and args.term not in {t for m, t in series if city in (None, m)}:
            known = ", ".join(f"{t}" for t in sorted({t for m, t in series if city in (None, m)}))
            print(
                f"No report of term {args.term} {f'of {city} ' if city else ''}in the warehouse; its terms: {known}",
                file=sys.stderr,
            )
            return 2
        found = search(con, query, args.limit, municipality=city, term_number=args.term)
    if args.format == "json":
        print(json.dumps(found, ensure_ascii=False, default=str, indent=1))
        return 0
    scope = " ".join(filter(None, [city, f"민선{args.term}기" if args.term is not None else None]))
    asked = f"{query!r}" + (f" in {scope}" if scope else "")
    if not found:
        print(f"no activity matches {asked}")
        return 0
    for r in found:
        print(f"{r['search_rank']:>4}. {r['title']}")
        print(
            f"      {r['municipality']} 민선{r['term_number']}기 · {r['pledge_code']} {r['pledge_name_ko'] or ''} · "
            f"{r['start_date'] or '날짜 없음'} · 보고 {r['report_date']} · score {r['score']:.3f}"
        )
        print(f"      matched: {r['matched']}")
    print(f"{len(found)} activities match {asked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
