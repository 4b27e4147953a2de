"""The parse cache: each report parsed once per (file content, parser version) into Arrow files
that the staging load reads. Parsing is pure and writes only its own cache folder, so periods
parse in parallel; the warehouse itself is written later, by one process."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline import settings
from pipeline.load import staging
from pipeline.parse.models import ParseIssue
from pipeline.raw.report_file import RawReport, ReportFileError, decode_report, term_contradiction
from pipeline.raw.store import load_snapshot


def cache_folder(info: RawReport) -> Path:
    from pipeline.parse.fingerprint import parser_fingerprint

    # the file's name and municipality are in the parsed rows (`source_file`, `municipality`): a renamed
    # file, or one moved to another municipality's folder, is parsed again (in milliseconds)
    name = hashlib.sha256(f"{info.municipality}/{info.file_name}".encode()).hexdigest()[:12]
    return settings.cache_dir() / "parsed" / f"{info.sha256}-{parser_fingerprint()}-{name}"


def is_cached(key: str) -> bool:
    try:
        info, _ = load_snapshot(key)
    except ReportFileError:
        return False
    return cached_summary(info) is not None


def cached_summary(info: RawReport) -> dict | None:
    """The summary of the cached parse of `info`'s bytes, if the entry is whole: made from those bytes
    (their sha256) and with every file as it was written (its checksum); else None."""
    folder = cache_folder(info)
    try:
        summary = json.loads((folder / "summary.json").read_text())
    except (OSError, ValueError):
        return None
    if summary.get("input_sha256") != info.sha256 or summary.get("checksums") != staging.cache_checksums(folder):
        return None
    return summary


def _report_bytes(info: RawReport, snapshot: Path) -> bytes:
    """The report's bytes from its snapshot, or from raw/ again when the snapshot is damaged."""
    for source in (snapshot, Path(info.path)):
        try:
            data = source.read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() == info.sha256:
            return data
    raise ReportFileError(f"{info.file_name}: its snapshot is damaged and the file has changed since: run again")


