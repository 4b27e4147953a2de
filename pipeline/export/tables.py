"""What the exports hold: the analyst tables, how each is ordered, which rows the workbook shows, and
the column headers (the Korean term of the dbt docs with the English name). The CSV files are written
here; the workbook in workbook.py, the Parquet files in parquet.py."""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipeline import settings
from pipeline.shared import connect_published

CSV_DIR = "csv"
# pledge codes as printed (`5-1`, `48-2`) in their natural order, not as text
PLEDGE_ORDER = (
    "try_cast(split_part(pledge_code, '-', 1) as integer), "
    "try_cast(split_part(pledge_code, '-', 2) as integer), pledge_code"
)
# each municipality's latest report: two cities publish on their own dates, and a city's latest report is
# what its staff read as "now", whatever another city published since
LATEST_REPORT = (
    "(municipality, report_date) in (select municipality, max(report_date) from marts.dim_period group by municipality)"
)


@dataclass(frozen=True)
class Table:
    name: str  # the CSV file's name
    schema: str
    table: str  # the dbt model it holds
    order_by: str  # a total order, so that every export lists the rows alike
    label_ko: str  # what it is, in Korean, then in English
    label_en: str
    sheet: str | None = None  # the workbook's sheet that shows it (None: CSV and Parquet only)
    sheet_rows: str | None = None  # the rows the sheet shows (SQL condition; None: every row)

    @property
    def relation(self) -> str:
        return f'"{self.schema}"."{self.table}"'

    @property
    def sheet_where(self) -> str:
        return self.where(sheet=True)

    def where(self, municipality: str | None = None, *, sheet: bool = False) -> str:
        """The SQL `where` of the rows an export shows: the sheet's rows (`sheet`), of one municipality only
        (every table an export holds has its `municipality`); empty for every row."""
        conditions = [self.sheet_rows] if sheet and self.sheet_rows else []
        if municipality is not None:
            conditions.append(f"municipality = {sql_text(municipality)}")
        return "where " + " and ".join(f"({c})" for c in conditions) if conditions else ""


TABLES: tuple[Table, ...] = (
    Table(
        "활동",
        "marts",
        "dim_event",
        f"municipality, term_number, {PLEDGE_ORDER}, start_date nulls last, event_key",
        "활동 (보고서마다 한 번)",
        "activities, each counted once across reports",
        sheet="활동",
    ),
    Table(
        "공약사업",
        "marts",
        "dim_pledge",
        f"municipality, term_number, {PLEDGE_ORDER}",
        "공약사업",
        "pledges",
        sheet="공약사업",
    ),
    Table(
        "참여인원",
        "marts",
        "fct_attendees",
        f"municipality, report_date, {PLEDGE_ORDER}, event_seq, event_key, figure_seq",
        "인원 문구 (최근 보고서, 모든 유형: 참석·설문·교육·지원·위촉)",
        "people figures of the latest report, every kind: attendance is attendee_kind = attended",
        sheet="참여인원",
        sheet_rows=LATEST_REPORT,
    ),
    Table(
        "활동이력",
        "marts",
        "fct_event_lifecycle",
        f"municipality, report_date, {PLEDGE_ORDER}, event_seq nulls last, event_key",
        "최근 보고서의 변경 (신규, 변경, 유지, 중단)",
        "what changed in the latest report: new, changed, carried, dropped",
        sheet="최근변경",
        sheet_rows=LATEST_REPORT,
    ),
    Table(
        "파싱문제",
        "staging",
        "stg_parse_issues",
        "municipality, report_date, issue_seq",
        "파싱 문제",
        "parse issues: what the parser could not read cleanly",
        sheet="파싱문제",
    ),
    Table(
        "기간별활동",
        "marts",
        "fct_events",
        f"municipality, report_date, {PLEDGE_ORDER}, event_seq, event_key",
        "보고서별 활동 (전체 이력)",
        "activities per report: the full history",
    ),
)


# With several municipalities the workbook at the top is the evaluators' comparison: one row per municipality,
# term and report. Each municipality's staff have their activities in their own workbook, and every row of
# every city is in the CSV and Parquet files at the top.
COMPARISON = Table(
    "비교",
    "marts",
    "mart_municipality_comparison",
    "term_number, report_date, municipality",
    "지자체 비교 (지자체·민선 기수·보고서마다 한 행)",
    "comparison of the municipalities: one row per municipality, term and report",
    sheet="비교",
)


def default_manifest_path() -> Path:
    return settings.DBT_PROJECT_DIR / "target" / "manifest.json"


# --- descriptions from the dbt docs --------------------------------------------------------------


def plain_text(markdown: str) -> str:
    """A dbt description as one line of plain text: code spans unquoted, whitespace collapsed."""
    text = re.sub(r"`([^`]*)`", r"\1", markdown or "")
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
    return " ".join(text.split())


_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def korean_term(description: str) -> str | None:
    """The Korean term of a column description. The dbt docs put the English meaning first, so that the
    docs' column list shows it: `Start date — 시작일. When ...` -> `시작일` (up to the first `.`, `:` or `;`);
    a description in the older order, `시작일 — start date`, gives its head."""
    head, sep, rest = plain_text(description).partition(" — ")
    if not sep:
        return None
    if _HANGUL.search(head):
        return head.strip() or None
    term = re.split(r"[.:;](?:\s|$)", rest, maxsplit=1)[0].strip()
    return term if _HANGUL.search(term) else None


