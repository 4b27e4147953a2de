"""Discovering the reports in `raw/`: one partition per reporting period.

Reports lie in `raw/` itself or, one level down, in a folder named after their municipality
(`raw/전주시/...`): the folder names the municipality of a report whose header does not.
"""

from __future__ import annotations

import datetime as dt
import stat
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.raw.report_file import RawReport, ReportFileError, normalise_municipality, read_report

REPORT_SUFFIXES = {".txt", ".tsv"}


@dataclass
class Discovery:
    reports: dict[str, RawReport] = field(default_factory=dict)  # partition key -> report
    refused: dict[str, str] = field(default_factory=dict)  # file name -> reason
    warnings: dict[str, str] = field(default_factory=dict)  # file name -> what looks wrong (still loaded)


def partition_key(report: RawReport) -> str:
    # a municipality's periods: two cities' reports of one date are two periods, one city's two are refused
    return report.period_key


def _not_a_regular_file(path: Path) -> str | None:
    """Why `path` is not a readable regular file (never opened: a FIFO would block), or None."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a dangling link" if path.is_symlink() else "gone"
    except OSError as exc:
        return f"cannot be inspected ({exc.strerror or exc})"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if not stat.S_ISREG(mode):
        return "a special file"
    return None


def _candidates(raw_dir: Path) -> list[tuple[Path, str | None]]:
    """(path, the name of its municipality's folder or None) of every entry that may be a report: those
    of raw/, and those of its folders (a folder with a report's suffix is itself refused, by name)."""
    out = []
    for path in sorted(raw_dir.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir() and path.suffix.lower() not in REPORT_SUFFIXES:
            out += [(p, path.name) for p in sorted(path.iterdir()) if not p.name.startswith(".")]
        else:
            out.append((path, None))
    return out


def discover_reports(raw_dir: Path) -> Discovery:
    """Read every report file's header; refuse unreadable ones and duplicate periods.

    Two files claiming the same period are both refused: choosing one silently
    would hide a mistake in `raw/`.
    """
    found = Discovery()
    if not raw_dir.is_dir():
        return found
    by_key: dict[str, list[RawReport]] = {}
    for path, folder in _candidates(raw_dir):
        if path.suffix.lower() not in REPORT_SUFFIXES:
            if path.is_file():
                found.warnings[path.name] = (
                    f"{path.name}: not a report file (reports are .txt or .tsv text exports); ignored"
                )
            continue
        not_a_file = _not_a_regular_file(path)
        if not_a_file:
            found.refused[path.name] = f"{path.name}: {not_a_file}, not a report file"
            continue
        try:
            report, _ = read_report(path, folder)
        except ReportFileError as exc:
            found.refused[path.name] = str(exc)
            continue
        except OSError as exc:  # unreadable: refused by name, the other files go on
            found.refused[path.name] = f"{path.name}: cannot be read ({exc.strerror or exc})"
            continue
        if (
            folder is not None
            and report.municipality_line is not None
            and normalise_municipality(folder)
            not in (
                None,
                report.municipality,
            )
        ):
            found.warnings[path.name] = (
                f"{path.name}:{report.municipality_line}: its header names {report.municipality}, its folder "
                f"{folder}: the header is followed"
            )
        if report.report_date > dt.date.today():
            found.warnings[path.name] = (
                f"{path.name}:{report.header_line}: header date {report.report_date} is in the future; "
                "if it is a typo, fix the file, or retract the period (see README, Operating it)"
            )
        by_key.setdefault(partition_key(report), []).append(report)
    for key, reports in sorted(by_key.items()):
        if len(reports) == 1:
            found.reports[key] = reports[0]
            continue
        names = ", ".join(r.file_name for r in reports)
        for r in reports:
            found.refused[r.file_name] = (
                f"{r.file_name}: period {key} is also claimed by another file ({names}); "
                "keep one file per municipality and period in raw/"
            )
    return found
