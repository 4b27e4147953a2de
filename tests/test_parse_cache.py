"""The parse cache is checked before it is trusted: an entry whose files changed, or that was made from
other bytes, is parsed again from the report and said; a damaged snapshot is read again from raw/."""

from __future__ import annotations

import json

import pytest

from pipeline.load import parse_cache
from pipeline.raw.report_file import read_report
from pipeline.raw.store import load_snapshot, save_snapshot

from .conftest import SEED_REPORT

KEY = "2020-12-31"


@pytest.fixture
def cached(tmp_path, monkeypatch):
    monkeypatch.setenv("PLEDGE_WAREHOUSE", str(tmp_path / "warehouse" / "pledge_activity.duckdb"))
    monkeypatch.delenv("PLEDGE_CACHE_DIR", raising=False)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / SEED_REPORT.name).write_bytes(SEED_REPORT.read_bytes())
    info, _ = read_report(raw / SEED_REPORT.name)
    save_snapshot(KEY, info)
    first = parse_cache.parse_checked(KEY)
    assert first["cached"] is False and first["repaired"] is None
    assert parse_cache.parse_checked(KEY)["cached"] is True
    return parse_cache.cache_folder(info)


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda folder: flip_a_byte(folder / "events.arrow"), id="a byte changed"),
        pytest.param(lambda folder: (folder / "events.arrow").write_bytes(b"ARROW1"), id="truncated"),
        pytest.param(lambda folder: (folder / "summary.json").write_text("{"), id="unreadable summary"),
    ],
)
def test_a_damaged_entry_is_parsed_again_and_said(cached, damage):
    events = (cached / "events.arrow").read_bytes()
    damage(cached)
    again = parse_cache.parse_checked(KEY)
    assert again["cached"] is False and "cached parse" in again["repaired"] and "damaged" in again["repaired"]
    assert (cached / "events.arrow").read_bytes() == events  # the same parse, whole again
    assert parse_cache.parse_checked(KEY)["cached"] is True


def test_an_entry_made_from_other_bytes_is_not_trusted(cached):
    summary = json.loads((cached / "summary.json").read_text())
    (cached / "summary.json").write_text(json.dumps({**summary, "input_sha256": "0" * 64}))
    assert parse_cache.parse_checked(KEY)["repaired"]


def test_reread_parses_from_the_report_whatever_is_cached(cached):
    assert parse_cache.parse_checked(KEY, reread=True)["cached"] is False


def test_a_damaged_snapshot_is_read_again_from_raw(cached):
    info, snapshot = load_snapshot(KEY)
    flip_a_byte(snapshot)
    assert parse_cache.parse_checked(KEY, reread=True)["n_events"] == 405