def header(column: str, description: str) -> str:
    """`시작일 (start date)`: the Korean term of the dbt docs, then the column's name in English words."""
    english = re.sub(r"^n_", "number of ", column)
    english = re.sub(r"_ko$", " in Korean", english).replace("_", " ")
    term = korean_term(description)
    return f"{term} ({english})" if term else english


@dataclass(frozen=True)
class ModelDocs:
    description: str
    columns: Mapping[str, str]
    # the Korean descriptions (the dbt YAML's `config: {meta: {ko: ...}}`), for readers who read Korean first
    description_ko: str = ""
    columns_ko: Mapping[str, str] = field(default_factory=dict)


def load_docs(manifest_path: Path) -> dict[str, ModelDocs]:
    """model name -> its description and its columns' descriptions, as in the dbt docs, in English and
    (from `meta.ko`) in Korean."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    docs: dict[str, ModelDocs] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "model":
            columns = node.get("columns", {})
            docs[node["name"]] = ModelDocs(
                description=node.get("description") or "",
                columns={name: col.get("description") or "" for name, col in columns.items()},
                description_ko=(node.get("meta") or {}).get("ko") or "",
                columns_ko={name: (col.get("meta") or {}).get("ko") or "" for name, col in columns.items()},
            )
    return docs


def column_kind(duck_type: str) -> str:
    upper = duck_type.upper()
    if upper == "DATE":
        return "date"
    if upper.startswith("TIMESTAMP"):
        return "datetime"
    if upper == "BOOLEAN":
        return "bool"
    if any(
        upper.startswith(p)
        for p in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
    ):
        return "int"
    if any(upper.startswith(p) for p in ("DOUBLE", "FLOAT", "REAL", "DECIMAL")):
        return "number"
    return "text"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_text(value: str) -> str:
    """A string literal (DuckDB's COPY takes no parameters)."""
    return "'" + value.replace("'", "''") + "'"


def _csv_sql(column: str, duck_type: str) -> str:
    """The column as its CSV field, in SQL (DuckDB's CSV writer writes a sheet's 80,000 rows in a tenth of
    the time Python's csv module takes): flags TRUE/FALSE, dates yyyy-mm-dd, timestamps in UTC without a
    zone, whole numbers without a decimal point, a null empty."""
    v, kind = ident(column), column_kind(duck_type)
    if kind == "bool":
        return f"case when {v} then 'TRUE' when not {v} then 'FALSE' end"
    if kind == "date":
        return f"strftime({v}, '%Y-%m-%d')"
    if kind == "datetime":
        ts = f"timezone('UTC', {v})" if "TIME ZONE" in duck_type.upper() else v
        return (
            f"strftime({ts}, '%Y-%m-%d %H:%M:%S') || case when microsecond({ts}) % 1000000 <> 0 then "
            f"'.' || lpad(cast(microsecond({ts}) % 1000000 as varchar), 6, '0') else '' end"
        )
    if kind == "number":
        return (
            f"case when isfinite({v}) and {v} = trunc({v}) then cast(cast({v} as hugeint) as varchar) "
            f"else cast({v} as varchar) end"
        )
    return f"cast({v} as varchar)"


def _write_csv(con: duckdb.DuckDBPyConnection, select: str, final: Path) -> None:
    """`select`'s rows as CSV at `final`: UTF-8 with the byte-order mark Excel needs to read Hangul,
    a null as an empty field; written beside `final` and renamed over it."""
    body = final.with_name(f".{final.name}.body")
    tmp = final.with_name(f".{final.name}.tmp")
    try:
        con.execute(
            f"copy ({select}) to '{str(body).replace(chr(39), chr(39) * 2)}' "
            "(format csv, header true, delimiter ',', quote '\"', escape '\"', null '')"
        )
        with open(tmp, "wb") as out, open(body, "rb") as src:
            out.write(codecs.BOM_UTF8)
            shutil.copyfileobj(src, out, 1 << 20)
        os.replace(tmp, final)
    finally:
        body.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def export_csv(
    warehouse_path: Path, out_dir: Path, *, manifest_path: Path | None = None, municipality: str | None = None
) -> dict[str, int]:
    """One CSV file per table of TABLES, every row (or every row of `municipality`), in out_dir; returns
    {file name: rows}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = Path(manifest_path) if manifest_path else default_manifest_path()
    docs = load_docs(manifest_path) if manifest_path.exists() else {}
    rows: dict[str, int] = {}
    with connect_published(warehouse_path) as con:
        for t in TABLES:
            model = docs.get(t.table)
            columns = [(r[0], r[1]) for r in con.execute(f"describe {t.relation}").fetchall()]
            select = ", ".join(
                f"{_csv_sql(c, kind)} as {ident(header(c, model.columns.get(c, '') if model else ''))}"
                for c, kind in columns
            )
            where = t.where(municipality)
            _write_csv(
                con, f"select {select} from {t.relation} {where} order by {t.order_by}", out_dir / f"{t.name}.csv"
            )
            rows[t.name] = con.execute(f"select count(*) from {t.relation} {where}").fetchone()[0]
    for stale in out_dir.glob("*.csv"):
        if stale.stem not in rows:
            stale.unlink()
    return rows
