"""Stable activity keys across reporting periods.

The yearly reports are cumulative: a report reprints most activities of the previous one, reworded a
little (`개최` dropped or added, spacing), with another date style (`'19. 3. 22.` / `2019. 3. 22.`),
another bullet, another page break or another position in its list. An activity keeps its `event_key`
from the report where it first appeared, the way openstates keeps an event's id by matching on a
natural key instead of trusting positions.

Matching runs pledge by pledge (a pledge keeps its `pledge_code` across reports, even when renamed),
one-to-one, in tiers from the strictest to the loosest; each activity records how it was matched:

1. `exact`   same pledge, same parsed dates, same normalised title;
2. `title`   same pledge, same normalised title, dates revised (a session added, a day corrected:
             ranges overlap or moved by at most DATE_REVISION_DAYS) — the same title months apart
             is another session of a recurring activity, not this one;
3. `dates`   same pledge, same parsed dates (not all null), similar title (>= DATES_MIN_SIMILARITY);
4. `similar` same pledge, revised dates as for `title`, similar title (>= SIMILAR_MIN_SIMILARITY)
             with the same numbers in it (`3차 소위원회` / `4차 소위원회` are two meetings);
5. `new`     none of these: a new key, `md5(report_date|pledge_code|event_seq)` of its first report,
             so re-runs give the same keys.

Candidates are first the activities of the previous report, then (tiers 1-3 only) activities last seen
in an older report (dropped, now reprinted): they get their old key back. Within a tier, ties go to
the closest dates, then the closest position. The same normalised title twice in one pledge is paired
in that order too, so two activities of one report never share a key.

Keys of a report depend only on the reports before it, through a small `KeyHistory` (the previous
report's keyed activities, the last appearance of every key): keying can resume from a history
rebuilt from stored keys and give the keys of one pass from the oldest report.

Everything here is pure: no database, no Dagster. `pipeline/identity/store.py` feeds it from the warehouse.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

MATCH_METHODS = ("exact", "title", "dates", "similar", "new")
DATES_MIN_SIMILARITY = 0.5  # same dates: a reworded title is enough
SIMILAR_MIN_SIMILARITY = 0.72  # different dates: the title must be close
DATE_REVISION_DAYS = 45  # a start or end moved this little is a revision, not another session

# Parenthesised text holding a digit: dates, weekdays, counts (`('19. 3. 22.)`, `(1차)`, `(3~11월)`).
_PAREN_WITH_DIGIT = re.compile(r"[(（\[][^()（）\[\]]*\d[^()（）\[\]]*[)）\]]")
_WEEKDAY_PAREN = re.compile(r"[(（]\s*[월화수목금토일]\s*[)）]")
# Dates outside parentheses: `'19. 3. 22.`, `2019.3.22`, `'20. 1월`, `12월`, `'19년`, `2019년`.
_DATE = re.compile(
    r"[‘'’\"]?\d{2,4}\s*\.\s*\d{1,2}\s*\.?(?:\s*\d{1,2}\s*\.?)?"
    r"|[‘'’\"]?\d{2,4}\s*년(?:\s*\d{1,2}\s*월)?(?:\s*\d{1,2}\s*일)?"
    r"|\d{1,2}\s*월(?:\s*\d{1,2}\s*일)?"
    r"|[‘'’]\d{2}(?!\d)"
)
# Words that come and go between reports without changing what the activity is.
_GENERIC_WORDS = re.compile(r"개최")
_KEEP = re.compile(r"[^0-9a-z가-힣]")
_DIGITS = re.compile(r"\d+")


@functools.lru_cache(maxsize=1 << 16)
def normalise_title(title: str | None) -> str:
    """The part of a title that names the activity: no dates, counts, spacing, punctuation or `개최`.

    `드론축구인 화합의 날 개최('19. 12. 14.)` and `드론축구인 화합의날(2019. 12. 14.)` both give
    `드론축구인화합의날`.

    Pure, so cached: every title is compared in two consecutive periods, and a report repeats
    most titles of the one before it.
    """
    text = unicodedata.normalize("NFKC", title or "").lower()
    text = _PAREN_WITH_DIGIT.sub(" ", text)
    text = _WEEKDAY_PAREN.sub(" ", text)
    text = _DATE.sub(" ", text)
    text = _GENERIC_WORDS.sub("", text)
    return _KEEP.sub("", text)


def _bigrams(text: str) -> dict[str, int]:
    grams: dict[str, int] = defaultdict(int)
    for i in range(len(text) - 1):
        grams[text[i:i + 2]] += 1
    return grams


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two normalised titles (0..1).

    Character bigrams suit Korean, where one word changes by a syllable (`회의` / `정기회의`) and
    spacing is unreliable; the multiset form does not reward repeated syllables twice.
    """
    if a == b:
        return 1.0
    if len(a) < 2 or len(b) < 2:
        return 0.0
    ga, gb = _bigrams(a), _bigrams(b)
    shared = sum(min(n, gb.get(g, 0)) for g, n in ga.items())
    return 2 * shared / (len(a) - 1 + len(b) - 1)