def parse_one(info: RawReport, snapshot: Path, accept_truncated: bool = False, reread: bool = False) -> dict:
    """Parse one report into the cache (unless a whole entry is cached, and not `reread`); returns its
    summary, with `repaired` when a damaged entry was parsed again. A truncated file accepted once stays
    accepted: its cached parse carries the `truncated` issue."""
    folder = cache_folder(info)
    repaired = None
    if not reread:
        summary = cached_summary(info)
        if summary is not None:
            return {**summary, "cached": True}
        if folder.exists():
            repaired = f"{info.file_name}: its cached parse ({folder}) was damaged; parsed again from the report"
    shutil.rmtree(folder, ignore_errors=True)
    from pipeline.parse.report import parse_report_text  # heavy: import on use

    text, _ = decode_report(_report_bytes(info, snapshot), info.file_name)
    parsed = parse_report_text(
        text, source_file=info.file_name, report_date=info.report_date, accept_truncated=accept_truncated
    )
    if why := term_contradiction(info):
        parsed.issues.append(
            ParseIssue(
                source_line=info.term_line, kind="term_contradicts_date", message=why, text=f"민선{info.term_printed}기"
            )
        )
    tables = staging.to_arrow(info, parsed, ingested_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
    pledge_codes = {row.pledge_code for row in parsed.rows}
    summary = {
        "input_sha256": info.sha256,
        "report_date": info.report_date.isoformat(),
        "period": info.period_key,
        "file_name": info.file_name,
        "n_rows": len(parsed.rows),
        "n_pledges": len(pledge_codes),
        "n_events": len(parsed.events),
        "n_events_dated": sum(e.start_date is not None or e.end_date is not None for e in parsed.events),
        "n_events_orphan": sum(e.pledge_code not in pledge_codes for e in parsed.events),
        "n_issues": len(parsed.issues),
        "n_list_items": parsed.n_list_items,
        "n_items_as_event": parsed.n_items_as_event,
        "n_items_as_detail": parsed.n_items_as_detail,
        "n_items_as_issue": parsed.n_items_as_issue,
        "rows_per_table": {t: tables[t].num_rows for t in tables},
    }
    staging.write_cached_tables(tables, folder, summary=summary)
    return {**summary, "cached": False, "repaired": repaired}


class DiskFullError(OSError):
    """The cache's disk is full: a fault of the machine, not of the report (the run fails, exit 2)."""


def parse_checked(key: str, accept_truncated: Iterable[str] = (), reread: bool = False) -> dict | str:
    """Summary of one period's parse, or the reason it was refused. `accept_truncated`: file names
    loaded as they are although they end inside a row or list; `reread`: parse even if cached."""
    try:
        info, snapshot = load_snapshot(key)
        summary = parse_one(info, snapshot, info.file_name in set(accept_truncated), reread)
        if summary["n_rows"] == 0:
            raise ReportFileError(f"{info.file_name}: no data rows (연번/분야/관리번호/공약사업명/시민소통실적) found")
        return summary
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            return f"period {key}: parsing failed: {exc!r}"
        need = max(1, 4 * Path(info.path).stat().st_size // 2**20)  # the parse's files take about 3x the report
        raise DiskFullError(
            exc.errno,
            f"no space left on the device of {settings.cache_dir()} while caching the parse of period {key}: "
            f"free at least {need} MB there and run again",
        ) from exc
    except Exception as exc:  # one bad report must not stop the good ones
        return str(exc) if isinstance(exc, ReportFileError) else f"period {key}: parsing failed: {exc!r}"


@dataclass
class ParseTotals:
    """The figures of a run's parse that its checks read."""

    n_periods: int
    n_events: int
    n_pledges: int
    n_issues: int
    n_list_items: int
    n_accounted: int  # list items that became an activity, a detail or a parse issue
    n_as_content: int  # list items that became an activity or a detail
    n_dated: int
    n_orphans: int
    n_cached: int

    @property
    def coverage(self) -> float:
        """Share of list items read as an activity or a detail."""
        return self.n_as_content / self.n_list_items if self.n_list_items else 1.0

    @property
    def dated_share(self) -> float:
        return self.n_dated / self.n_events if self.n_events else 1.0


def totals(summaries: list[dict]) -> ParseTotals:
    return ParseTotals(
        n_periods=len(summaries),
        n_events=sum(s["n_events"] for s in summaries),
        n_pledges=sum(s["n_pledges"] for s in summaries),
        n_issues=sum(s["n_issues"] for s in summaries),
        n_list_items=sum(s["n_list_items"] for s in summaries),
        n_accounted=sum(s["n_items_as_event"] + s["n_items_as_detail"] + s["n_items_as_issue"] for s in summaries),
        n_as_content=sum(s["n_items_as_event"] + s["n_items_as_detail"] for s in summaries),
        n_dated=sum(s["n_events_dated"] for s in summaries),
        n_orphans=sum(s["n_events_orphan"] for s in summaries),
        n_cached=sum(s["cached"] for s in summaries),
    )


def periods_to_load(keys, held: dict, full: bool) -> dict[str, Path]:
    """The parsed cache folder of each period whose staging rows must be (re)loaded: every period with
    a parse (not refused) whose (sha256, parser) differs from what staging holds, or all with `full`."""
    from pipeline.parse.fingerprint import parser_fingerprint

    to_load: dict[str, Path] = {}
    for key in keys:
        try:
            info, _ = load_snapshot(key)
        except ReportFileError:
            continue  # never ingested (refused): nothing to load
        folder = cache_folder(info)
        if not (folder / "summary.json").exists():
            continue  # refused at parsing, or not parsed with this parser yet
        if full or held.get(info.period_key) != (info.sha256, parser_fingerprint(), info.file_name):
            to_load[info.period_key] = folder
    return to_load
