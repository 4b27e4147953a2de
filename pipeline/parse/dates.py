"""A small date grammar for the report's date expressions.

No date library reads these (`'20. 10. ~ 12.` is a month range, `('19.11.26/12.2/12.4)`
a list whose year carries forward, `('19. 9. 30.~)` an open range), so this module
tokenises the text with one precompiled regex and walks the tokens once:

    YMD   '19. 3. 22.  19.4.8  "19. 5. 7.  (17.1.23.)            -> day
    YM    '20. 10.  '19. 5월  2019. 10월  2019년 2월  '19. 3(~)   -> month
    YJ    '18. 년중                                                 -> year (strong)
    YN    '18년  2015년                                             -> year
    BY    2019 (a bare year before a name)                          -> year (weak)
    MR    3~11월 (a month range without a year)
    MD    12.2  11. 22.  (year from the context)
    M     11월  (month from the context)
    N     3.  12  (only right after `~`: a day or a month, like the range start)
    ~     range

Precision is what the text gives. A year is *weak* when it is part of a name
(`2019 경남관광박람회`, `'19년 국제 대회`): it is a date only when nothing else is.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from pipeline.parse.models import Precision

# (one character class first, so that the regex engine skips to candidates quickly:
# `[‘’`´′]|[\"“”](?=\s*\d)`)
_QUOTES = re.compile(r"[‘’`´′\"“”](?:(?<=[‘’`´′])|(?=\s*\d))")
_DIGIT = re.compile(r"\d")
_TILDES = re.compile(r"[～〜∼]")
_RETYPED = re.compile(r"[‘’`´′\"“”～〜∼]")  # the characters `_QUOTES` and `_TILDES` replace: rare
# A text with none of these (a `~` as typed or as normalised) and no `20` holds no date
# (`총 460여개 업소`, `참석인원:50명`): every token but `by`, `num` and `now` needs a `.`,
# `년`, `월` or `~`; `by` needs `20`; `num` and `now` count only right after a `~`.
_DATE_MARK = re.compile(r"[.~년월～〜∼]")
# weekday suffixes `(화)`, `( 목 )` and clock times `16:00` carry no date information.
# Two regexes, each looked for only in a text holding its `(` or `:` (the weekday one
# starts with its `(`, which the engine skips to): they share no character, and `(`, `)`
# and the space put in are all non-word, so removing one never makes or breaks the other.
_WEEKDAY = re.compile(r"\(\s*[월화수목금토일]\s*\)")
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")

_Y = r"(?:'\s?(?P<{0}q>\d{{2}})|(?P<{0}f>(?:19|20)\d{{2}})|(?P<{0}b>\d{{2}}))"
# Every alternative starts with a digit, `'`, `~` or `현`: the leading lookahead lets the
# engine pass over other characters without trying the alternatives one by one.
_TOKEN_BODY = (
    "(?:"
    + "|".join(
        [
            # '19. 3. 22.  19.4.8  (the no-quote two-digit year is checked in code)
            r"(?P<ymd>(?<![\d.,])"
            + _Y.format("a")
            + r"\s*\.\s*(?P<am>\d{1,2})\s*\.\s*(?P<ad>\d{1,2})(?!\d)(?!\s*[월년])(?:\s*\.)?)",
            # 2019년 2월
            r"(?P<yhm>(?<!\d)(?P<hy>(?:19|20)\d{2})\s*년\s*(?P<hm>\d{1,2})\s*월(?!별))",
            # '18. 년중
            r"(?P<yj>(?<![\d.,])" + _Y.format("j") + r"\s*\.?\s*년\s*중)",
            # '20. 10.  '19. 5월  2019. 10월  '19. 3~
            r"(?P<ym>(?<![\d.,])" + _Y.format("m") + r"\s*\.\s*(?P<mm>\d{1,2})(?!\d)(?:\s*(?:\.|월(?!별)))?)",
            # '18년  2015년  21년
            r"(?P<yn>(?<![\d.,])" + _Y.format("n") + r"\s*년(?!\s*중))",
            # 3~11월
            r"(?P<mr>(?<![\d.'])(?P<r1>\d{1,2})\s*~\s*(?P<r2>\d{1,2})\s*월(?!별))",
            # 12.2  11. 22.
            r"(?P<md>(?<![\d.,'])(?P<dm>\d{1,2})\s*\.\s*(?P<dd>\d{1,2})(?!\d)(?:\s*\.)?)",
            # 11월
            r"(?P<mo>(?<![\d.,])(?P<om>\d{1,2})\s*월(?!별))",
            # 2019 (bare, before a name)
            r"(?P<by>(?<![\d.,'])(?P<bb>20\d{2})(?![\d.,년]))",
            r"(?P<tilde>~)",
            r"(?P<num>(?<![\d.,'])(?P<nn>\d{1,2})(?!\d)(?:\s*\.)?)",
            r"(?P<now>현재)",
        ]
    )
    + ")"
)
_TOKEN = re.compile(r"(?=[\d'~현])" + _TOKEN_BODY)
_RANGE_GAP = re.compile(r"\s*")  # gap allowed between a date and its `~`
_MD_CONTEXT_AFTER = re.compile(r"\s*(?:[.)~/,(\[]|$)")
_MD_CONTEXT_BEFORE = frozenset("(/:~-,")


def _looks_like_date(text: str, start: int, end: int) -> bool:
    """A month.day with no year is a date only where dates stand: `(11.10.)`, `/ 5. 14.`."""
    if not _MD_CONTEXT_AFTER.match(text, end):
        return False
    before = text[:start].rstrip()
    return not before or before[-1] in _MD_CONTEXT_BEFORE or start > len(before)


@dataclass(slots=True)
class Point:
    year: int | None
    month: int | None
    day: int | None
    precision: Precision
    raw: str
    weak: bool = False  # a year inside a name: a date only if nothing else is
    yearless: bool = False  # the year came from the context, not the text

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, self.day or 1)

    def last_day(self) -> dt.date:
        if self.precision == "year":
            return dt.date(self.year, 12, 31)
        if self.precision == "month":
            return dt.date(self.year, self.month, _days_in_month(self.year, self.month))
        return self.first_day()


@dataclass(slots=True)
class DateScan:
    """Every date expression of one text, in order."""

    points: list[Point] = field(default_factory=list)
    open_start: bool = False  # `~'20. 12.`: the activity started before the text says
    open_end: bool = False  # `('19. 9. 30.~)`: still running
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, message)

    @property
    def has_dates(self) -> bool:
        for p in self.points:  # (a loop: `any()` of a generator costs more for one or two points)
            if not p.weak:
                return True
        return False


def _days_in_month(year: int, month: int) -> int:
    """`calendar.monthrange(year, month)[1]` without its weekday (month 1-12)."""
    if month == 2 and calendar.isleap(year):
        return 29
    return calendar.mdays[month]


def _year(two: str | None, four: str | None) -> int:
    return int(four) if four else 2000 + int(two)


def _valid(y: int | None, m: int | None, d: int | None) -> bool:
    if m is not None and not 1 <= m <= 12:
        return False
    if d is not None:
        if m is None or not 1 <= d <= 31:
            return False
        if y is not None:
            return d <= _days_in_month(y, m)
    return True


def normalise(text: str) -> str:
    if _RETYPED.search(text):
        text = _QUOTES.sub("'", text)
        text = _TILDES.sub("~", text)
    if "(" in text:
        text = _WEEKDAY.sub(" ", text)
    if ":" in text:
        text = _CLOCK.sub(" ", text)
    return text


def scan_dates(text: str, *, context_year: int | None = None) -> DateScan:
    """Read every date expression in `text`.

    `context_year` is the year for dates printed without one (`11.10.`, `3월`) when no
    year precedes them in the text; without it such dates are kept with `yearless`
    set and year None, for the caller to resolve.
    """
    scan = DateScan()
    if not _DIGIT.search(text) or ("20" not in text and not _DATE_MARK.search(text)):
        return scan
    text = normalise(text)
    year = context_year  # the year carries forward from the last explicit one
    prev: Point | None = None  # the point just before, if nothing but spaces/dots separate
    prev_end = 0
    range_start: Point | None = None  # the point before a `~`
    pending_tilde = False
    tilde_had_start = False

    emit = scan.points.append

    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        gap = text[prev_end : m.start()]
        adjacent = not gap.strip(" .")
        if not adjacent:
            if pending_tilde and kind != "tilde":
                # `~` followed by something that is not a date: an open range
                if tilde_had_start:
                    scan.open_end = True
                pending_tilde = False
            prev = None
        point: Point | None = None
        is_range_end = pending_tilde and adjacent

        if kind == "ymd":
            y2, y4, yb, mo, d = m.group("aq", "af", "ab", "am", "ad")
            mo, d = int(mo), int(d)
            y = _year(y2 or yb, y4)
            if _valid(y, mo, d):
                point = Point(y, mo, d, "day", m.group("ymd").strip())
        elif kind == "yhm":
            y, mo = int(m.group("hy")), int(m.group("hm"))
            if _valid(y, mo, None):
                point = Point(y, mo, None, "month", m.group("yhm"))
        elif kind == "yj":
            point = Point(_year(m.group("jq") or m.group("jb"), m.group("jf")), None, None, "year", m.group("yj"))
        elif kind == "ym":
            y2, y4, yb, mo = m.group("mq", "mf", "mb", "mm")
            mo = int(mo)
            if yb and int(yb) <= 12:
                # `11.10.` has no quote and cannot be a year: a month.day
                d = mo
                mo = int(yb)
                if _valid(None, mo, d) and (
                    is_range_end or prev is not None or _looks_like_date(text, m.start(), m.end())
                ):
                    point = _yearless(year, mo, d, "day", m.group("ym").strip(), is_range_end, range_start)
            elif _valid(None, mo, None):
                point = Point(_year(y2 or yb, y4), mo, None, "month", m.group("ym").strip())
        elif kind == "yn":
            y2, y4, yb = m.group("nq", "nf", "nb")
            if yb and not 13 <= int(yb) <= 40:
                point = None  # `10년` is a duration, not a year
            else:
                y = _year(y2 or yb, y4)
                strong = is_range_end or _opens_expression(text, m.start()) or _followed_by_tilde(text, m.end())
                point = Point(y, None, None, "year", m.group("yn"), weak=not strong)
        elif kind == "by":
            strong = is_range_end or _opens_expression(text, m.start()) or _followed_by_tilde(text, m.end())
            point = Point(int(m.group("bb")), None, None, "year", m.group("by"), weak=not strong)
        elif kind == "mr":
            r1, r2 = int(m.group("r1")), int(m.group("r2"))
            if _valid(None, r1, None) and _valid(None, r2, None):
                a = Point(year, r1, None, "month", m.group("mr"), yearless=True)
                b = Point(year, r2, None, "month", m.group("mr"), yearless=True)
                emit(a)
                emit(b)
                if year is not None and b.last_day() < a.first_day():
                    b.year = year + 1
                prev = b
            prev_end = m.end()
            pending_tilde = False
            continue
        elif kind == "md":
            mo, d = int(m.group("dm")), int(m.group("dd"))
            if _valid(None, mo, d) and (is_range_end or prev is not None or _looks_like_date(text, m.start(), m.end())):
                point = _yearless(year, mo, d, "day", m.group("md").strip(), is_range_end, range_start)
        elif kind == "mo":
            mo = int(m.group("om"))
            if _valid(None, mo, None):
                point = _yearless(year, mo, None, "month", m.group("mo"), is_range_end, range_start)
        elif kind == "num":
            if is_range_end and range_start is not None and range_start.precision != "year":
                n = int(m.group("nn"))
                rs = range_start
                if rs.precision == "day" and _valid(rs.year, rs.month, n):
                    point = Point(rs.year, rs.month, n, "day", m.group("num").strip(), yearless=rs.yearless)
                elif rs.precision == "month" and _valid(None, n, None):
                    point = Point(rs.year, n, None, "month", m.group("num").strip(), yearless=rs.yearless)
        elif kind == "tilde":
            if pending_tilde and tilde_had_start:
                scan.open_end = True
            pending_tilde = True
            range_start = prev
            tilde_had_start = prev is not None
            prev_end = m.end()
            continue
        elif kind == "now":
            if is_range_end and tilde_had_start:
                scan.open_end = True
                pending_tilde = False
            prev_end = m.end()
            continue

        if point is None:
            if is_range_end:
                if tilde_had_start:
                    scan.open_end = True
                pending_tilde = False
            prev = None
            prev_end = m.end()
            continue

        if is_range_end:
            if range_start is None:
                if point.weak:
                    point.weak = False
                scan.open_start = True
            else:
                _check_range(range_start, point, scan)
            pending_tilde = False
        if point.year is not None and not point.yearless and not point.weak:
            year = point.year
        if point.weak and not point.precision == "year":
            point.weak = False
        emit(point)
        prev = point
        prev_end = m.end()

    if pending_tilde and tilde_had_start:
        scan.open_end = True
    return scan


def _yearless(year, mo, d, precision, raw, is_range_end, range_start) -> Point:
    if is_range_end and range_start is not None and range_start.year is not None:
        p = Point(range_start.year, mo, d, precision, raw, yearless=range_start.yearless)
        if p.first_day() < range_start.first_day():
            p.year += 1  # `'19. 12. 20. ~ 1. 5.` runs into the next year
        return p
    return Point(year, mo, d, precision, raw, yearless=True)


def _opens_expression(text: str, start: int) -> bool:
    """A year right after `(` or `:` is the date of the line, not part of a name."""
    before = text[max(0, start - 3) : start].rstrip()
    return before.endswith(("(", ":", "~"))


def _followed_by_tilde(text: str, end: int) -> bool:
    return text[end : end + 3].lstrip().startswith("~")


def _check_range(start: Point, end: Point, scan: DateScan) -> None:
    if start.year is None or end.year is None:
        return
    if end.last_day() >= start.first_day():
        return
    # `'19. 9.23. ~ '10.7.`: a stray quote made `10.7.` a year; read it as month.day
    if end.precision == "month" and end.raw.lstrip().startswith("'") and _valid(start.year, end.year % 100, end.month):
        repaired = Point(start.year, end.year % 100, end.month, "day", end.raw)
        if repaired.first_day() >= start.first_day():
            scan.problems.append(
                (
                    "end_before_start",
                    f"range end {end.raw!r} read as {repaired.first_day():%Y-%m-%d} (month.day), "
                    f"not {end.year}-{end.month:02d}: it would end before its start {start.raw!r}",
                )
            )
            end.year, end.month, end.day, end.precision = repaired.year, repaired.month, repaired.day, "day"
            return
    scan.problems.append(("end_before_start", f"range {start.raw!r} ~ {end.raw!r} ends before it starts"))


@dataclass(slots=True)
class EventDates:
    start: Point | None
    end: Point | None
    points: list[Point]
    problems: list[tuple[str, str]]


def _own_year(scans: list[DateScan]) -> int | None:
    for scan in scans:
        for p in scan.points:
            if p.year is not None and not p.yearless:
                return p.year
    return None


def _stated_years(scans: list[DateScan]) -> set[int]:
    """Years printed as dates (not inside a name) in these texts."""
    return {p.year for s in scans for p in s.points if p.year is not None and not p.yearless and not p.weak}


@dataclass(slots=True)
class ActivityScans:
    """The date scans of an activity's own line and of its details, read once
    (`scan_activity`) and shared by `explicit_days` and `event_dates`."""

    own: DateScan
    own_year: int | None  # the line's own year (even one inside a name): dates its yearless details
    details: list[DateScan]


def scan_activity(own_text: str, detail_texts: list[str]) -> ActivityScans:
    own = scan_dates(own_text)
    own_year = _own_year([own])
    return ActivityScans(own, own_year, [scan_dates(t, context_year=own_year) for t in detail_texts])


def explicit_days(
    own_text: str, detail_texts: list[str], *, scans: ActivityScans | None = None
) -> set[tuple[int, int, int]]:
    """The days an activity states with their year (`'20. 11. 20.`), as (year, month, day):
    what a yearless day of a sibling activity can be matched against.

    `scans`: the activity's `scan_activity(own_text, detail_texts)`, when already read."""
    if scans is None:
        scans = scan_activity(own_text, detail_texts)
    return {
        (p.year, p.month, p.day)
        for s in (scans.own, *scans.details)
        for p in s.points
        if p.precision == "day" and p.year is not None and not p.yearless and not p.weak
    }


