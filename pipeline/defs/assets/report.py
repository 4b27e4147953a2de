"""The analyst report: a static HTML page beside the published warehouse."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipeline import settings
from pipeline.shared import connect_published
from pipeline.report import CHART_IDS, markdown_preview, row_counts, write_report

PREVIEW_TABLES = ("marts.fct_events", "marts.dim_pledge")


def report_path():
    return settings.warehouse_path().parent / "report" / "index.html"


@asset(
    key=AssetKey("analyst_report"),
    deps=[AssetKey("published_warehouse")],
    group_name="report",
    description=(
        "보고서 — `warehouse/report/index.html`, a static page (no server, no internet) with charts: activities "
        "per field per period, monthly timeline, format mix, attendance per field, top pledges, parse coverage. "
        "Rendered from the published warehouse, opened read-only."
    ),
)
def analyst_report(context: AssetExecutionContext) -> MaterializeResult:
    published = settings.warehouse_path()
    path = write_report(published, report_path())
    with connect_published(published) as con:  # the file, or the DuckLake when shared (issue 14)
        counts = row_counts(con, "marts")
        previews = {table: markdown_preview(con, table, 5) for table in PREVIEW_TABLES}
    context.log.info(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(path)),
            "n_charts": len(CHART_IDS),
            "bytes": path.stat().st_size,
            "dagster/row_count": counts.get("fct_events", 0),
            "row_counts": MetadataValue.md(
                "| table | rows |\n|---|---|\n" + "\n".join(f"| `marts.{t}` | {n:,} |" for t, n in counts.items())),
            **{f"preview_{table.split('.')[-1]}": MetadataValue.md(md) for table, md in previews.items()},
        }
    )
