"""Publishing: the audited working database replaces the published warehouse."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipeline import settings
from pipeline.defs.assets.dbt import pledge_dbt_models
from pipeline.defs.warehouse_resource import WarehouseResource
from pipeline.load.export import export_parquet
from pipeline.load.workbook import export_workbook
from pipeline.report import markdown_preview
from pipeline.report.preview import row_counts


@asset(
    key=AssetKey("published_warehouse"),
    deps=[pledge_dbt_models],
    group_name="marts",
    description=(
        "게시된 웨어하우스 — `warehouse/pledge_activity.duckdb`, the file analysts open read-only. "
        "Replaced atomically, only after the dbt tests and the asset checks of this run passed."
    ),
)
def published_warehouse(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    with warehouse.connect_build() as con:
        counts = row_counts(con, "marts")
        periods = [str(r[0]) for r in con.execute("select report_date from marts.dim_period order by 1").fetchall()]
        preview = markdown_preview(con, "marts.fct_events", 5)
    path = warehouse.publish()
    exported = export_parquet(path, path.parent / "parquet")
    # the per-period sheets' rows are kept per period in the cache: a new period writes its own rows only
    workbook = export_workbook(path, path.parent / "export", block_cache=settings.cache_dir() / "workbook_rows")
    context.log.info(f"published {path}: {counts}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(path)),
            "periods": MetadataValue.json(periods),
            **{f"rows_{t}": n for t, n in counts.items()},
            "n_activities": counts["fct_events"],
            "dagster/row_count": counts["fct_events"],
            "preview_fct_events": MetadataValue.md(preview),
            "parquet": MetadataValue.path(str(path.parent / "parquet")),
            "parquet_rows": MetadataValue.json(exported),
            "workbook": MetadataValue.path(workbook["workbook"]),
            "workbook_csv": MetadataValue.path(workbook["csv_dir"]),
            "workbook_rows": MetadataValue.json(workbook["rows"]),
            "workbook_row_blocks": MetadataValue.json(workbook["row_blocks"]),
        }
    )
