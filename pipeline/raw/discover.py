"""Discovering the reports in `raw/`: one partition per reporting period."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.raw.report_file import RawReport, ReportFileError, read_report

REPORT_SUFFIXES = {".txt", ".tsv"}


@dataclass
class Discovery:
    reports: dict[str, RawReport] = field(default_factory=dict)  # partition key -> report
    refused: dict[str, str] = field(default_factory=dict)  # file name -> reason


def partition_key(report: RawReport) -> str:
    return report.report_date.isoformat()


def discover_reports(raw_dir: Path) -> Discovery:
    """Read every report file's header; refuse unreadable ones and duplicate periods.

    Two files claiming the same period are both refused: choosing one silently
    would hide a mistake in `raw/`.
    """
    found = Discovery()
    if not raw_dir.is_dir():
        return found
    by_key: dict[str, list[RawReport]] = {}
    for path in sorted(raw_dir.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.suffix.lower() not in REPORT_SUFFIXES:
            continue
        try:
            report, _ = read_report(path)
        except ReportFileError as exc:
            found.refused[path.name] = str(exc)
            continue
        by_key.setdefault(partition_key(report), []).append(report)
    for key, reports in sorted(by_key.items()):
        if len(reports) == 1:
            found.reports[key] = reports[0]
            continue
        names = ", ".join(r.file_name for r in reports)
        for r in reports:
            found.refused[r.file_name] = (
                f"{r.file_name}: period {key} is also claimed by another file ({names}); "
                "keep one file per period in raw/"
            )
    return found