@dataclass(frozen=True)
class ActivityRecord:
    """One parsed activity of one report, as the matcher needs it (a row of `staging.events`)."""

    report_date: dt.date
    pledge_code: str
    event_seq: int
    title: str
    start_date: dt.date | None = None
    start_precision: str | None = None
    end_date: dt.date | None = None
    end_precision: str | None = None
    raw_text: str = ""

    @property
    def dates(self) -> tuple:
        return (self.start_date, self.start_precision, self.end_date, self.end_precision)

    @property
    def has_dates(self) -> bool:
        return self.start_date is not None or self.end_date is not None

    @property
    def anchor_date(self) -> dt.date | None:
        return self.start_date or self.end_date


@dataclass(frozen=True)
class KeyedActivity:
    """A row of `staging.event_keys`."""

    report_date: dt.date
    pledge_code: str
    event_seq: int
    event_key: str
    match_method: str
    matched_report_date: dt.date | None  # the report of the activity it was matched to; None when new


def new_key(report_date: dt.date, pledge_code: str, event_seq: int) -> str:
    """Key of an activity first seen in `report_date` at position `event_seq` of `pledge_code`."""
    return hashlib.md5(f"{report_date.isoformat()}|{pledge_code}|{event_seq}".encode()).hexdigest()


@dataclass
class _Known:
    """An activity already keyed, as a candidate for a later report's activities."""

    record: ActivityRecord
    key: str
    norm: str


@dataclass
class _Current:
    record: ActivityRecord
    norm: str


def _norm_of(record: ActivityRecord) -> str:
    norm = normalise_title(record.title)
    # a title that is only a date (rare) falls back to the start of its text
    return norm or normalise_title(record.raw_text)[:40]


def _date_distance(a: ActivityRecord, b: ActivityRecord) -> int:
    if a.anchor_date is None or b.anchor_date is None:
        return 10**6 if a.anchor_date is not b.anchor_date else 0
    return abs((a.anchor_date - b.anchor_date).days)


# tier -> (is the pair eligible, primary score) ; higher scores win, ties by dates then position
Tier = tuple[str, Callable[[_Known, _Current], float | None]]


def _exact(k: _Known, c: _Current) -> float | None:
    return 1.0 if k.norm == c.norm and k.record.dates == c.record.dates else None


def _dates_compatible(a: ActivityRecord, b: ActivityRecord) -> bool:
    """Could these be one activity whose dates were revised (not two sessions of a recurring one)?

    Yes when either is undated, their ranges overlap, a start or end moved by at most
    DATE_REVISION_DAYS (a correction, a session added), or the activity is printed identically
    (a year-less date read in another report's year).
    """
    if not a.has_dates or not b.has_dates:
        return True
    a0, a1 = a.start_date or a.end_date, a.end_date or a.start_date
    b0, b1 = b.start_date or b.end_date, b.end_date or b.start_date
    if a0 <= b1 and b0 <= a1:
        return True
    if abs((a0 - b0).days) <= DATE_REVISION_DAYS or abs((a1 - b1).days) <= DATE_REVISION_DAYS:
        return True
    return bool(a.raw_text) and _printed(a) == _printed(b)


def _printed(r: ActivityRecord) -> str:
    return re.sub(r"\s+", "", r.raw_text)


def _title(k: _Known, c: _Current) -> float | None:
    return 1.0 if k.norm == c.norm and _dates_compatible(k.record, c.record) else None


def _dates(k: _Known, c: _Current) -> float | None:
    if not c.record.has_dates or k.record.dates != c.record.dates:
        return None
    s = similarity(k.norm, c.norm)
    return s if s >= DATES_MIN_SIMILARITY else None


def _similar(k: _Known, c: _Current) -> float | None:
    # `3차 소위원회` / `4차 소위원회`, `면담` / `면담 2차`: other numbers, another session
    if _DIGITS.findall(k.norm) != _DIGITS.findall(c.norm) or not _dates_compatible(k.record, c.record):
        return None
    s = similarity(k.norm, c.norm)
    return s if s >= SIMILAR_MIN_SIMILARITY else None


TIERS: tuple[Tier, ...] = (("exact", _exact), ("title", _title), ("dates", _dates), ("similar", _similar))
REAPPEARANCE_TIERS = TIERS[:3]  # an activity back after a gap must match more strictly


