"""The contract between parsing and loading.

Every parser output is one of these pydantic models; `load/staging.py` turns them
into DuckDB staging tables column for column. Field names here are the staging
column names, so renaming one is a schema change.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Precision = Literal["day", "month", "year"]
# what a people figure counts (SPEC.md, attendees_kind); `mixed`: a total over groups of different kinds
AttendeeKind = Literal["attended", "surveyed", "trained", "served", "appointed", "mixed"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class DatePoint(_Record):
    """One explicit date in the text. Month/year precision dates hold their first day."""

    value: dt.date
    precision: Precision
    raw: str = Field(description="the date expression as printed")


class ReportRow(_Record):
    """One data row of the report: `연번 \\t 분야 \\t 관리번호 \\t 공약사업명 \\t 시민소통실적`."""

    source_line: int = Field(description="1-based line number in the source file")
    serial_no: int
    field_label: str = Field(description="분야 as printed, e.g. '경 제 분 야'")
    field_code: str = Field(description="shared field code (seed field_labels); 'other' when the label maps to none")
    pledge_code: str = Field(description="관리번호 as printed, e.g. '5-1'")
    pledge_name: str = Field(description="공약사업명 as printed; '' on some continued rows")
    is_continuation: bool = Field(description="same serial as the previous data row (page break)")
    n_list_items: int = Field(description="number of <li> (and <div><p>) items in the HTML cell")
    html: str


class EventDetail(_Record):
    """A detail line of an activity (`- 일 시 : ...`, `※ ...`, inline text after ` - `)."""

    detail_seq: int = Field(description="1-based order within its event")
    marker: str = Field(description="'-', '※', '*', '↳', or 'inline' for text after ' - '")
    text: str = Field(description="detail text, marker removed")
    source_line: int


class AttendeeFigure(_Record):
    """One people figure stated for an activity."""

    group_label: str | None = Field(description="who was counted ('공무원'); None for the total")
    people_count: int
    is_approx: bool = Field(description="'여명' / '약' style approximation")
    is_cumulative: bool = Field(description="'누적' cumulative figure")
    is_per_session: bool = Field(default=False, description="'매회' per-session figure")
    is_total: bool = Field(description="this figure is the activity's total")
    raw: str = Field(description="the figure as printed, e.g. '30여명'")
    attendee_kind: AttendeeKind = Field(default="attended", description="what the figure counts (참석/설문/교육/...)")


class Event(_Record):
    """One top-level activity of a pledge (see ../shared/gold/SPEC.md, 'What is one event')."""

    serial_no: int
    pledge_code: str
    event_seq: int = Field(description="1-based position within the pledge, across page breaks")
    title: str = Field(description="the activity's own line, bullet glyph removed, inline detail cut")
    raw_text: str = Field(description="own line + details, as text, for search and audit")
    details: list[EventDetail] = Field(default_factory=list)
    start_date: dt.date | None = None
    start_precision: Precision | None = None
    end_date: dt.date | None = None
    end_precision: Precision | None = None
    dates: list[DatePoint] = Field(default_factory=list, description="every explicit date")
    session_count: int | None = None
    attendee_count: int | None = None
    attendee_is_approx: bool = False
    attendees: list[AttendeeFigure] = Field(default_factory=list)
    attendee_kind: AttendeeKind | None = Field(default=None, description="what attendee_count counts; None without it")
    venue_name: str | None = Field(default=None, description="place as in the text; None if none")
    is_online: bool = False
    format_code: str = "other"
    source_line: int = Field(description="line of the row holding the activity's own <li>")

    @model_validator(mode="after")
    def _precision_goes_with_date(self) -> Event:
        if (self.start_date is None) != (self.start_precision is None):
            raise ValueError("start_date and start_precision must be set together")
        if (self.end_date is None) != (self.end_precision is None):
            raise ValueError("end_date and end_precision must be set together")
        return self


class ParseIssue(_Record):
    """Something the parser could not read cleanly: kept, never dropped."""

    source_line: int | None
    serial_no: int | None = None
    pledge_code: str | None = None
    event_seq: int | None = None
    kind: str = Field(description="short machine code, e.g. 'date_after_report', 'orphan_item'")
    severity: Literal["info", "warning", "error"] = "warning"
    message: str
    text: str = Field(default="", description="the offending text")


class ParsedReport(_Record):
    """Everything parsed from one report file (one reporting period)."""

    report_date: dt.date
    source_file: str
    rows: list[ReportRow]
    events: list[Event]
    issues: list[ParseIssue]
    n_list_items: int = Field(description="all <li>/<div><p> items in the input")
    n_items_as_event: int
    n_items_as_detail: int
    n_items_as_issue: int
