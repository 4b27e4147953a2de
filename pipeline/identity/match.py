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
             so re-runs give the same keys (see below for published keys).

Candidates are first the activities of the previous report, then (tiers 1-3 only) activities last seen
in an older report (dropped, now reprinted): they get their old key back. Within a tier, ties go to
the closest dates, then the closest position. The same normalised title twice in one pledge is paired
in that order too, so two activities of one report never share a key.

Published keys are kept (`Published`, the registry of every key ever published and where it was
printed). An analyst's saved query or a join to last year's export names an activity by its key, so a
key once published never moves, whatever report is added (older or newer), re-issued, reordered or
retracted later, and is never given to another activity:

0. first, a report's activities are matched (all tiers) to the same report as it was published: they
   keep their published keys, whatever the reports before it now say;
1. then the previous report and the reappearances as above, among the keys not kept in step 0;
2. then published keys not seen yet in this pass (printed only in later reports, or in a retracted
   one): an older report added after a newer one was published takes the newer one's keys (all tiers
   against the next report, tiers 1-3 against others). Such an activity is the key's first appearance
   in date order, so it is `new` (with no matched report) all the same;
3. only what is left gets a new key, `md5(report_date|pledge_code|event_seq)`, salted when that key was
   ever published or taken (a reordered re-issue prints another activity at that position).

The method of a kept key (step 0) says how the activity relates to the key's latest earlier
appearance in date order (`new` when there is none), as for any other: the tier that pairs them, or
`similar` when none does any more (the published key prevails over a looser match).

