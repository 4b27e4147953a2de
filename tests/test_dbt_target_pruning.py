"""Old per-invocation dbt target folders are pruned; recent ones and other files are kept."""

import os
from pathlib import Path

from pipeline.dbt_state import KEEP_INVOCATIONS, KEEP_YOUNGER_THAN_S, prune_invocation_folders


def test_prune_keeps_the_latest_and_the_recent(tmp_path: Path):
    now = 1_000_000_000.0
    folders = []
    for i in range(KEEP_INVOCATIONS + 5):
        folder = tmp_path / f"pledge_dbt_models-{i:04d}-abc"
        (folder / "run").mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")
        age = (KEEP_INVOCATIONS + 5 - i) * 600.0  # the last folder is the newest
        os.utime(folder, (now - age, now - age))
        folders.append(folder)
    (tmp_path / "partial_parse.msgpack").write_bytes(b"x")
    (tmp_path / "other-folder").mkdir()

    removed = prune_invocation_folders(tmp_path, now=now)

    expected = [f for f in folders[:5] if (KEEP_INVOCATIONS + 5 - folders.index(f)) * 600.0 > KEEP_YOUNGER_THAN_S]
    assert sorted(removed) == sorted(expected) and expected
    assert all(not f.exists() for f in expected)
    assert all(f.exists() for f in folders if f not in expected)
    assert (tmp_path / "partial_parse.msgpack").exists() and (tmp_path / "other-folder").exists()
    assert prune_invocation_folders(tmp_path, now=now) == []  # idempotent
