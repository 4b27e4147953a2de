"""A ZIP archive written member by member, whose deflated members may take pieces already compressed.

Python's `zipfile` compresses whatever a member is given. A workbook's sheet whose rows come from the
cache (pipeline/load/xlsx_blocks.py) would have them decompressed and compressed again, which was most of
the time of an export with nothing new. A raw deflate stream may be cut into pieces, each compressed
on its own and ended by a full flush (byte-aligned, not final, no reference into the piece before), and
the pieces laid end to end: that is one valid stream, ended by a final piece. So a cached piece goes into
the archive as it is; the member's CRC-32 is combined from the pieces' own (`crc32_combine`).

Only what a workbook needs: deflated members, no encryption, no ZIP64 (a member or an archive of 4 GiB
is refused by name; Excel's row limit keeps a sheet far below it).
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# The workbook's level: at zlib's default most of the time of a large sheet went to compressing it,
# for a file a quarter smaller.
LEVEL = 1
_LIMIT = 0xFFFFFFFF
_DEFLATED = 8
_VERSION = 20  # 2.0: deflate
_UTF8_NAMES = 0x800


@dataclass(frozen=True)
class Piece:
    """A piece of a member: raw deflate data ended by a full flush, with the CRC-32 and the length of
    what it holds uncompressed."""
    data: bytes
    crc: int
    size: int


def deflate_piece(data: bytes, level: int) -> Piece:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Piece(compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH), zlib.crc32(data), len(data))


def crc32_combine(crc: int, next_crc: int, next_size: int) -> int:
    """The CRC-32 of A + B from crc(A), crc(B) and len(B). CRC-32 is affine in its start value:
    crc32(B, c) = M(c) ^ crc32(B, 0), with M depending on len(B) only, and M(c) is what running
    len(B) zero bytes from c adds: crc32(zeros, c) ^ crc32(zeros, 0)."""
    zeros = bytes(next_size)
    return zlib.crc32(zeros, crc) ^ zlib.crc32(zeros, 0) ^ next_crc


def _dos_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    return (hour << 11) | (minute << 5) | (second // 2), ((max(year, 1980) - 1980) << 9) | (month << 5) | day


class ZipWriter:
    """`with ZipWriter(path) as z: z.write(name, data, date_time)`, or `with z.member(name, date_time)
    as m: m.write(text_bytes); m.write_piece(piece)`; the central directory is written on close."""

    def __init__(self, path: Path, level: int = LEVEL):
        self.path = Path(path)
        self.level = level
        self._fp: BinaryIO = open(self.path, "wb")
        self._entries: list[tuple[bytes, int, int, int, int, int, int]] = []
        self._open_member: Member | None = None

    def __enter__(self) -> ZipWriter:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.close()
        else:
            self._fp.close()

    def write(self, name: str, data: bytes, date_time: tuple[int, int, int, int, int, int]) -> None:
        with self.member(name, date_time) as member:
            member.write(data)

    def member(self, name: str, date_time: tuple[int, int, int, int, int, int]) -> Member:
        if self._open_member is not None:
            raise ValueError(f"{self.path.name}: member {self._open_member.name} is still open")
        self._open_member = Member(self, name, date_time)
        return self._open_member

    def _add(self, name: bytes, offset: int, crc: int, compressed: int, size: int, dos: tuple[int, int]) -> None:
        if max(offset, compressed, size) >= _LIMIT:
            raise ValueError(f"{self.path.name}: {name.decode()} is 4 GiB or more, which this writer does not do")
        self._entries.append((name, offset, crc, compressed, size, *dos))
        self._open_member = None

    def close(self) -> None:
        fp = self._fp
        start = fp.tell()
        for name, offset, crc, compressed, size, dos_time, dos_date in self._entries:
            fp.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, _VERSION, _VERSION, _UTF8_NAMES, _DEFLATED,
                                 dos_time, dos_date, crc, compressed, size, len(name), 0, 0, 0, 0, 0, offset))
            fp.write(name)
        end = fp.tell()
        if end >= _LIMIT or len(self._entries) >= 0xFFFF:
            raise ValueError(f"{self.path.name}: the archive is too large for this writer")
        fp.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(self._entries), len(self._entries),
                             end - start, start, 0))
        fp.close()


class Member:
    """One deflated member, streamed: its local header is written first and completed when it closes."""

    def __init__(self, zip_writer: ZipWriter, name: str, date_time):
        self.zip = zip_writer
        self.name = name
        self._name = name.encode("utf-8")
        self._dos = _dos_time(date_time)
        fp = zip_writer._fp
        self._offset = fp.tell()
        fp.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, _VERSION, _UTF8_NAMES, _DEFLATED, *self._dos,
                             0, 0, 0, len(self._name), 0))
        fp.write(self._name)
        self._compressor = zlib.compressobj(zip_writer.level, zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0
        self.compressed = 0

    def __enter__(self) -> Member:
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is None:
            self.close()

    def _out(self, data: bytes) -> None:
        self.zip._fp.write(data)
        self.compressed += len(data)

    def write(self, data: bytes) -> None:
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        self._out(self._compressor.compress(data))

    def write_piece(self, piece: Piece) -> None:
        """Lay a piece compressed elsewhere (`deflate_piece`) after what was written so far."""
        self._out(self._compressor.flush(zlib.Z_FULL_FLUSH))
        self._compressor = zlib.compressobj(self.zip.level, zlib.DEFLATED, -15)
        self._out(piece.data)
        self.crc = crc32_combine(self.crc, piece.crc, piece.size)
        self.size += piece.size

    def close(self) -> None:
        self._out(self._compressor.flush(zlib.Z_FINISH))
        fp = self.zip._fp
        end = fp.tell()
        fp.seek(self._offset + 14)
        fp.write(struct.pack("<III", self.crc, min(self.compressed, _LIMIT), min(self.size, _LIMIT)))
        fp.seek(end)
        self.zip._add(self._name, self._offset, self.crc, self.compressed, self.size, self._dos)
