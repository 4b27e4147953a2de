"""What a run keeps of its input: a content-addressed snapshot of each period's report file (so a
file changed or removed mid-run cannot change what the run parses), and the refusals of the
periods it could not ingest (read by `make run`'s summary)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pipeline import settings
from pipeline.raw.report_file import RawReport, ReportFileError


def snapshot_dir() -> Path:
    return settings.cache_dir() / "raw"


def _info_path(partition_key: str) -> Path:
    return snapshot_dir() / f"{partition_key}.json"  # `전주시/2020-12-31`: a folder per municipality


def save_snapshot(partition_key: str, info: RawReport) -> Path:
    """Copy the report file into the snapshot store (once per content) and record it for the period. The
    bytes copied must be those `info` was read from: a file saved again meanwhile is refused by name."""
    snapshot_dir().mkdir(parents=True, exist_ok=True)
    snapshot = snapshot_dir() / f"{info.sha256}.bin"
    if not snapshot.exists():
        data = Path(info.path).read_bytes()
        if hashlib.sha256(data).hexdigest() != info.sha256:
            raise ReportFileError(
                f"{info.file_name}: changed while this run read it (still being written or synced?); nothing of "
                "it was loaded: run again once the file is complete"
            )
        tmp = snapshot.with_name(f"{snapshot.name}.tmp-{os.getpid()}")
        try:
            tmp.write_bytes(data)
            tmp.replace(snapshot)
        finally:
            tmp.unlink(missing_ok=True)
    _info_path(partition_key).parent.mkdir(parents=True, exist_ok=True)
    _info_path(partition_key).write_text(info.model_dump_json(indent=2))
    return snapshot


def load_snapshot(partition_key: str) -> tuple[RawReport, Path]:
    """The report file as ingested by `raw_report` for this period."""
    info_path = _info_path(partition_key)
    if not info_path.exists():
        raise ReportFileError(f"period {partition_key}: raw_report has not been materialized")
    try:
        info = RawReport.model_validate_json(info_path.read_text())
    except ValueError:  # written by an earlier version of the record, or damaged: the run snapshots it again
        raise ReportFileError(f"period {partition_key}: its snapshot record does not read") from None
    return info, snapshot_dir() / f"{info.sha256}.bin"


def _refusals_dir() -> Path:
    return settings.build_dir() / "refused"


def record_refusal(partition_key: str, reason: str) -> None:
    """A period this run could not ingest: its previously published rows stay as they were."""
    (_refusals_dir() / f"{partition_key}.txt").parent.mkdir(parents=True, exist_ok=True)
    (_refusals_dir() / f"{partition_key}.txt").write_text(reason)


def clear_refusal(partition_key: str) -> None:
    (_refusals_dir() / f"{partition_key}.txt").unlink(missing_ok=True)


def refusals(partition_keys) -> dict[str, str]:
    """Refusal reasons recorded for these periods (by the last run that covered them)."""
    found = {}
    for key in partition_keys:
        path = _refusals_dir() / f"{key}.txt"
        if path.exists():
            found[key] = path.read_text()
    return found
