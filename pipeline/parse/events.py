"""An activity's own line and details -> one `Event` with its extracted fields
(`build_event`; `build_events` for all the activities of a report)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from pipeline.parse.dates import ActivityScans, EventDates, event_dates, explicit_days, scan_activity
from pipeline.parse.formats import format_for_title
from pipeline.parse.models import Event, EventDetail, ParseIssue
from pipeline.parse.people import Attendance, attendance
from pipeline.parse.segment import INLINE_MARKER, split_inline
from pipeline.parse.sessions import session_count
from pipeline.parse.venue import Venue, find_venue

# replacement characters, C1 controls, Latin-1/UTF-8 mojibake (`ì`, `Ã`), private use
_GARBLED = re.compile(r"[\ufffd\u0080-\u009f\ue000-\uf8ff]|[ÃÂìíëê][\u0080-\u00bf]")


@dataclass(slots=True)
class EventDraft:
    """An event while its pledge is still being read (details may follow a page break)."""

    serial_no: int
    pledge_code: str
    event_seq: int
    own_text: str  # the event's own item, glyph removed
    source_line: int
    details: list[EventDetail] = field(default_factory=list)
    title: str = ""
    # the date scans of title and details, read by `draft_days` and used up by `build_event(s)`
    _scans: ActivityScans | None = field(default=None, repr=False, compare=False)
    _scanned: tuple[str, int] = field(default=("", -1), repr=False, compare=False)

    def __post_init__(self) -> None:
        self.title, inline = split_inline(self.own_text)
        for text in inline:
            self.add_detail(INLINE_MARKER, text, self.source_line)

    def add_detail(self, marker: str, text: str, source_line: int) -> None:
        self.details.append(
            EventDetail(detail_seq=len(self.details) + 1, marker=marker, text=text, source_line=source_line)
        )

    def scans(self) -> ActivityScans:
        """The date scans of the title and details as they are now (read once)."""
        if self._scans is None or self._scanned != (self.title, len(self.details)):
            self._scans = scan_activity(self.title, [d.text for d in self.details])
            self._scanned = (self.title, len(self.details))
        return self._scans

    def take_scans(self) -> ActivityScans:
        """The scans, for `event_dates`, which gives their yearless points a year: not kept."""
        scans = self.scans()
        self._scans = None
        return scans


def _issue(draft: EventDraft, kind: str, message: str, text: str, severity: str = "warning") -> ParseIssue:
    return ParseIssue(
        source_line=draft.source_line,
        serial_no=draft.serial_no,
        pledge_code=draft.pledge_code,
        event_seq=draft.event_seq,
        kind=kind,
        severity=severity,
        message=message,
        text=text,
    )


def draft_days(draft: EventDraft) -> set[tuple[int, int, int]]:
    """The days the activity states with their year, for its siblings' yearless dates."""
    return explicit_days(draft.title, [d.text for d in draft.details], scans=draft.scans())


class SiblingDays(Collection):
    """The dated days (`draft_days`) of a pledge's other activities, gathered only when
    asked for: only an activity with a yearless date and no year of its own asks, so the
    activities of a pledge are not all read against each other."""

    def __init__(self, pledge: list[EventDraft], draft: EventDraft) -> None:
        self._pledge, self._draft = pledge, draft

    @cached_property
    def _days(self) -> set[tuple[int, int, int]]:
        return {day for other in self._pledge if other is not self._draft for day in draft_days(other)}

    def __contains__(self, day: object) -> bool:
        return day in self._days

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        return iter(self._days)

    def __len__(self) -> int:
        return len(self._days)


@dataclass(slots=True)
class _Readings:
    """What the readers find in an activity's title and details."""

    when: EventDates
    people: Attendance
    place: Venue
    session_count: int | None
    format_code: str


def build_event(
    draft: EventDraft, report_date: dt.date, sibling_days: Collection[tuple[int, int, int]] = ()
) -> tuple[Event, list[ParseIssue]]:
    """`sibling_days`: the dated days of the pledge's other activities (`draft_days`)."""
    return _build([draft], report_date, [sibling_days])[0]


