"""The ZIP writer of the workbook (pipeline/load/zip_writer.py): what it writes is read back by
Python's zipfile and by Info-ZIP's unzip, CRCs checked, whatever mix of streamed text and pieces
compressed ahead a member is made of."""
from __future__ import annotations

import random
import shutil
import subprocess
import zipfile
import zlib

import pytest

from pipeline.load.zip_writer import ZipWriter, crc32_combine, deflate_piece

WHEN = (2026, 12, 4, 10, 30, 0)


def test_crc32_combine_is_the_crc_of_the_concatenation():
    rng = random.Random(7)
    for _ in range(50):
        a = rng.randbytes(rng.randrange(0, 5000))
        b = rng.randbytes(rng.randrange(0, 5000))
        assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_members_of_streamed_text_and_pieces_read_back_as_written(tmp_path):
    rng = random.Random(11)
    path = tmp_path / "book.zip"
    members: dict[str, bytes] = {}
    with ZipWriter(path) as out:
        out.write("[Content_Types].xml", b"<Types/>", WHEN)
        members["[Content_Types].xml"] = b"<Types/>"
        out.write("empty.xml", b"", WHEN)
        members["empty.xml"] = b""
        for n in range(5):
            name = f"xl/worksheets/sheet{n + 1}.xml"
            expected = []
            with out.member(name, WHEN) as member:
                for _ in range(rng.randrange(1, 12)):
                    # repetitive text, as XML is: a piece must not refer back into the one before it
                    data = (b"<row><c>%d</c></row>" % rng.randrange(10)) * rng.randrange(0, 3000)
                    if rng.random() < 0.5:
                        member.write(data)
                    else:
                        member.write_piece(deflate_piece(data, 1))
                    expected.append(data)
            members[name] = b"".join(expected)
    with zipfile.ZipFile(path) as book:
        assert book.testzip() is None
        assert book.namelist() == list(members)
        for name, data in members.items():
            assert book.read(name) == data
            assert book.getinfo(name).date_time == WHEN
    if shutil.which("unzip"):
        check = subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


def test_a_damaged_piece_is_caught_by_the_crc(tmp_path):
    path = tmp_path / "book.zip"
    piece = deflate_piece(b"<row/>" * 100, 1)
    wrong = type(piece)(piece.data, piece.crc ^ 1, piece.size)
    with ZipWriter(path) as out, out.member("sheet.xml", WHEN) as member:
        member.write_piece(wrong)
    with zipfile.ZipFile(path) as book, pytest.raises(zipfile.BadZipFile, match="CRC"):
        book.read("sheet.xml")


def test_a_member_left_open_refuses_the_next(tmp_path):
    with pytest.raises(ValueError, match="a.xml is still open"):
        with ZipWriter(tmp_path / "book.zip") as out:
            out.member("a.xml", WHEN)
            out.member("b.xml", WHEN)
