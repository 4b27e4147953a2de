"""Exports per municipality. With one municipality in the warehouse every export stays where it always
was; with several, each municipality also gets a folder of its own (`export/<municipality>/`,
`report/<municipality>/`), made by the same writers with only its rows: a city's staff read their own
city. The workbook and CSV writers filter their tables by municipality themselves; the report, whose
figures are plain SQL on the marts, reads a warehouse cut down to the municipality (`city_warehouse`),
so that none of its queries needs to know that there are other cities."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline.export.tables import TABLES, ident
from pipeline.shared import connect_published

WHOLE_SCHEMAS = ("marts", "vocab")  # every table of these; of other schemas only what an export shows
_UNSAFE = re.compile(r"[/\\\x00-\x1f]")


def municipalities(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The municipalities that have a report in the warehouse, in name order."""
    return [r[0] for r in con.execute("select distinct municipality from marts.dim_period order by 1").fetchall()]


def folder_name(municipality: str) -> str:
    """The municipality's folder name: its name as the warehouse holds it (`전주시`), refused when it could
    leave the folder it is put in."""
    if not municipality or municipality.strip(".") == "" or _UNSAFE.search(municipality):
        raise ValueError(f"municipality {municipality!r} cannot name a folder")
    return municipality


def _relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, set[str]]]:
    """(schema, table, its columns) of everything a municipality's warehouse holds."""
    shown = {(t.schema, t.table) for t in TABLES}
    rows = con.execute(
        "select table_schema, table_name, list(column_name) from information_schema.columns "
        "where table_catalog = current_database() group by 1, 2 order by 1, 2"
    ).fetchall()
    return [(s, t, set(cols)) for s, t, cols in rows if s in WHOLE_SCHEMAS or (s, t) in shown]


@contextmanager
def city_warehouse(published: Path, municipality: str) -> Iterator[Path]:
    """A temporary DuckDB file, named as the published one, holding `municipality`'s rows only: a table
    with a `municipality` column keeps that municipality's rows, one keyed by activity (the search
    weights) that municipality's activities', and a vocabulary all of its rows. Read through Arrow, so
    that the shared deployment's DuckLake is cut the same way as the embedded file."""
    with tempfile.TemporaryDirectory(prefix="pledge-city-") as tmp:
        path = Path(tmp) / Path(published).name
        with connect_published(published) as src, duckdb.connect(str(path)) as dst:
            for schema, table, columns in _relations(src):
                relation = f"{ident(schema)}.{ident(table)}"
                if "municipality" in columns:
                    where, params = "where municipality = ?", [municipality]
                elif "event_key" in columns:
                    where = "where event_key in (select event_key from marts.dim_event where municipality = ?)"
                    params = [municipality]
                else:
                    where, params = "", []
                dst.register("city_rows", src.execute(f"select * from {relation} {where}", params).to_arrow_table())
                dst.execute(f"create schema if not exists {ident(schema)}")
                dst.execute(f"create table {relation} as select * from city_rows")
                dst.unregister("city_rows")
        yield path


def each_city(
    published: Path, base: Path, make: Callable[[str, Path], list[Path]], *, stale: tuple[str, ...]
) -> list[Path]:
    """With several municipalities: `make(municipality, base/<municipality>)` for each, returning every
    file made. With one, nothing (its exports are the warehouse's own). Either way the files named by the
    patterns `stale` are removed from the folders of municipalities no longer in the warehouse (a report
    retracted), and such a folder itself once it is empty; nothing else of them is touched."""
    with connect_published(published) as con:
        cities = municipalities(con)
    keep = {folder_name(c): c for c in cities} if len(cities) > 1 else {}
    made: list[Path] = []
    for folder, city in sorted(keep.items()):
        made += make(city, Path(base) / folder)
    for folder in Path(base).iterdir() if Path(base).is_dir() else ():
        if folder.is_dir() and folder.name not in keep:
            _remove(folder, stale)
    return made


def _remove(folder: Path, patterns: tuple[str, ...]) -> None:
    ours = [p for pattern in patterns for p in folder.glob(pattern) if p.is_file()]
    if not ours:
        return  # not a municipality's folder of these exports
    for path in ours:
        path.unlink()
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(sub.iterdir()):
            sub.rmdir()
    if not any(folder.iterdir()):
        shutil.rmtree(folder)
