"""The search index of the run's working database, made after dbt and published with it
(pipeline/search/index.py)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from pipeline.defs.assets.dbt import pledge_dbt_models
from pipeline.defs.warehouse_resource import WarehouseResource
from pipeline.search import index

SEARCH_INDEX = AssetKey(["marts", "search_weights"])


@asset(
    key=SEARCH_INDEX,
    deps=[pledge_dbt_models],
    group_name="marts",
    description=(
        "검색 색인 — DuckDB's full-text index over `marts.mart_search_documents` (Korean lemmas), its BM25 "
        "weights per activity, field and lemma as `marts.search_weights`, the lemmas that can match "
        "(`marts.search_vocabulary`) and the macros `marts.search_activities(q)` and "
        "`marts.search_tokens(tokens)` (docs/search.md)."
    ),
)
def search_index(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    with warehouse.connect_build() as con:
        counts = index.build(con)
    context.log.info(f"search index: {counts}")
    return MaterializeResult(metadata={**counts, "dagster/row_count": counts["weights"]})
