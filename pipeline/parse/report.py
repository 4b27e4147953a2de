"""The whole report text -> rows, events and issues (`parse_report_text`).

Data rows are `연번 \\t 분야 \\t 관리번호 \\t 공약사업명 \\t HTML`. Preamble lines come
before the first header row; header rows repeat at page breaks; a pledge continues
over a page break as a row with the same serial (sometimes with an empty name), and
its list continues the same pledge: a detail at the top of the continued part
belongs to the last event before the break, and event_seq counts on.

A continued row printed out of place (after the next pledge's row: same serial and
pledge code as a pledge already begun) is read as a careful reader would, as the
continuation of that pledge, with a `continuation_out_of_order` warning. A pledge
code printed under two serials cannot be numbered (two activities would share a
position): the file is refused by name (ReportFileError), and the others load.

A city prints its fields its own way (`일자리 경제`, `문화관광`): the seed field_labels maps each
label onto the shared fields; a label it does not map is read as the field `other`, its rows kept,
with one `unknown_field` warning per label and report.

Nothing is dropped silently: every `<li>` / boxed `<p>` ends up as an event, a
detail, or a ParseIssue, and the counts on `ParsedReport` add up.
"""

from __future__ import annotations

import datetime as dt
import re

from pipeline.parse.events import EventDraft, build_events
from pipeline.parse.models import ParsedReport, ParseIssue, ReportRow
from pipeline.parse.segment import cell_items, classify, uses_glyphs
from pipeline.raw.report_file import ReportFileError
from pipeline.vocab import OTHER_FIELD, field_code_for_label, field_label_key

HEADER_FIRST_CELL = "연번"
N_COLUMNS = 5
_PLEDGE_CODE = re.compile(r"^\d{1,3}(?:-\d{1,2})?$")
_SERIAL = re.compile(r"^\d{1,4}$")


_OPEN_TAG = re.compile(r"<(ul|li)\b", re.I)
_CLOSE_TAG = re.compile(r"</(ul|li)\s*>", re.I)


def _balanced_html(html: str) -> bool:
    """Every <ul>/<li> closed and the cell ends with a tag: not cut mid-row."""
    if not html.rstrip().endswith(">"):
        return False
    # Plain substring counts: when every `<` opens `<ul>`, `<ul `, `<li>`, `<li `, `</ul>` or
    # `</li>`, these are exactly the regexes' matches (any other tag, case or spacing: regexes).
    ul, li = html.count("<ul>") + html.count("<ul "), html.count("<li>") + html.count("<li ")
    ul_end, li_end = html.count("</ul>"), html.count("</li>")
    if ul + li + ul_end + li_end == html.count("<"):
        return ul == ul_end and li == li_end
    opened = [m.group(1).lower() for m in _OPEN_TAG.finditer(html)]
    closed = [m.group(1).lower() for m in _CLOSE_TAG.finditer(html)]
    return opened.count("ul") == closed.count("ul") and opened.count("li") == closed.count("li")


_LI_TAG = re.compile(r"<li\b", re.I)


def _unread_list_items(html: str, items) -> int:
    """`<li>` tags of the source that did not become items."""
    n_source = len(_LI_TAG.findall(html)) if "<" in html else 0
    return max(0, n_source - sum(1 for item in items if not item[2]))


def _is_header(cells: list[str]) -> bool:
    return cells[0].strip().replace(" ", "") == HEADER_FIRST_CELL


class ReportTruncatedError(ReportFileError):
    """The file ends inside its last row or list: most likely cut off in a copy or a download."""


