"""An activity's own line and details -> one `Event` with its extracted fields."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from pipeline.parse.dates import ActivityScans, event_dates, explicit_days, scan_activity
from pipeline.parse.formats import format_for_title
from pipeline.parse.models import Event, EventDetail, ParseIssue
from pipeline.parse.people import attendance
from pipeline.parse.segment import INLINE_MARKER, split_inline
from pipeline.parse.sessions import session_count
from pipeline.parse.venue import find_venue

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
    # the date scans of title and details, read by `draft_days` and used up by `build_event`
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
        source_line=draft.source_line, serial_no=draft.serial_no, pledge_code=draft.pledge_code,
        event_seq=draft.event_seq, kind=kind, severity=severity, message=message, text=text,
    )


def draft_days(draft: EventDraft) -> set[tuple[int, int, int]]:
    """The days the activity states with their year, for its siblings' yearless dates."""
    return explicit_days(draft.title, [d.text for d in draft.details], scans=draft.scans())


def build_event(draft: EventDraft, report_date: dt.date,
                sibling_days: Collection[tuple[int, int, int]] = ()) -> tuple[Event, list[ParseIssue]]:
    """`sibling_days`: the dated days of the pledge's other activities (`draft_days`)."""
    title = draft.title
    detail_texts = [d.text for d in draft.details]
    issues: list[ParseIssue] = []

    when = event_dates(title, detail_texts, report_year=report_date.year, sibling_days=sibling_days,
                       scans=draft.take_scans())
    for kind, message in when.problems:
        severity = "info" if "read as" in message else "warning"
        issues.append(_issue(draft, kind, message, draft.own_text, severity))
    late = [p for p in when.points if p.first_day() > report_date]
    if late:
        issues.append(
            _issue(draft, "date_after_report",
                   f"{', '.join(repr(p.raw) for p in late)} is after the report date {report_date:%Y-%m-%d}",
                   draft.own_text)
        )
    people = attendance([title, *detail_texts])
    place = find_venue(title, detail_texts)
    all_text = " ".join([draft.own_text, *detail_texts])
    if _GARBLED.search(all_text):
        issues.append(_issue(draft, "garbled_text", "text holds replacement or mis-decoded characters", all_text,
                             "error"))

    raw_lines = [title] + [f"{d.marker} {d.text}" if d.marker and d.marker != INLINE_MARKER else d.text
                           for d in draft.details]
    event = Event(
        serial_no=draft.serial_no,
        pledge_code=draft.pledge_code,
        event_seq=draft.event_seq,
        title=title,
        raw_text="\n".join(raw_lines),
        details=draft.details,
        start_date=when.start.first_day() if when.start else None,
        start_precision=when.start.precision if when.start else None,
        end_date=when.end.first_day() if when.end else None,
        end_precision=when.end.precision if when.end else None,
        dates=[p.to_model() for p in when.points],
        session_count=session_count(title, detail_texts),
        attendee_count=people.count,
        attendee_is_approx=people.is_approx,
        attendees=people.figures,
        venue_name=place.name,
        is_online=place.is_online,
        format_code=format_for_title(title),
        source_line=draft.source_line,
    )
    return event, issues
