"""A cache of a sheet's rows as SpreadsheetML, one block per reporting period, so that a run which adds
a period writes the XML of that period's rows only.

The per-period sheets of the workbook (activities per period, people figures, lifecycle, parse
issues) are ordered by `report_date` first, so each period's rows are one contiguous block. A block's
XML depends on its rows, the sheet's columns and styles, and the row number it starts at (every cell
names its row), so that is its key: DuckDB's hash of every column of every row of the period (summed:
the sheet's order is total, so the same rows are always written in the same order), the row count,
the first row, and this writer's own source. A period added after the others leaves the earlier
blocks where they were; a period inserted before them moves them, and they are written again.

Blocks are kept as pieces of raw deflate data (pipeline/load/zip_writer.py), the form they take in the
workbook's archive, so a block from the cache is copied into the workbook as it is, neither decompressed
nor compressed again; each carries the CRC-32 of its compressed bytes, so a damaged one is made again
rather than copied. They sit in one folder of the cache; an export drops the blocks it did not use.

Making a block's XML is Python, one core's work: when a sheet has many new rows (the first export,
or many new periods), a second process (`BlockMaker`) makes the later half of its new blocks while
this one makes the first; it is handed their rows as Arrow, read here, so both work from one view of
the warehouse, and it hands back the compressed pieces, which it has stored in the cache.
"""
from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pipeline.load import xlsx_rows
from pipeline.load.background import Background
from pipeline.load.zip_writer import LEVEL, Piece, deflate_piece