def parse_report_text(
    text: str, *, source_file: str, report_date: dt.date, accept_truncated: bool = False
) -> ParsedReport:
    """The report's rows, events and issues. A file that ends inside its last row or list is refused
    (ReportTruncatedError), unless `accept_truncated`: then it is read as far as it goes, with a
    `truncated` issue that marks its period."""
    rows: list[ReportRow] = []
    issues: list[ParseIssue] = []
    drafts: list[EventDraft] = []
    n_items = n_events = n_details = n_issue_items = 0

    seen_header = False
    prev_serial: int | None = None
    prev_code: str | None = None
    current: EventDraft | None = None  # the last event of the current pledge
    seq = 0
    # (serial, pledge code) -> (event_seq so far, last event) of every pledge begun: a continued row
    # printed out of place continues its own pledge, not the one before it
    begun: dict[tuple[int, str], tuple[int, EventDraft | None]] = {}
    serial_of_code: dict[str, int] = {}
    last_begun: int | None = None  # serial of the last pledge begun (a late continued row does not count)
    unmapped_labels: dict[str, list] = {}  # field label the seed does not map -> [its issue, rows]

    cut_off: str | None = None  # how the last data row ends, if it is cut off
    for line_no, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        cells = line.split("\t")
        if _is_header(cells):
            seen_header = True
            cut_off = None
            continue
        if not seen_header:
            continue  # title, date, slogan
        cut_off = None
        if len(cells) < N_COLUMNS:
            cut_off = f"ends inside the row of line {line_no} ({len(cells)} of {N_COLUMNS} columns)"
            # a row without its list cannot be placed; its items (if any) are accounted as issues
            items = cell_items(cells[-1]) if "<" in cells[-1] else []
            n_items += len(items)
            n_issue_items += len(items)
            issues.append(
                ParseIssue(
                    source_line=line_no,
                    kind="missing_columns",
                    severity="error",
                    message=f"data row has {len(cells)} tab-separated columns, expected {N_COLUMNS}",
                    text=line[:500],
                )
            )
            continue
        serial_cell, field_label, pledge_code, pledge_name = (c.strip() for c in cells[:4])
        html = "\t".join(cells[4:])
        items = cell_items(html)
        n_items += len(items)
        unread = _unread_list_items(html, items)
        if unread:
            # Counted from the source, not from what the HTML parser kept: lxml stops reading
            # below a nesting depth, and an item it drops must not pass as accounted for.
            n_items += unread
            n_issue_items += unread
            issues.append(
                ParseIssue(
                    source_line=line_no,
                    pledge_code=pledge_code,
                    kind="unread_items",
                    severity="error",
                    message=f"{unread} list item(s) of the row could not be read (nested too deep, or outside "
                    "a list); they are not in the warehouse",
                    text=html[:200],
                )
            )

        if not _SERIAL.match(serial_cell):
            n_issue_items += len(items)
            issues.append(
                ParseIssue(
                    source_line=line_no,
                    kind="bad_serial",
                    severity="error",
                    message=f"serial number {serial_cell!r} is not a number; row skipped",
                    text=line[:500],
                )
            )
            continue
        serial = int(serial_cell)
        continued = serial == prev_serial
        # A row whose pledge cannot be placed (malformed code) is quarantined whole:
        # its items become issues, nothing of it is half-loaded.
        if not _PLEDGE_CODE.match(pledge_code):
            n_issue_items += len(items)
            issues.append(
                ParseIssue(
                    source_line=line_no,
                    serial_no=serial,
                    pledge_code=pledge_code,
                    kind="bad_pledge_code",
                    severity="error",
                    message=f"pledge code {pledge_code!r} is not of the form N or N-M; row quarantined",
                    text=pledge_code,
                )
            )
            prev_serial, prev_code, current, seq, last_begun = None, None, None, 0, None
            continue
        field_code = field_code_for_label(field_label)
        if field_code is None:
            # A field this city prints that the seed field_labels does not map: its pledges are the
            # city's all the same, so the row is kept under the shared field `other`, and the label is
            # named once per report (one warning, not one per row of a city that prints it throughout).
            field_code = OTHER_FIELD
            key = field_label_key(field_label)
            if key not in unmapped_labels:
                unmapped_labels[key] = [
                    ParseIssue(
                        source_line=line_no,
                        serial_no=serial,
                        pledge_code=pledge_code,
                        kind="unknown_field",
                        severity="warning",
                        message="",  # says how many rows once the report is read
                        text=field_label,
                    ),
                    0,
                ]
                issues.append(unmapped_labels[key][0])
            unmapped_labels[key][1] += 1
        if not _balanced_html(html):
            cut_off = f"ends inside row {serial}'s list (line {line_no})"
            issues.append(
                ParseIssue(
                    source_line=line_no,
                    serial_no=serial,
                    pledge_code=pledge_code,
                    kind="unbalanced_html",
                    message="the row's HTML list is cut off or has unclosed tags (truncated file?); "
                    "its items were read as far as they go",
                    text=html[-200:],
                )
            )
        if continued and pledge_code != prev_code:
            issues.append(
                ParseIssue(
                    source_line=line_no,
                    serial_no=serial,
                    pledge_code=pledge_code,
                    kind="continuation_mismatch",
                    message=f"serial {serial} continues with pledge code {pledge_code!r} after {prev_code!r}",
                    text=line[:200],
                )
            )
        late = not continued and (serial, pledge_code) in begun
        if late:
            issues.append(
                ParseIssue(
                    source_line=line_no,
                    serial_no=serial,
                    pledge_code=pledge_code,
                    kind="continuation_out_of_order",
                    severity="warning",
                    message=f"serial {serial} (pledge {pledge_code}) continues after serial {prev_serial}: read as the "
                    "continuation of its pledge, its activities numbered on from its earlier part",
                    text=line[:200],
                )
            )
            seq, current = begun[(serial, pledge_code)]
        elif not continued:
            if pledge_code in serial_of_code:
                raise ReportFileError(
                    f"{source_file}:{line_no}: pledge code {pledge_code!r} is printed under serial "
                    f"{serial_of_code[pledge_code]} and serial {serial}; its activities cannot be told apart "
                    "(fix the serial or the code and run again)"
                )
            if last_begun is not None and serial != last_begun + 1:
                issues.append(
                    ParseIssue(
                        source_line=line_no,
                        serial_no=serial,
                        pledge_code=pledge_code,
                        kind="serial_out_of_order",
                        severity="info",
                        message=f"serial {serial} follows {last_begun}",
                        text=serial_cell,
                    )
                )
            if not pledge_name:
                issues.append(
                    ParseIssue(
                        source_line=line_no,
                        serial_no=serial,
                        pledge_code=pledge_code,
                        kind="missing_pledge_name",
                        message="a pledge's first row has no name",
                        text=line[:200],
                    )
                )
            current, seq, last_begun = None, 0, serial
            serial_of_code[pledge_code] = serial
        rows.append(
            ReportRow(
                source_line=line_no,
                serial_no=serial,
                field_label=field_label,
                field_code=field_code,
                pledge_code=pledge_code,
                pledge_name=pledge_name,
                is_continuation=continued or late,
                n_list_items=len(items),
                html=html,
            )
        )

        glyph_list = uses_glyphs(items)
        for item in items:
            c = classify(item, glyph_list)
            if c.role == "event":
                seq += 1
                current = EventDraft(serial, pledge_code, seq, c.text, line_no)
                drafts.append(current)
                n_events += 1
                if c.glyphless:
                    issues.append(
                        ParseIssue(
                            source_line=line_no,
                            serial_no=serial,
                            pledge_code=pledge_code,
                            event_seq=seq,
                            kind="missing_bullet",
                            severity="info",
                            message="top-level item without a bullet in a list that uses bullets; taken as an event",
                            text=c.text,
                        )
                    )
            elif c.role == "detail" and current is not None:
                current.add_detail(c.marker, c.text, line_no)
                n_details += 1
            else:
                n_issue_items += 1
                kind, message = (
                    ("orphan_detail", "detail item with no event before it in its pledge")
                    if c.role == "detail"
                    else ("empty_item", "list item with no text")
                )
                issues.append(
                    ParseIssue(
                        source_line=line_no,
                        serial_no=serial,
                        pledge_code=pledge_code,
                        kind=kind,
                        message=message,
                        text=c.text,
                    )
                )
        begun[(serial, pledge_code)] = (seq, current)
        prev_serial, prev_code = serial, pledge_code

    for issue, n_rows in unmapped_labels.values():
        issue.message = (
            f"field label {issue.text!r} maps to none of the shared fields (seed field_labels): its {n_rows} "
            f"row(s) from line {issue.source_line} on are read under field {OTHER_FIELD!r}; to map it, add it to "
            "dbt_project/seeds/field_labels.csv"
        )

    events = []
    for event, event_issues in build_events(drafts, report_date):
        events.append(event)
        issues.extend(event_issues)

    if cut_off is not None:
        if not accept_truncated:
            raise ReportTruncatedError(
                f"{source_file}: {cut_off}: truncated? Nothing of it was loaded; to load it as it is: "
                f'make run ARGS="--accept-truncated {source_file}"'
            )
        issues.append(
            ParseIssue(
                source_line=None,
                kind="truncated",
                message=f"the file {cut_off}: loaded as it is (--accept-truncated); its missing activities are "
                "not dropped by the city",
                text=cut_off,
            )
        )
    return ParsedReport(
        report_date=report_date,
        source_file=source_file,
        rows=rows,
        events=events,
        issues=issues,
        n_list_items=n_items,
        n_items_as_event=n_events,
        n_items_as_detail=n_details,
        n_items_as_issue=n_issue_items,
    )
