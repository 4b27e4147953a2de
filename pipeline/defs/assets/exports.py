"""The exports: each a Dagster asset of its own after `published_warehouse`, reading the published
warehouse read-only. A failed export fails its own asset only; the warehouse stays published, and
the next run makes the export again (pipeline/export/freshness.py, read by the change plan)."""

from collections.abc import Callable
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipeline import settings
from pipeline.defs.assets.publish import PUBLISHED_WAREHOUSE
from pipeline.export import freshness
from pipeline.export.cities import each_city, fingerprints
from pipeline.export.parquet import export_parquet
from pipeline.export.tables import CSV_DIR, export_csv
from pipeline.export.workbook import WORKBOOK_NAME, export_workbook
from pipeline.report import CHART_IDS, markdown_preview, row_counts
from pipeline.report.cities import write_reports
from pipeline.shared import connect_published

EXPORT_KEYS = {
    "workbook": AssetKey("export_workbook"),
    "csv": AssetKey("export_csv"),
    "parquet": AssetKey("export_parquet"),
    "report": AssetKey("analyst_report"),
}
EXPORT_NAMES = {key: name for name, key in EXPORT_KEYS.items()}
PREVIEW_TABLES = ("marts.fct_events", "marts.dim_pledge")


def _made(name: str, make: Callable[[Path, Callable[[str], bool]], tuple[list[Path], dict]]) -> MaterializeResult:
    """Make export `name` from the published warehouse and stamp it with the build it holds; `make` is
    told which municipalities' own files are as their rows are (made again only if missing)."""
    published = settings.warehouse_path()
    with connect_published(published) as con:
        build = freshness.published_build(con)
        now = fingerprints(con)
    before = freshness.made_from(name)
    outputs, metadata = make(published, lambda city: before.get(city) == now.get(city))
    freshness.record(name, build, outputs, cities=now)
    return MaterializeResult(metadata={"path": MetadataValue.path(str(outputs[0])), "build": build or "", **metadata})


@asset(
    key=EXPORT_KEYS["workbook"],
    deps=[PUBLISHED_WAREHOUSE],
    group_name="exports",
    description="워크북 — `warehouse/export/pledge_activity.xlsx`: each activity once, pledges, people figures "
    "and what changed in the latest report, parse issues, and a read-me sheet; with several municipalities, "
    "each one's own in `warehouse/export/<municipality>/`, and the one at the top compares them.",
)
def workbook_export(context: AssetExecutionContext) -> MaterializeResult:
    def make(published: Path, unchanged: Callable[[str], bool]):
        made = export_workbook(published, settings.export_dir())
        context.log.info(f"wrote {made['workbook']}: {made['rows']}")
        cities = each_city(
            published,
            settings.export_dir(),
            lambda city, folder: [Path(export_workbook(published, folder, municipality=city)["workbook"])],
            stale=(WORKBOOK_NAME,),
            unchanged=unchanged,
        )
        if cities:
            context.log.info(f"wrote {len(cities)} municipalities' workbooks in {settings.export_dir()}")
        return [Path(made["workbook"]), *cities], {"rows": MetadataValue.json(made["rows"]), "cities": len(cities)}

    return _made("workbook", make)


@asset(
    key=EXPORT_KEYS["csv"],
    deps=[PUBLISHED_WAREHOUSE],
    group_name="exports",
    description="CSV — `warehouse/export/csv/<table>.csv`: every analyst table over every report, UTF-8 with a "
    "byte-order mark (Excel reads Hangul), headers in Korean and English; with several municipalities, also "
    "each one's own in `warehouse/export/<municipality>/csv/`.",
)
def csv_export(context: AssetExecutionContext) -> MaterializeResult:
    def make(published: Path, unchanged: Callable[[str], bool]):
        folder = settings.export_dir() / CSV_DIR
        rows = export_csv(published, folder)
        context.log.info(f"wrote {len(rows)} CSV file(s) in {folder}")
        cities = each_city(
            published,
            settings.export_dir(),
            lambda city, folder: [
                folder / CSV_DIR / f"{name}.csv" for name in export_csv(published, folder / CSV_DIR, municipality=city)
            ],
            stale=(f"{CSV_DIR}/*.csv",),
            unchanged=unchanged,
        )
        return [folder / f"{name}.csv" for name in rows] + cities, {"rows": MetadataValue.json(rows)}

    return _made("csv", make)


@asset(
    key=EXPORT_KEYS["parquet"],
    deps=[PUBLISHED_WAREHOUSE],
    group_name="exports",
    description="Parquet — `warehouse/parquet/<table>.parquet`: every table of `marts`, for R, Spark, pandas.",
)
def parquet_export(context: AssetExecutionContext) -> MaterializeResult:
    def make(published: Path, unchanged: Callable[[str], bool]):
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
    "pledges, parse coverage. With several municipalities, one such page each "
    "(`warehouse/report/<municipality>/index.html`) and an index page comparing them. Rendered from the "
    "published warehouse, opened read-only.",
)
def analyst_report(context: AssetExecutionContext) -> MaterializeResult:
    def make(published: Path, unchanged: Callable[[str], bool]):
        paths = write_reports(published, settings.report_path(), settings.export_dir(), unchanged)
        path = paths[0]
        with connect_published(published) as con:
            counts = row_counts(con, "marts")
            previews = {table: markdown_preview(con, table, 5) for table in PREVIEW_TABLES}
        context.log.info(f"wrote {path} ({path.stat().st_size:,} bytes)")
        return paths, {
            "n_charts": len(CHART_IDS),
            "pages": len(paths),
            "bytes": path.stat().st_size,
            "dagster/row_count": counts.get("fct_events", 0),
            "row_counts": MetadataValue.md(
                "| table | rows |\n|---|---|\n" + "\n".join(f"| `marts.{t}` | {n:,} |" for t, n in counts.items())
            ),
            **{f"preview_{table.split('.')[-1]}": MetadataValue.md(md) for table, md in previews.items()},
        }

    return _made("report", make)


export_assets = [workbook_export, csv_export, parquet_export, analyst_report]
