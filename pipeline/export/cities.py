"""Exports per municipality. With one municipality in the warehouse every export stays where it always
was; with several, each municipality also gets a folder of its own (`export/<municipality>/`,
`report/<municipality>/`), made by the same writers with only its rows: a city's staff read their own
city. The workbook and CSV writers filter their tables by municipality themselves; the report, whose
figures are plain SQL on the marts, reads the warehouse through views of one municipality
(`city_connection`), so that none of its queries needs to know that there are other cities. A
municipality's exports are made again only when its rows changed (`fingerprints`)."""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import duckdb

from pipeline.export.tables import ident, sql_text
from pipeline.shared import connect_published

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


@contextmanager
def city_connection(published: Path, municipality: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published warehouse as `municipality` alone sees it: a read-only connection whose every table
    (`marts.*`, `staging.*`, ...) is a view of the published one keeping that municipality's rows (a table
    keyed by activity only, the search weights, that municipality's activities'; a vocabulary all its rows).
    Views in an in-memory catalog made the default, so nothing is copied and the same queries run on the
    embedded file and on the shared deployment's DuckLake."""
    with connect_published(published) as con:
        source = con.execute("select current_database()").fetchone()[0]
        relations = con.execute(
            "select table_schema, table_name, list(column_name) from information_schema.columns "
            "where table_catalog = ? group by 1, 2 order by 1, 2",
            [source],
        ).fetchall()
        # a catalog of this call's own: the shared deployment's reader connection may be reused
        scope = f"city_scope_{uuid.uuid4().hex[:12]}"
        con.execute(f"attach ':memory:' as {scope} (read_write)")
        con.execute(f"use {scope}")
        try:
            city = sql_text(municipality)
            events = f"select event_key from {ident(source)}.marts.dim_event where municipality = {city}"
            for schema in sorted({r[0] for r in relations}):
                con.execute(f"create schema if not exists {ident(schema)}")
            for schema, table, columns in relations:
                if "municipality" in columns:
                    where = f"where municipality = {city}"
                elif "event_key" in columns:
                    where = f"where event_key in ({events})"
                else:
                    where = ""
                con.execute(
                    f"create view {ident(schema)}.{ident(table)} as "
                    f"select * from {ident(source)}.{ident(schema)}.{ident(table)} {where}"
                )
            yield con
        finally:
            con.execute(f"use {ident(source)}")
            con.execute(f"detach {scope}")


def fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """municipality -> a fingerprint of what its exports show: its reports (file, load, term), its
    activities' keys, the dbt project that built the marts and the exports' own code. A municipality
    whose fingerprint is the one its exports were made from needs none made again."""
    from pipeline.load.changes import built_dbt_fingerprint

    common = f"{built_dbt_fingerprint(con)}|{_code_fingerprint()}"
    rows = con.execute(
        """
        select p.municipality,
               md5(string_agg(concat_ws('|', p.report_date, p.term_number, p.source_sha256, p.ingested_at), ','
                              order by p.report_date)
                   || coalesce(any_value(e.keys), ''))
        from marts.dim_period p
        left join (select municipality, md5(string_agg(event_key, ',' order by event_key)) as keys
                   from marts.dim_event group by 1) e using (municipality)
        group by p.municipality"""
    ).fetchall()
    return {city: hashlib.md5(f"{fp}|{common}".encode()).hexdigest() for city, fp in rows}


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted([*(package / "export").glob("*.py"), *(package / "report").glob("*.*")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def each_city(
    published: Path,
    base: Path,
    make: Callable[[str, Path], list[Path]],
    *,
    stale: tuple[str, ...],
    unchanged: Callable[[str], bool] = lambda city: False,
) -> list[Path]:
    """With several municipalities: `make(municipality, base/<municipality>)` for each, returning every
    file made. With one, nothing (its exports are the warehouse's own). Either way the files named by the
    patterns `stale` are removed from the folders of municipalities no longer in the warehouse (a report
    retracted), and such a folder itself once it is empty; nothing else of them is touched. A municipality
    for which `unchanged` is true and whose files are there is not made again."""
    with connect_published(published) as con:
        cities = municipalities(con)
    keep = {folder_name(c): c for c in cities} if len(cities) > 1 else {}
    made: list[Path] = []
    for folder, city in sorted(keep.items()):
        kept = [p for pattern in stale for p in (Path(base) / folder).glob(pattern) if p.is_file()]
        # a municipality whose rows are as they were when its files were made keeps them: a new city's
        # first report makes that city's exports, not every other city's again
        made += kept if kept and unchanged(city) else make(city, Path(base) / folder)
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
