"""Score activity records against the hand-annotated gold set (../shared/gold/dev.jsonl).

    python -m pipeline.evaluate                       # parse the real report directly
    python -m pipeline.evaluate --warehouse PATH      # read marts.fct_events (read_only)

Events are mappings with the columns of `marts.fct_events`: pledge_code, event_seq,
title, start_date, start_precision, end_date, end_precision, attendee_count,
attendee_is_approx, attendee_kind, venue_name, is_online, format_code. A gold value "?" is left out
of every metric. Exits non-zero when a metric misses its target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_GOLD = REPO.parent / "shared" / "gold" / "dev.jsonl"
DEFAULT_REPORT = REPO / "raw" / "jeonju_pledge_communication_2020-12-31.txt"
UNDECIDED = "?"
ONLINE = "online"

# metric -> target share (gold as a whole)
TARGETS: dict[str, float] = {
    "segmentation": 0.98,
    "start": 0.97,
    "end": 0.96,
    "people_all": 0.98,
    "people_stated": 0.95,
    "approx": 0.95,
    "attendee_kind": 0.85,
    "format": 0.88,
    "venue_recall": 0.90,
    "venue_precision": 0.90,
}
EVENT_COLUMNS = (
    "pledge_code",
    "event_seq",
    "title",
    "start_date",
    "start_precision",
    "end_date",
    "end_precision",
    "attendee_count",
    "attendee_is_approx",
    "attendee_kind",
    "venue_name",
    "is_online",
    "format_code",
)

_NORMALISE = re.compile(r"[\s\W_]+")
_PREFIX = 12  # characters of normalised title that must agree


@dataclass
class Metric:
    name: str
    n: int = 0
    hits: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        self.n += 1
        if ok:
            self.hits += 1
        else:
            self.misses.append(what)

    @property
    def share(self) -> float:
        return self.hits / self.n if self.n else 1.0


@dataclass
class EvalResult:
    metrics: dict[str, Metric]

    def failed(self) -> list[str]:
        return [name for name, target in TARGETS.items() if self.metrics[name].share < target]

    def report(self, show_misses: bool = True) -> str:
        lines = []
        for name, m in self.metrics.items():
            target = TARGETS.get(name)
            flag = "" if target is None else ("  ok" if m.share >= target else f"  BELOW TARGET {target:.0%}")
            lines.append(f"{name:16s} {m.hits:4d}/{m.n:<4d} {m.share:7.1%}{flag}")
        if show_misses:
            for name, m in self.metrics.items():
                if m.misses:
                    lines.append(f"\n{name} misses:")
                    lines.extend(f"  {miss}" for miss in m.misses)
        return "\n".join(lines)


def normalise_text(text: str | None) -> str:
    return _NORMALISE.sub("", text or "").lower()


def titles_match(ours: str | None, gold: str | None) -> bool:
    a, b = normalise_text(ours), normalise_text(gold)
    k = min(len(a), len(b), _PREFIX)
    return k > 0 and a[:k] == b[:k]


def gold_date(value: str | None) -> tuple[dt.date, str] | None:
    if value is None:
        return None
    parts = [int(p) for p in value.split("-")]
    precision = {1: "year", 2: "month", 3: "day"}[len(parts)]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1), precision


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def _ours_date(event: Mapping, which: str) -> tuple[dt.date, str] | None:
    value = _as_date(event.get(f"{which}_date"))
    return None if value is None else (value, event.get(f"{which}_precision"))


def _show_date(d: tuple[dt.date, str] | None) -> str:
    if d is None:
        return "null"
    value, precision = d
    return {"year": f"{value:%Y}", "month": f"{value:%Y-%m}"}.get(precision, f"{value:%Y-%m-%d}")


def venue_matches(ours: str | None, gold: str) -> bool:
    a, b = normalise_text(ours), normalise_text(gold)
    return bool(a and b) and (a in b or b in a)


def load_gold(path: Path) -> list[dict]:
    if not Path(path).exists():
        raise SystemExit(
            f"{path}: gold annotations not found (expected ../shared/gold/dev.jsonl beside the repo): "
            "make eval GOLD=PATH, or python -m pipeline.evaluate --gold PATH"
        )
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def score(events: Iterable[Mapping], gold_rows: Iterable[Mapping]) -> EvalResult:
    by_pledge: dict[str, list[Mapping]] = defaultdict(list)
    for e in events:
        by_pledge[str(e["pledge_code"])].append(e)
    for evs in by_pledge.values():
        evs.sort(key=lambda e: e["event_seq"])
    gold_by_pledge: dict[str, list[Mapping]] = defaultdict(list)
    for g in gold_rows:
        gold_by_pledge[str(g["pledge_code"])].append(g)

    names = [
        "segmentation",
        "start",
        "end",
        "people_all",
        "people_stated",
        "approx",
        "attendee_kind",
        "format",
        "venue_recall",
        "venue_precision",
    ]
    m = {name: Metric(name) for name in names}

    for code, golds in gold_by_pledge.items():
        golds.sort(key=lambda g: g["event_seq"])
        ours = by_pledge.get(code, [])
        seq_ok = len(ours) == len(golds) and all(
            o["event_seq"] == g["event_seq"] and titles_match(o["title"], g["text"]) for o, g in zip(ours, golds)
        )
        m["segmentation"].add(
            seq_ok,
            f"pledge {code}: {len(ours)} events, gold {len(golds)}"
            + ("" if len(ours) != len(golds) else " (titles differ)"),
        )
        ours_by_seq = {o["event_seq"]: o for o in ours}
        for g in golds:
            o = ours_by_seq.get(g["event_seq"])
            if o is None or not titles_match(o["title"], g["text"]):
                o = next((x for x in ours if titles_match(x["title"], g["text"])), None)
            _score_event(m, code, g, o)
    return EvalResult(m)


def _score_event(m: dict[str, Metric], code: str, g: Mapping, o: Mapping | None) -> None:
    where = f"{code}#{g['event_seq']} {g['text'][:28]}"
    if o is None:
        for name in m:
            if name != "segmentation":
                m[name].add(False, f"{where}: no matching event")
        return
    for which in ("start", "end"):
        if g[which] != UNDECIDED:
            want, got = gold_date(g[which]), _ours_date(o, which)
            m[which].add(want == got, f"{where}: {_show_date(got)} want {_show_date(want)}")
    if g["attendees"] != UNDECIDED:
        got = o.get("attendee_count")
        m["people_all"].add(got == g["attendees"], f"{where}: {got} want {g['attendees']}")
        if g["attendees"] is not None:
            m["people_stated"].add(got == g["attendees"], f"{where}: {got} want {g['attendees']}")
    if g.get("attendees_approx", UNDECIDED) != UNDECIDED:
        got = bool(o.get("attendee_is_approx"))
        m["approx"].add(got == g["attendees_approx"], f"{where}: {got} want {g['attendees_approx']}")
    # the kind of a stated figure (gold: null when there is no figure, "?" when undecidable)
    if g.get("attendees_kind") not in (None, UNDECIDED) and g["attendees"] not in (None, UNDECIDED):
        got = o.get("attendee_kind")
        m["attendee_kind"].add(got == g["attendees_kind"], f"{where}: {got} want {g['attendees_kind']}")
    if g["format"] != UNDECIDED:
        m["format"].add(o.get("format_code") == g["format"], f"{where}: {o.get('format_code')} want {g['format']}")

    venue, online = o.get("venue_name"), bool(o.get("is_online"))
    shown = ("online" if online else "") + (f" {venue}" if venue else "")
    gv = g["venue"]
    if gv not in (None, UNDECIDED):
        found = online if gv == ONLINE else venue_matches(venue, gv)  # the place itself, not any place
        m["venue_recall"].add(found, f"{where}: {shown or 'null'} want {gv}")
    if (venue is not None or online) and gv != UNDECIDED:
        if gv is None:
            right = False
        elif gv == ONLINE:
            right = online
        else:
            right = venue_matches(venue, gv)
        m["venue_precision"].add(right, f"{where}: {shown.strip()} want {gv}")


def events_from_report(report: Path) -> list[dict]:
    from pipeline.parse.report import parse_report_text
    from pipeline.raw.report_file import read_report

    info, text = read_report(report)
    parsed = parse_report_text(text, source_file=info.file_name, report_date=info.report_date)
    return [{k: getattr(e, k) for k in EVENT_COLUMNS} for e in parsed.events]


GOLD_REPORT_DATE = "2020-12-31"  # the report the gold annotates (SPEC.md: Jeonju, 2020-12-31)


def events_from_warehouse(path: Path, report_date: str = GOLD_REPORT_DATE) -> list[dict]:
    """The activities of the annotated report as the warehouse holds them, whatever other reports it holds."""
    import duckdb

    if not Path(path).is_file():
        raise SystemExit(f"{path}: no warehouse there (`make run` builds it; `make eval` runs it first)")
    with duckdb.connect(str(path), read_only=True) as con:
        columns = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'fct_events'"
            ).fetchall()
        }
        if not columns:
            raise SystemExit(f"{path}: no table marts.fct_events")
        select = ", ".join(c if c in columns else f"null as {c}" for c in EVENT_COLUMNS)
        cur = con.execute(f"select {select} from marts.fct_events where report_date = ?::date", [report_date])
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row)) for row in cur.fetchall()]
    if not rows:
        raise SystemExit(f"{path}: no activities of the report dated {report_date}, the one the gold annotates")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse", type=Path, help="DuckDB file holding marts.fct_events")
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="report parsed when no --warehouse")
    parser.add_argument("--quiet", action="store_true", help="figures only, no list of misses")
    parser.add_argument("--report-date", default=GOLD_REPORT_DATE, help="the warehouse's period the gold annotates")
    args = parser.parse_args(argv)

    events = (
        events_from_warehouse(args.warehouse, args.report_date) if args.warehouse else events_from_report(args.report)
    )
    result = score(events, load_gold(args.gold))
    print(result.report(show_misses=not args.quiet))
    failed = result.failed()
    if failed:
        print(f"\nbelow target: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
