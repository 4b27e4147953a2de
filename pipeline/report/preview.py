"""Markdown previews of warehouse tables, for Dagster materialization metadata."""

from __future__ import annotations

import re

import duckdb

_QUALIFIED_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")


# Report text and file names are untrusted: in Markdown they must stay text. HTML's three characters
# become entities (shown as themselves, never parsed as tags), and Markdown's active characters are
# backslash-escaped, so no link, image, emphasis or code span can be made from a title.
_HTML_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def md_text(value, max_chars: int | None = None) -> str:
    """`value` as literal text in one Markdown table cell."""
    if value is None:
        return ""
    text = " ".join(str(value).split())
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return _MARKDOWN_ACTIVE.sub(r"\\\1", text.translate(_HTML_ENTITIES))


def _cell(value, max_chars: int) -> str:
    return md_text(value, max_chars)


def markdown_preview(con: duckdb.DuckDBPyConnection, table: str, n: int = 5, *, max_chars: int = 40) -> str:
    """The first n rows of `table` (e.g. `marts.fct_events`) as a Markdown table.

    Long cells are cut at max_chars, newlines flattened and pipes escaped so the
    table stays one line per row. The table name must be a plain (schema-)
    qualified identifier; it is quoted, never interpolated as SQL.
    """
    if not _QUALIFIED_NAME.match(table):
        raise ValueError(f"not a table name: {table!r}")
    quoted = ".".join(f'"{part}"' for part in table.split("."))
    cursor = con.execute(f"select * from {quoted} limit ?", [int(n)])
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    lines = [
        "| " + " | ".join(names) + " |",
        "|" + "---|" * len(names),
        *("| " + " | ".join(_cell(v, max_chars) for v in row) + " |" for row in rows),
    ]
    return "\n".join(lines)


def row_counts(con: duckdb.DuckDBPyConnection, schema: str = "marts") -> dict[str, int]:
    """Table name -> row count for every base table of a schema."""
    tables = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
            [schema],
        ).fetchall()
    ]
    return {t: con.execute(f'select count(*) from "{schema}"."{t}"').fetchone()[0] for t in tables}
