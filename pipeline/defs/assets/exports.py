"""The exports: each a Dagster asset of its own after `published_warehouse`, reading the published
warehouse read-only. A failed export fails its own asset only; the warehouse stays published, and
the next run makes the export again (pipeline/export/freshness.py, read by the change plan)."""

from collections.abc import Callable
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipeline import settings
from pipeline.defs.assets.publish import PUBLISHED_WAREHOUSE
from pipeline.export import freshness
from pipeline.export.parquet import export_parquet
from pipeline.export.tables import CSV_DIR, export_csv
from pipeline.export.workbook import export_workbook
from pipeline.report import CHART_IDS, markdown_preview, row_counts, write_report
from pipeline.shared import connect_published

EXPORT_KEYS = {
    "workbook": AssetKey("export_workbook"),
    "csv": AssetKey("export_csv"),
    "parquet": AssetKey("export_parquet"),
    "report": AssetKey("analyst_report"),
}
EXPORT_NAMES = {key: name for name, key in EXPORT_KEYS.items()}
PREVIEW_TABLES = ("marts.fct_events", "marts.dim_pledge")


def _made(name: str, make: Callable[[Path], tuple[list[Path], dict]]) -> MaterializeResult:
    """Make export `name` from the published warehouse and stamp it with the build it holds."""
    published = settings.warehouse_path()
    with connect_published(published) as con:
        build = freshness.published_build(con)
    outputs, metadata = make(published)
    freshness.record(name, build, outputs)
    return MaterializeResult(metadata={"path": MetadataValue.path(str(outputs[0])), "build": build or "", **metadata})


@asset(
    key=EXPORT_KEYS["workbook"],
    deps=[PUBLISHED_WAREHOUSE],
    group_name="exports",
    description="워크북 — `warehouse/export/pledge_activity.xlsx`: each activity once, pledges, people figures "
    "and what changed in the latest report, parse issues, and a read-me sheet.",
)
def workbook_export(context: AssetExecutionContext) -> MaterializeResult:
    def make(published: Path):
        made = export_workbook(published, settings.export_dir())
        context.log.info(f"wrote {made['workbook']}: {made['rows']}")
        return [Path(made["workbook"])], {"rows": MetadataValue.json(made["rows"])}

    return _made("workbook", make)


@asset(
    key=EXPORT_KEYS["csv"],
    deps=[PUBLISHED_WAREHOUSE],
    group_name="exports",
    description="CSV — `warehouse/export/csv/<table>.csv`: every analyst table over every report, UTF-8 with a "
    "byte-order mark (Excel reads Hangul), headers in Korean and English.",
)
def csv_export(context: AssetExecutionContext) -> MaterializeResult:
    def make(published: Path):
        folder = settings.export_dir() / CSV_DIR
        rows = export_csv(published, folder)
        context.log.info(f"wrote {len(rows)} CSV file(s) in {folder}")
        return [folder / f"{name}.csv" for name in rows], {"rows": MetadataValue.json(rows)}

    return _made("csv", make)


@asset(
    key=EXPORT_KEYS["parquet"],
    deps=[PUBLISHED_WAREHOUSE],
    group_name="exports",
    description="Parquet — `warehouse/parquet/<table>.parquet`: every table of `marts`, for R, Spark, pandas.",
)
def parquet_export(context: AssetExecutionContext) -> MaterializeResult:
    def make(published: Path):
        rows = export_parquet(published, settings.parquet_dir())
        context.log.info(f"wrote {len(rows)} Parquet file(s) in {settings.parquet_dir()}")
        return [settings.parquet_dir() / f"{t}.parquet" for t in rows], {"rows": MetadataValue.json(rows)}

    return _made("parquet", make)


@asset(
    key=EXPORT_KEYS["report"],
    deps=[PUBLISHED_WAREHOUSE],
    group_name="exports",
    description="보고서 — `warehouse/report/index.html`, a static page (no server, no internet) with charts: "
    "activities per field per period, monthly timeline, format mix, attendance per field, top "
    "pledges, parse coverage. Rendered from the published warehouse, opened read-only.",
)
def analyst_report(context: AssetExecutionContext) -> MaterializeResult:
    def make(published: Path):
        path = write_report(published, settings.report_path())
        with connect_published(published) as con:
            counts = row_counts(con, "marts")
            previews = {table: markdown_preview(con, table, 5) for table in PREVIEW_TABLES}
        context.log.info(f"wrote {path} ({path.stat().st_size:,} bytes)")
        return [path], {
            "n_charts": len(CHART_IDS),
            "bytes": path.stat().st_size,
            "dagster/row_count": counts.get("fct_events", 0),
            "row_counts": MetadataValue.md(
                "| table | rows |\n|---|---|\n" + "\n".join(f"| `marts.{t}` | {n:,} |" for t, n in counts.items())
            ),
            **{f"preview_{table.split('.')[-1]}": MetadataValue.md(md) for table, md in previews.items()},
        }

    return _made("report", make)


export_assets = [workbook_export, csv_export, parquet_export, analyst_report]