Keys of a report depend only on the reports before it and on what was published, through a small
`KeyHistory` (the previous report's keyed activities, the last appearance of every key, the registry):
keying can resume from a history rebuilt from stored keys and give the keys of one pass from the oldest
report.

Everything here is pure: no database, no Dagster. `pipeline/identity/store.py` feeds it from the warehouse.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Container, Iterable, Sequence
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
        grams[text[i : i + 2]] += 1
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
    # the report's municipality and term: activities are matched only within one of each
    municipality: str = ""
    term: int = 0

    @property
    def series(self) -> tuple[str, int]:
        return (self.municipality, self.term)

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
    municipality: str = ""
    term: int = 0


def new_key(
    report_date: dt.date,
    pledge_code: str,
    event_seq: int,
    taken: Container[str] = (),
    series: tuple[str, int] = ("", 0),
) -> str:
    """Key of an activity first seen in `report_date` at position `event_seq` of `pledge_code`, in the
    reports of `series` (municipality, term): two cities' reports of one date number their pledges alike.

    A key in `taken` (published, or given earlier in the pass) names another activity: the position
    is salted until the key is free, so a new activity never takes over a key that was published.
    """
    base = f"{report_date.isoformat()}|{pledge_code}|{event_seq}"
    if series[0]:
        base = f"{series[0]}|{series[1]}|{base}"
    key = hashlib.md5(base.encode()).hexdigest()
    salt = 0
    while key in taken:
        salt += 1
        key = hashlib.md5(f"{base}|{salt}".encode()).hexdigest()
    return key


class Published:
    """The registry of published keys: every key ever published, and each report's activities as published.

    Only ever added to (a key is never dropped, so never given again); a report re-published replaces
    its own appearances of the keys it still prints. A key with no `ActivityRecord` here is reserved
    only (its published text is no longer known): never given again, never matched.
    """

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self._by_period: dict[dt.date, list[tuple[ActivityRecord, str]]] = defaultdict(list)
        self._appearances: dict[str, dict[dt.date, ActivityRecord]] = defaultdict(dict)

    def add(self, key: str, record: ActivityRecord | None = None) -> None:
        self.keys.add(key)
        if record is not None:
            self._by_period[record.report_date].append((record, key))
            self._appearances[key][record.report_date] = record

    def __bool__(self) -> bool:
        return bool(self.keys)

    def of_period(self, report_date: dt.date) -> list[tuple[ActivityRecord, str]]:
        """The activities of one report as published, with their keys."""
        return self._by_period.get(report_date, [])

    def nearest(self, key: str, report_date: dt.date) -> ActivityRecord | None:
        """The published appearance of `key` closest in date to `report_date` (the later one on a tie),
        other than in that report itself."""
        best = None
        for d, record in self._appearances.get(key, {}).items():
            if d != report_date and (
                best is None
                or (abs((d - report_date).days), -d.toordinal())
                < (abs((best.report_date - report_date).days), -best.report_date.toordinal())
            ):
                best = record
        return best

    def matchable_keys(self) -> list[str]:
        """The keys with a published appearance, in a stable order."""
        return sorted(self._appearances)


class _Taken:
    """Keys a new key must not be: published ones, and those given so far (no copy of either set)."""

    def __init__(self, *sets: Container[str]):
        self._sets = sets

    def __contains__(self, key: object) -> bool:
        return any(key in s for s in self._sets)


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


def _assign(
    known: list[_Known],
    current: list[_Current],
    tiers: Sequence[Tier],
    taken_known: set[int],
    matched: dict[int, tuple[_Known, str]],
) -> None:
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


def _by_pledge(pairs: Iterable[tuple[ActivityRecord, str]], skip: Container[str] = ()) -> dict[str, list[_Known]]:
    out: dict[str, list[_Known]] = defaultdict(list)
    for r, key in pairs:
        if key not in skip:
            out[r.pledge_code].append(_Known(r, key, _norm_of(r)))
    return out


def _relation(c: _Current, known: ActivityRecord | None) -> tuple[str, dt.date | None]:
    """How an activity that kept its published key relates to the key's latest earlier appearance."""
    if known is None:
        return "new", None
    k = _Known(known, "", _norm_of(known))
    for method, score_of in TIERS:
        if score_of(k, c) is not None:
            return method, known.report_date
    return "similar", known.report_date


def match_period(
    current: Sequence[ActivityRecord],
    previous: Sequence[tuple[ActivityRecord, str]] = (),
    earlier: Sequence[tuple[ActivityRecord, str]] = (),
    published: Sequence[tuple[ActivityRecord, str]] = (),
    unseen: Sequence[tuple[ActivityRecord, str]] = (),
    taken: Container[str] = (),
    next_report_date: dt.date | None = None,
) -> list[KeyedActivity]:
    """Keys for the activities of one report.

    `previous`: the activities of the preceding report with their keys; `earlier`: the last appearance
    of keys not in the preceding report (dropped activities), which may come back; `published`: this
    report's activities as published, whose keys they keep; `unseen`: the nearest published appearance
    (in another report) of published keys not seen yet in date order; `taken`: keys a new key must not
    be; `next_report_date`: the next report, whose published activities are matched on every tier.
    """
    by_pledge_cur: dict[str, list[_Current]] = defaultdict(list)
    for r in current:
        by_pledge_cur[r.pledge_code].append(_Current(r, _norm_of(r)))
    for cur in by_pledge_cur.values():
        cur.sort(key=lambda c: c.record.event_seq)

    # step 0: the report as published keeps its keys, before any other candidate is considered
    own = _by_pledge(published)
    matched_of: dict[str, dict[int, tuple[_Known, str]]] = {}
    for pledge_code, cur in by_pledge_cur.items():
        matched_of[pledge_code] = {}
        _assign(own.get(pledge_code, []), cur, TIERS, set(), matched_of[pledge_code])
    used = {k.key for matched in matched_of.values() for k, _ in matched.values()}
    known_before = {key: r for r, key in earlier} | {key: r for r, key in previous}

    by_pledge_prev = _by_pledge(previous, used)
    by_pledge_old = _by_pledge(earlier, used)
    by_pledge_next = _by_pledge(((r, k) for r, k in unseen if r.report_date == next_report_date), used)
    by_pledge_far = _by_pledge(((r, k) for r, k in unseen if r.report_date != next_report_date), used)

    out: list[KeyedActivity] = []
    given: set[str] = set(used)
    for pledge_code, cur in by_pledge_cur.items():
        matched = matched_of[pledge_code]
        kept = set(matched)
        for candidates, tiers in (
            (by_pledge_prev, TIERS),
            (by_pledge_old, REAPPEARANCE_TIERS),
            (by_pledge_next, TIERS),
            (by_pledge_far, REAPPEARANCE_TIERS),
        ):
            # a key is given once per report, whichever pledge's candidates carry it
            _assign([k for k in candidates.get(pledge_code, []) if k.key not in given], cur, tiers, set(), matched)
            given.update(k.key for k, _ in matched.values())
        for ci, c in enumerate(cur):
            r = c.record
            if ci in kept:
                key = matched[ci][0].key
                method, matched_date = _relation(c, known_before.get(key))
            elif ci in matched:
                k, method = matched[ci]
                key, matched_date = k.key, k.record.report_date
                if key not in known_before:  # a published key printed here first in date order
                    method, matched_date = "new", None
            else:
                key = new_key(r.report_date, pledge_code, r.event_seq, _Taken(taken, given), r.series)
                given.add(key)
                method, matched_date = "new", None
            out.append(KeyedActivity(r.report_date, pledge_code, r.event_seq, key, method, matched_date, *r.series))
    out.sort(key=lambda k: (k.pledge_code, k.event_seq))
    keys = [k.event_key for k in out]
    if len(set(keys)) != len(keys):  # cannot happen: matching is one-to-one and new keys are checked
        raise AssertionError("two activities of one report were given the same key")
    return out


@dataclass
class KeyHistory:
    """What matching the next report needs to know of the reports before it, and of what was published.

    `previous`: the activities of the latest report so far with their keys, ordered by (pledge_code,
    event_seq); `last_seen`: every key so far -> its latest appearance, in the order the keys first
    appeared (report date, then pledge_code and event_seq in that report). The order matters only to
    break exact ties between candidates, but it makes a history rebuilt from stored keys (the Dagster
    asset, re-keying only the newest periods) give the same keys as one built from the oldest report.
    `published`: the registry of published keys (empty: nothing published, keys from the reports alone).
    """

    previous: list[tuple[ActivityRecord, str]] = field(default_factory=list)
    last_seen: dict[str, ActivityRecord] = field(default_factory=dict)
    published: Published = field(default_factory=Published)
    # published keys not in `last_seen` yet, kept from period to period: a pass over many reports must
    # not walk the whole registry for each
    _unseen: list[str] | None = field(default=None, repr=False, compare=False)

    def key_period(
        self, current: Sequence[ActivityRecord], next_report_date: dt.date | None = None
    ) -> list[KeyedActivity]:
        """Keys for the next report's activities (all of one report_date); the history moves past it.

        `next_report_date`: the report after this one in this pass, if any.
        """
        prev_keys = {key for _, key in self.previous}
        earlier = [(r, key) for key, r in self.last_seen.items() if key not in prev_keys]
        published: list[tuple[ActivityRecord, str]] = []
        unseen: list[tuple[ActivityRecord, str]] = []
        if current and self.published:
            report_date = current[0].report_date
            published = self.published.of_period(report_date)
            if self._unseen is None:
                self._unseen = [k for k in self.published.matchable_keys() if k not in self.last_seen]
            for key in self._unseen:
                if (r := self.published.nearest(key, report_date)) is not None:
                    unseen.append((r, key))
        keyed = match_period(
            current,
            self.previous,
            earlier,
            published,
            unseen,
            _Taken(self.published.keys, self.last_seen),
            next_report_date,
        )
        record_of = {(r.pledge_code, r.event_seq): r for r in current}
        self.previous = [(record_of[(k.pledge_code, k.event_seq)], k.event_key) for k in keyed]
        self.last_seen.update({key: r for r, key in self.previous})
        if self._unseen:
            self._unseen = [k for k in self._unseen if k not in self.last_seen]
        return keyed


def assign_keys(
    records: Iterable[ActivityRecord], history: KeyHistory | None = None, published: Published | None = None
) -> list[KeyedActivity]:
    """Keys for the activities of every report, assigned in date order from the oldest report of each
    municipality and term (series): a series' keys never come from another's.

    `history`: the state after the reports before these ones (default: none before), updated in place;
    `published`: the registry of published keys (default: the history's, empty for a new history).
    Both are of one series: with records of several, leave them out.
    """
    by_series: dict[tuple[str, int], dict[dt.date, list[ActivityRecord]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        by_series[r.series][r.report_date].append(r)
    if len(by_series) > 1 and (history is not None or published is not None):
        raise ValueError("a history or registry is of one municipality and term: key the others apart")
    out: list[KeyedActivity] = []
    for _, by_period in sorted(by_series.items()):
        series_history = KeyHistory() if history is None else history
        if published is not None:
            series_history.published, series_history._unseen = published, None
        periods = sorted(by_period)
        for i, report_date in enumerate(periods):
            following = periods[i + 1] if i + 1 < len(periods) else None
            out.extend(series_history.key_period(by_period[report_date], following))
    return out


@lru_cache(maxsize=1)
def matcher_fingerprint() -> str:
    """A hash of this module: stored keys derived by another version of the matcher are stale."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
