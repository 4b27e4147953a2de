"""The report file of each period, snapshotted by content (pipeline/raw/store.py).

The assets of raw/ -> parse -> staging run all the partitions of a run in one step (single-run
backfill policy) and keep their data in explicit storage rather than an IO manager: the raw bytes
in a content-addressed snapshot, the parsed records as Arrow IPC files in a cache keyed by (sha256, parser
fingerprint), the staging rows in the run's working database.
"""

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy, MaterializeResult, MetadataValue, asset

from pipeline import settings
from pipeline.defs.partitions import reporting_periods
from pipeline.raw.discover import discover_reports
from pipeline.raw.report_file import ReportFileError
from pipeline.raw.store import clear_refusal, record_refusal, save_snapshot
from pipeline.report.preview import md_text

RAW_REPORT = AssetKey("raw_report")

# Dagster copies the metadata of a partitioned asset's result into the materialization event of
# every partition of the run, so a table with a row per period costs periods² in the event log
# (measured: a run of 2,000 reports wrote 460 MB of events for `raw_report` alone, 230 KB each).
# Above this many periods such a table is logged once instead.
PER_PERIOD_METADATA_MAX = 20


def per_period_metadata(
    context: AssetExecutionContext, name: str, n_periods: int, value: MetadataValue, text: str
) -> dict[str, MetadataValue]:
    """`{name: value}` for a run of few periods; else the table (`text`) goes in one log event and
    the metadata says where it is."""
    if n_periods <= PER_PERIOD_METADATA_MAX:
        return {name: value}
    context.log.info(f"{name}, {n_periods} periods:\n{text}")
    return {
        name: MetadataValue.text(
            f"{n_periods} periods: the table is in this run's log "
            f"(kept out of the per-partition events, which would each copy it)"
        )
    }


@asset(
    key=RAW_REPORT,
    partitions_def=reporting_periods,
    backfill_policy=BackfillPolicy.single_run(),
    group_name="raw",
    description=(
        "보고서 원본 — the report file of the period in `raw/`: its bytes (snapshotted by SHA-256), "
        "encoding and header date. The period is read from the file's own header `【YYYY. MM. DD.】`."
    ),
)
def raw_report(context: AssetExecutionContext) -> MaterializeResult:
    found = discover_reports(settings.raw_dir())
    rows = []
    for key in context.partition_keys:
        clear_refusal(key)
        if key not in found.reports:
            refused = "; ".join(found.refused.values())
            reason = f"period {key}: no readable report file for it in {settings.raw_dir()}" + (
                f" (refused: {refused})" if refused else ""
            )
            context.log.error(reason)
            record_refusal(key, reason)
            continue
        info = found.reports[key]
        try:
            save_snapshot(key, info)
        except ReportFileError as exc:  # saved again while this run read it: that file waits for the next run
            context.log.error(str(exc))
            record_refusal(key, str(exc))
            continue
        rows.append(info)  # per-period details go in the metadata table: one log event per run, not per period
    context.log.info(f"{len(rows)} report file(s) snapshotted")
    files = "| period | file | bytes | encoding | sha256 |\n|---|---|---|---|---|\n" + "\n".join(
        f"| {r.period_key} | {md_text(r.file_name)} | {r.n_bytes} | {r.encoding} | `{r.sha256[:12]}` |" for r in rows
    )
    return MaterializeResult(
        metadata={
            "n_reports": len(rows),
            **per_period_metadata(context, "files", len(rows), MetadataValue.md(files), files),
        }
    )
