"""The example queries of dbt_project/analyses/ as plain SQL, for the DuckDB CLI and Python.

The analyses stay the one source of truth; `queries/<name>.sql` is rendered from them here
and committed (tests/test_sql_cli.py checks that the copies equal this rendering):

    .venv/bin/python -m pipeline.report.plain_sql     # rewrite queries/ after editing an analysis

Rendering is pure text: `{{ ref('x') }}` becomes `<schema>.x` (the schema of model x's folder,
`marts` for the marts, as dbt_project.yml sets it), `{{ dbt.date_trunc('part', 'expr') }}`
becomes `date_trunc('part', expr)` (what dbt-duckdb compiles it to). Any other jinja is refused,
so a new construct in an analysis fails loudly instead of leaking `{{` into the plain SQL."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pipeline import settings

ANALYSES_DIR = settings.DBT_PROJECT_DIR / "analyses"
QUERIES_DIR = settings.PROJECT_ROOT / "queries"
# model folder -> schema (dbt_project.yml: models.pledge_warehouse.<folder>.+schema)
SCHEMAS = ("staging", "intermediate", "marts")

_REF = re.compile(r"\{\{\s*ref\(\s*'(\w+)'\s*\)\s*\}\}")
_DATE_TRUNC = re.compile(r"\{\{\s*dbt\.date_trunc\(\s*'(\w+)'\s*,\s*'([^']+)'\s*\)\s*\}\}")
_ANY_JINJA = re.compile(r"\{\{|\{%|\{#")


def model_schema(model: str, models_dir: Path | None = None) -> str:
    models_dir = models_dir or settings.DBT_PROJECT_DIR / "models"
    for schema in SCHEMAS:
        if any((models_dir / schema).rglob(f"{model}.sql")):
            return schema
    raise ValueError(f"ref('{model}'): no model of that name under {models_dir}")


def render(sql: str, schema_of=model_schema) -> str:
    out = _REF.sub(lambda m: f"{schema_of(m.group(1))}.{m.group(1)}", sql)
    out = _DATE_TRUNC.sub(lambda m: f"date_trunc('{m.group(1)}', {m.group(2)})", out)
    leftover = _ANY_JINJA.search(out)
    if leftover:
        line = out[: leftover.start()].count("\n") + 1
        raise ValueError(f"unsupported jinja at line {line}: {out.splitlines()[line - 1].strip()}")
    return out


def header(name: str) -> str:
    return (
        f"-- Generated from dbt_project/analyses/{name}.sql by pipeline/report/plain_sql.py: edit that file,\n"
        f"-- then run `.venv/bin/python -m pipeline.report.plain_sql`. Runs as is in `make sql` and in Python.\n"
    )


def rendered() -> dict[str, str]:
    """name -> plain SQL, for every analysis."""
    return {p.stem: header(p.stem) + render(p.read_text()) for p in sorted(ANALYSES_DIR.glob("*.sql"))}


def write(folder: Path = QUERIES_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    queries = rendered()
    for stale in folder.glob("*.sql"):
        if stale.stem not in queries:
            stale.unlink()
    paths = []
    for name, sql in queries.items():
        path = folder / f"{name}.sql"
        path.write_text(sql)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write(Path(sys.argv[1]) if len(sys.argv) > 1 else QUERIES_DIR):
        print(p)