def build_events(drafts: list[EventDraft], report_date: dt.date) -> list[tuple[Event, list[ParseIssue]]]:
    """`build_event` for every activity of a report, in order, a sibling being an activity
    of the same pledge."""
    pledges: dict[tuple[int, str], list[EventDraft]] = {}
    for draft in drafts:
        pledges.setdefault((draft.serial_no, draft.pledge_code), []).append(draft)
    return _build(
        drafts, report_date, [SiblingDays(pledges[(draft.serial_no, draft.pledge_code)], draft) for draft in drafts]
    )


def _build(
    drafts: list[EventDraft], report_date: dt.date, sibling_days: list[Collection[tuple[int, int, int]]]
) -> list[tuple[Event, list[ParseIssue]]]:
    """The activities' events and issues, `sibling_days[i]` being the siblings' days of `drafts[i]`.

    Each reader makes one pass over all the activities, rather than all readers reading
    one activity after the other: a reader's regexes and code then stay in the CPU's
    caches from one activity to the next (measured: a sixth less time for the whole parse).
    """
    titles = [draft.title for draft in drafts]
    details = [[d.text for d in draft.details] for draft in drafts]
    whens = [
        event_dates(title, texts, report_year=report_date.year, scans=draft.take_scans(), sibling_days=siblings)
        for draft, title, texts, siblings in zip(drafts, titles, details, sibling_days)
    ]
    others = [_text_readings(title, tuple(texts)) for title, texts in zip(titles, details)]
    return [_event(draft, report_date, _Readings(when, *rest)) for draft, when, rest in zip(drafts, whens, others)]


@lru_cache(maxsize=1 << 16)
def _text_readings(title: str, texts: tuple[str, ...]) -> tuple[Attendance, Venue, int | None, str]:
    """People, venue, sessions and format read from the activity's text alone. Memoised: each
    report repeats the activities of the earlier reports of the term (the reports are cumulative),
    so a worker parsing many periods reads each text once. Their results are never mutated."""
    return (
        attendance([title, *texts]),
        find_venue(title, list(texts)),
        session_count(title, list(texts)),
        format_for_title(title),
    )


def _event(draft: EventDraft, report_date: dt.date, readings: _Readings) -> tuple[Event, list[ParseIssue]]:
    """The activity's `Event` from its readings, and its issues."""
    when = readings.when
    detail_texts = [d.text for d in draft.details]
    issues: list[ParseIssue] = []
    for kind, message in when.problems:
        severity = "info" if "read as" in message else "warning"
        issues.append(_issue(draft, kind, message, draft.own_text, severity))
    points = when.points
    days = [p.first_day() for p in points]  # (each a new date object: made once)
    late = [p for p, day in zip(points, days) if day > report_date]
    if late:
        issues.append(
            _issue(
                draft,
                "date_after_report",
                f"{', '.join(repr(p.raw) for p in late)} is after the report date {report_date:%Y-%m-%d}",
                draft.own_text,
            )
        )
    all_text = " ".join([draft.own_text, *detail_texts])
    if _GARBLED.search(all_text):
        issues.append(
            _issue(draft, "garbled_text", "text holds replacement or mis-decoded characters", all_text, "error")
        )

    raw_lines = [draft.title] + [
        f"{d.marker} {d.text}" if d.marker and d.marker != INLINE_MARKER else d.text for d in draft.details
    ]
    people, place = readings.people, readings.place
    # `model_validate` of a dict: the same validation as `Event(...)`, without pydantic
    # first building an empty instance for `__init__` to fill
    event = Event.model_validate(
        {
            "serial_no": draft.serial_no,
            "pledge_code": draft.pledge_code,
            "event_seq": draft.event_seq,
            "title": draft.title,
            "raw_text": "\n".join(raw_lines),
            "details": draft.details,
            "start_date": when.start.first_day() if when.start else None,
            "start_precision": when.start.precision if when.start else None,
            "end_date": when.end.first_day() if when.end else None,
            "end_precision": when.end.precision if when.end else None,
            # dicts: the DatePoints are built by Event's own validation, at a fraction of the cost
            "dates": [{"value": day, "precision": p.precision, "raw": p.raw} for p, day in zip(points, days)],
            "session_count": readings.session_count,
            "attendee_count": people.count,
            "attendee_is_approx": people.is_approx,
            "attendee_kind": people.kind,
            "attendees": people.figures,
            "venue_name": place.name,
            "is_online": place.is_online,
            "format_code": readings.format_code,
            "source_line": draft.source_line,
        }
    )
    return event, issues