def _year_for_yearless(
    yearless: list[Point], details: list[DateScan], sibling_days: Collection[tuple[int, int, int]]
) -> tuple[int | None, str]:
    """The year of dates printed without one, when the report itself gives it.

    1. the one year the event's details state as a date (`'19. 3. 5.` in another detail);
    2. a yearless day that is exactly the day of a dated sibling activity of the same
       pledge (`(2회 / 11.20.) 전주창업경진대회 운영을 위한 ... 협의` beside
       `2회 전주창업경진대회 개최 : '20. 11. 20.`) is that same occasion: its year,
       if the match points at one year only.
    Otherwise a careful reader cannot decide (SPEC.md): None.
    """
    stated = _stated_years(details)
    if len(stated) == 1:
        return next(iter(stated)), "the year stated in its details"
    years = {y for p in yearless if p.day is not None for (y, m, d) in sibling_days if (m, d) == (p.month, p.day)}
    if len(years) == 1:
        return next(iter(years)), "a sibling activity of the pledge dated the same day"
    return None, ""


def event_dates(
    own_text: str,
    detail_texts: list[str],
    *,
    report_year: int,
    sibling_days: Collection[tuple[int, int, int]] = (),
    scans: ActivityScans | None = None,
) -> EventDates:
    """start/end of an activity: its own line first, else its details (SPEC.md).

    The earliest date is the start and the latest the end; a year that is part of a
    name counts only when the line and its details give no other date. Dates printed
    without a year take the line's year, else one the report gives (`_year_for_yearless`,
    `sibling_days` being the dated days of the pledge's other activities); else they
    are left out and flagged `month_without_year`. `report_year` is never assumed:
    the report covers several years.

    `scans`: the activity's `scan_activity(own_text, detail_texts)`, when already read
    (for `explicit_days`); its yearless points get their year here.
    """
    if scans is None:
        scans = scan_activity(own_text, detail_texts)
    own, own_year, details = scans.own, scans.own_year, scans.details
    problems: list[tuple[str, str]] = []

    if own.has_dates or not details:
        chosen = [own]
    else:
        chosen = [s for s in details if s.has_dates] or [own]

    points = [p for s in chosen for p in s.points if not p.weak]
    if not points:
        # only a year inside a name: the title's first, else a detail's (`2017년도 ... 사업 일환으로`)
        points = [p for s in (own, *details) for p in s.points if p.weak][:1]
    problems.extend(own.problems)
    for s in details:
        problems.extend(s.problems)

    yearless = [p for p in points if p.year is None]
    if yearless and own_year is not None:
        for p in yearless:
            p.year = own_year
    elif yearless:
        raws = ", ".join(dict.fromkeys(repr(p.raw) for p in yearless))
        year, source = _year_for_yearless(yearless, details, sibling_days)
        if year is None:
            problems.append(
                ("month_without_year", f"{raws} has no year on the line or its details; left without a date")
            )
        else:
            problems.append(
                ("month_without_year", f"{raws} has no year on the line or its details; read as {year} from {source}")
            )
        for p in yearless:
            p.year = year
    # a yearless day or month that does not exist in the assumed year, or has no year at all
    points = [p for p in points if p.year is not None and _valid(p.year, p.month, p.day)]

    if not points:
        return EventDates(None, None, [], problems)
    open_start = any(s.open_start for s in chosen)
    open_end = any(s.open_end for s in chosen)
    if len(points) == 1:  # the common case: no dates to compare
        start = None if open_start else points[0]
        end = None if open_end else points[0]
    else:
        start = None if open_start else min(points, key=Point.first_day)
        end = None if open_end else max(points, key=Point.last_day)
    if details:
        points += [p for s in details if s not in chosen for p in s.points if not p.weak and p.year is not None]
    return EventDates(start, end, points, problems)
