"""Parquet exports of the marts, for users of other tools (R, Excel via Power Query, Spark, ...)."""

from __future__ import annotations

import os
from pathlib import Path

SCHEMA = "marts"


def export_parquet(db_path: Path, out_dir: Path) -> dict[str, int]:
    """Write every table of schema `marts` in db_path to out_dir/<table>.parquet; returns table -> rows.

    Reads the database read-only. Each file is written beside its final name and
    os.replace()d over it, so a reader never sees half a file; Parquet files of
    tables that no longer exist are removed.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    from pipeline.shared import connect_published  # the file, or the DuckLake when shared

    with connect_published(db_path) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
                [SCHEMA],
            ).fetchall()
        ]
        for table in tables:
            final = out_dir / f"{table}.parquet"
            tmp = out_dir / f".{table}.parquet.tmp"
            tmp.unlink(missing_ok=True)
            con.execute(
                f'copy (select * from "{SCHEMA}"."{table}") to \'{_sql_path(tmp)}\' (format parquet, compression zstd)'
            )
            os.replace(tmp, final)
            counts[table] = con.execute(f'select count(*) from "{SCHEMA}"."{table}"').fetchone()[0]
    for stale in out_dir.glob("*.parquet"):
        if stale.stem not in counts:
            stale.unlink()
    return counts


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
