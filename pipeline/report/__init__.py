"""What analysts look at: the static HTML report (`warehouse/report/index.html`),
Markdown previews for Dagster metadata, and the dbt docs site helpers
(`python -m pipeline.report.dbt_docs`)."""

from pipeline.report.page import CHART_IDS, render_report, write_report
from pipeline.report.preview import markdown_preview, row_counts

__all__ = ["CHART_IDS", "markdown_preview", "render_report", "row_counts", "write_report"]
