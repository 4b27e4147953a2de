"""Old per-invocation dbt target folders are pruned; recent ones, running ones and other files are kept."""

import os
from pathlib import Path

from pipeline.dbt_state import (
    FINISHED_GRACE_S,
    FINISHED_MARK,
    KEEP_INVOCATIONS,
    KEEP_YOUNGER_THAN_S,
    prune_invocation_folders,
)


def invocation(target: Path, name: str, age: float, now: float, *, finished_age: float | None) -> Path:
    """A folder as dagster-dbt leaves one, `age` seconds old; finished `finished_age` seconds ago
    (None: dbt still running, no run_results.json yet)."""
    folder = target / f"pledge_dbt_models-{name}"
    (folder / "run").mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")
    if finished_age is not None:
        mark = folder / FINISHED_MARK
        mark.write_text("{}")
        os.utime(mark, (now - finished_age, now - finished_age))
    os.utime(folder, (now - age, now - age))
    return folder


def test_prune_keeps_the_latest_the_running_and_the_just_finished(tmp_path: Path):
    now = 1_000_000_000.0
    latest = [invocation(tmp_path, f"new{i:02d}", 10.0 + i, now, finished_age=5.0) for i in range(KEEP_INVOCATIONS)]
    old = [invocation(tmp_path, f"old{i}", KEEP_YOUNGER_THAN_S + 60, now, finished_age=None) for i in range(3)]
    finished = [invocation(tmp_path, f"done{i}", 600.0, now, finished_age=FINISHED_GRACE_S + 30) for i in range(3)]
    running = invocation(tmp_path, "running", 900.0, now, finished_age=None)
    just_finished = invocation(tmp_path, "justdone", 300.0, now, finished_age=FINISHED_GRACE_S / 2)
    (tmp_path / "partial_parse.msgpack").write_bytes(b"x")
    (tmp_path / "other-folder").mkdir()

    removed = prune_invocation_folders(tmp_path, now=now)

    # finished a while ago, or older than the hour (a call that never finished): removed, whatever the suite's pace
    assert sorted(removed) == sorted(old + finished)
    assert all(not f.exists() for f in removed)
    # the latest ones, a dbt call still running in another process, and one dagster-dbt may still be reading: kept
    assert all(f.exists() for f in [*latest, running, just_finished])
    assert (tmp_path / "partial_parse.msgpack").exists() and (tmp_path / "other-folder").exists()
    assert prune_invocation_folders(tmp_path, now=now) == []  # idempotent
