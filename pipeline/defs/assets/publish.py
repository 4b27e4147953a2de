"""Publishing: the audited working database replaces the published warehouse."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipeline.defs.assets.dbt import pledge_dbt_models
from pipeline.defs.assets.search import SEARCH_INDEX
from pipeline.defs.warehouse_resource import WarehouseResource
from pipeline.report import markdown_preview
from pipeline.report.preview import row_counts

PUBLISHED_WAREHOUSE = AssetKey("published_warehouse")


@asset(
    key=PUBLISHED_WAREHOUSE,
    deps=[pledge_dbt_models, SEARCH_INDEX],
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
    context.log.info(f"published {path}: {counts}")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(path)),
            "periods": MetadataValue.json(periods),
            **{f"rows_{t}": n for t, n in counts.items()},
            "n_activities": counts["fct_events"],
            "dagster/row_count": counts["fct_events"],
            "preview_fct_events": MetadataValue.md(preview),
        }
    )