PERIOD_COLUMN = "report_date"
MAX_QUEUED = 16  # blocks made and not yet in the archive
HELPER_MIN_ROWS = 20_000  # new rows of a sheet below which a second process is not worth its start
HELPER_SHARE = 0.5  # of a sheet's new rows: this process also fetches them, and writes the archive
HELPER_MAX_ROWS = 100_000  # its rows travel as one Arrow table (~40 MB of activities at most)
# DuckDB types whose values come out of Arrow (the helper's rows) as they come out of a DuckDB cursor
_HELPER_TYPES = {"VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "DATE", "BOOLEAN", "DOUBLE", "TIMESTAMP"}
_SUFFIX = ".deflate"
# magic, CRC-32 and length of the block's XML, CRC-32 of the compressed piece (a damaged file is made again)
_HEADER = struct.Struct("<4sIQI")
_MAGIC = b"PXB2"


@dataclass(frozen=True)
class Block:
    period: Any
    n_rows: int
    first_row: int
    key: str


class BlockCache:
    """The blocks of one export. A new block is compressed and stored by a thread of its own (zlib lets
    go of the interpreter while it compresses) while the next ones are made; `close` waits for them and
    raises what failed. `prune` drops every block not used since the cache was opened (call it once the
    export has succeeded)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.used: set[str] = set()
        self.hits = self.misses = 0
        self._writer = Background("workbook-blocks")

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}{_SUFFIX}"

    def get(self, key: str) -> Piece | None:
        """The block, compressed, or None if it is not kept (or is damaged: it is then made again)."""
        self.used.add(key)
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        if len(data) < _HEADER.size:
            return None
        magic, crc, size, stored = _HEADER.unpack_from(data)
        piece = data[_HEADER.size:]
        return Piece(piece, crc, size) if magic == _MAGIC and zlib.crc32(piece) == stored else None

    def put(self, key: str, xml: bytes) -> Future:
        """Compress and keep a block; the future's result is its piece."""
        self.used.add(key)
        return self._writer.submit(self._store, self._path(key), xml)

    @staticmethod
    def _store(path: Path, xml: bytes) -> Piece:
        piece = deflate_piece(xml, LEVEL)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as out:
            out.write(_HEADER.pack(_MAGIC, piece.crc, piece.size, zlib.crc32(piece.data)))
            out.write(piece.data)
        os.replace(tmp, path)
        return piece

    def close(self) -> None:
        self._writer.close()

    def prune(self) -> None:
        """Every file of the folder but the blocks used: the folder is this cache's alone."""
        self.close()
        for path in self.folder.iterdir():
            if path.is_file() and path.name.removesuffix(_SUFFIX) not in self.used:
                path.unlink(missing_ok=True)


_WRITER_SOURCE = hashlib.sha256(Path(xlsx_rows.__file__).read_bytes()
                                + Path(__file__).read_bytes()).hexdigest()


def period_blocks(con: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[str], context: str) -> list[Block]:
    """Each period's block of `relation`, in period order, keyed by its content and position.
    `context`: what else the XML depends on (sheet, column kinds, styles, row heights)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    rows = con.execute(f"""select {PERIOD_COLUMN}, count(*), sum(hash({cols})::hugeint)::varchar
                           from {relation} group by 1 order by 1""").fetchall()
    blocks, first = [], 2  # row 1 is the header
    for period, n, digest in rows:
        key = hashlib.sha256("|".join(map(str, (_WRITER_SOURCE, duckdb.__version__, context, period, n, first,
                                                digest))).encode()).hexdigest()[:32]
        blocks.append(Block(period, n, first, key))
        first += n
    return blocks


def _make_blocks(rows, spec: tuple, blocks: list[tuple[str, int, int]], folder: str) -> list[Piece]:
    """In the helper process: the XML of `blocks` ((key, rows, first row), in order) from `rows` (an Arrow
    table of their rows in the sheet's order), compressed and stored in the cache folder."""
    writer = xlsx_rows.RowsWriter(None, *spec)
    pieces, start = [], 0
    for key, n, first in blocks:  # as Python values one block at a time: a block is one period's rows
        values = list(zip(*(column.to_pylist() for column in rows.slice(start, n).columns)))
        xml = writer.text_of(values, first).encode("utf-8")
        pieces.append(BlockCache._store(Path(folder) / f"{key}{_SUFFIX}", xml))
        start += n
    return pieces


def _ready() -> None:
    """The helper's first call, which starts it."""


class BlockMaker:
    """The second process of an export that makes new blocks. It is forked when the export begins, before
    the export opens the warehouse or starts its threads (a process forked while another thread holds a
    lock inherits the lock held), and waits; `close` ends it."""

    def __init__(self):
        from concurrent.futures import ProcessPoolExecutor
        from multiprocessing import get_context

        # fork: a spawned process would import the caller's main module again (whatever program that is)
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork"))
        self._pool.submit(_ready).result()

    def submit(self, rows, spec: tuple, blocks: list[Block], folder: Path) -> Future:
        return self._pool.submit(_make_blocks, rows, spec, [(b.key, b.n_rows, b.first_row) for b in blocks],
                                 str(folder))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "BlockMaker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass(frozen=True)
class _FromHelper:
    """A block the helper makes: the `index`-th piece of its answer."""
    answer: Future
    index: int

    def done(self) -> bool:
        return self.answer.done()

    def result(self) -> Piece:
        return self.answer.result()[self.index]


def _helper_share(con: duckdb.DuckDBPyConnection, relation: str, missing: list[Block]) -> list[Block]:
    """The later new blocks, about half of the new rows (at most HELPER_MAX_ROWS), that the helper makes
    (none when few rows are new or a column's values would not come through Arrow as they come from DuckDB)."""
    total = sum(b.n_rows for b in missing)
    types = {r[1].split("(")[0] for r in con.execute(f"describe {relation}").fetchall()}
    if total < HELPER_MIN_ROWS or not types <= _HELPER_TYPES:
        return []
    theirs = min(total * HELPER_SHARE, HELPER_MAX_ROWS)
    mine = 0
    for i, block in enumerate(missing):
        if mine >= total - theirs:
            return missing[i:]
        mine += block.n_rows
    return []


def fill_by_period(con: duckdb.DuckDBPyConnection, relation: str, columns: Sequence[str], order_by: str,
                   rows_writer: xlsx_rows.RowsWriter, out: xlsx_rows.PartWriter, cache: BlockCache,
                   context: str, fetch_rows: int, maker: BlockMaker | None = None) -> int:
    """Write every row of `relation` (ordered by `order_by`, which starts with the period) into `out`,
    each period's block from the cache, or made by `rows_writer` (or by `maker`'s process) and cached.
    Returns the rows."""
    blocks = period_blocks(con, relation, columns, context)
    kept = {b.key: cache.get(b.key) for b in blocks}
    missing = [b for b in blocks if kept[b.key] is None]
    theirs = _helper_share(con, relation, missing) if maker is not None else []
    made: dict[str, _FromHelper] = {}
    if theirs:
        rows = con.execute(f"select * from {relation} where {PERIOD_COLUMN} in (select unnest(?)) "
                           f"order by {order_by}", [[b.period for b in theirs]]).to_arrow_table()
        answer = maker.submit(rows, rows_writer.spec, theirs, cache.folder)
        made = {b.key: _FromHelper(answer, i) for i, b in enumerate(theirs)}
        cache.used.update(made)
    mine = [b for b in missing if b.key not in made]
    cursor = None
    if mine:
        cursor = con.execute(f"select * from {relation} where {PERIOD_COLUMN} in (select unnest(?)) "
                             f"order by {order_by}", [[b.period for b in mine]])
    # in the sheet's order; a new block's piece may still be compressing, or still in the helper
    queue: deque[Piece | Future | _FromHelper] = deque()

    def drain(everything: bool = False) -> None:
        # beyond MAX_QUEUED blocks, wait for the oldest: XML is made faster than one thread compresses it,
        # and what waits is held in memory (2,000 periods: GBs of XML)
        while queue and (everything or len(queue) > MAX_QUEUED or isinstance(queue[0], Piece) or queue[0].done()):
            item = queue.popleft()
            out.write_piece(item if isinstance(item, Piece) else item.result())

    written = 0
    for block in blocks:
        piece = kept[block.key]
        if block.key in made:
            queue.append(made[block.key])
            cache.misses += 1
        elif piece is None:
            rows: list = []
            while len(rows) < block.n_rows:
                batch = cursor.fetchmany(min(fetch_rows, block.n_rows - len(rows)))
                if not batch:
                    raise ValueError(f"{relation}: period {block.period} has fewer rows than counted")
                rows.extend(batch)
            queue.append(cache.put(block.key, rows_writer.text_of(rows, block.first_row).encode("utf-8")))
            cache.misses += 1
        else:
            queue.append(piece)
            cache.hits += 1
        drain()
        written += block.n_rows
    drain(everything=True)
    return written