def _assign(known: list[_Known], current: list[_Current], tiers: Sequence[Tier],
            taken_known: set[int], matched: dict[int, tuple[_Known, str]]) -> None:
    """Greedy one-to-one assignment, tier by tier (indexes into `known` / `current`)."""
    for method, score_of in tiers:
        pairs = []
        for ci, c in enumerate(current):
            if ci in matched:
                continue
            for ki, k in enumerate(known):
                if ki in taken_known:
                    continue
                score = score_of(k, c)
                if score is not None:
                    dist = _date_distance(k.record, c.record)
                    pos = abs(k.record.event_seq - c.record.event_seq)
                    pairs.append((-score, dist, pos, ki, ci))
        for _, _, _, ki, ci in sorted(pairs):
            if ki in taken_known or ci in matched:
                continue
            taken_known.add(ki)
            matched[ci] = (known[ki], method)


def match_period(
    current: Sequence[ActivityRecord],
    previous: Sequence[tuple[ActivityRecord, str]] = (),
    earlier: Sequence[tuple[ActivityRecord, str]] = (),
) -> list[KeyedActivity]:
    """Keys for the activities of one report.

    `previous`: the activities of the preceding report with their keys; `earlier`: the last appearance
    of keys not in the preceding report (dropped activities), which may come back.
    """
    by_pledge_cur: dict[str, list[_Current]] = defaultdict(list)
    for r in current:
        by_pledge_cur[r.pledge_code].append(_Current(r, _norm_of(r)))
    by_pledge_prev: dict[str, list[_Known]] = defaultdict(list)
    for r, key in previous:
        by_pledge_prev[r.pledge_code].append(_Known(r, key, _norm_of(r)))
    by_pledge_old: dict[str, list[_Known]] = defaultdict(list)
    for r, key in earlier:
        by_pledge_old[r.pledge_code].append(_Known(r, key, _norm_of(r)))

    out: list[KeyedActivity] = []
    for pledge_code, cur in by_pledge_cur.items():
        cur.sort(key=lambda c: c.record.event_seq)
        matched: dict[int, tuple[_Known, str]] = {}
        _assign(by_pledge_prev.get(pledge_code, []), cur, TIERS, set(), matched)
        _assign(by_pledge_old.get(pledge_code, []), cur, REAPPEARANCE_TIERS, set(), matched)
        for ci, c in enumerate(cur):
            r = c.record
            if ci in matched:
                k, method = matched[ci]
                out.append(KeyedActivity(r.report_date, pledge_code, r.event_seq, k.key, method, k.record.report_date))
            else:
                out.append(KeyedActivity(r.report_date, pledge_code, r.event_seq,
                                         new_key(r.report_date, pledge_code, r.event_seq), "new", None))
    out.sort(key=lambda k: (k.pledge_code, k.event_seq))
    keys = [k.event_key for k in out]
    if len(set(keys)) != len(keys):  # cannot happen: matching is one-to-one and new keys hash the position
        raise AssertionError("two activities of one report were given the same key")
    return out


@dataclass
class KeyHistory:
    """What matching the next report needs to know of the reports before it.

    `previous`: the activities of the latest report so far with their keys, ordered by (pledge_code,
    event_seq); `last_seen`: every key so far -> its latest appearance, in the order the keys first
    appeared (report date, then pledge_code and event_seq in that report). The order matters only to
    break exact ties between candidates, but it makes a history rebuilt from stored keys (the Dagster
    asset, re-keying only the newest periods) give the same keys as one built from the oldest report.
    """

    previous: list[tuple[ActivityRecord, str]] = field(default_factory=list)
    last_seen: dict[str, ActivityRecord] = field(default_factory=dict)

    def key_period(self, current: Sequence[ActivityRecord]) -> list[KeyedActivity]:
        """Keys for the next report's activities (all of one report_date); the history moves past it."""
        prev_keys = {key for _, key in self.previous}
        earlier = [(r, key) for key, r in self.last_seen.items() if key not in prev_keys]
        keyed = match_period(current, self.previous, earlier)
        record_of = {(r.pledge_code, r.event_seq): r for r in current}
        self.previous = [(record_of[(k.pledge_code, k.event_seq)], k.event_key) for k in keyed]
        self.last_seen.update({key: r for r, key in self.previous})
        return keyed


def assign_keys(records: Iterable[ActivityRecord], history: KeyHistory | None = None) -> list[KeyedActivity]:
    """Keys for the activities of every report, assigned in date order from the oldest report.

    `history`: the state after the reports before these ones (default: none before), updated in place.
    """
    by_period: dict[dt.date, list[ActivityRecord]] = defaultdict(list)
    for r in records:
        by_period[r.report_date].append(r)
    history = KeyHistory() if history is None else history
    out: list[KeyedActivity] = []
    for report_date in sorted(by_period):
        out.extend(history.key_period(by_period[report_date]))
    return out


@lru_cache(maxsize=1)
def matcher_fingerprint() -> str:
    """A hash of this module: stored keys derived by another version of the matcher are stale."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
