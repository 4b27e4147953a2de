"""What `make run` prints: one line per step and a summary a person reads; dbt's and Dagster's own
lines go to the log file it names. A clean run prints no warning."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from .conftest import REPO, make_workspace
from .test_operating import SEED_TEXT, redated

RUN = [sys.executable, "-m", "pipeline.run"]


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in env.items() if k != "PLEDGE_LOG_LEVEL"}
    return subprocess.run(RUN, cwd=REPO, env=env, capture_output=True, text=True, timeout=900)


def test_a_run_prints_its_steps_and_a_summary_and_logs_the_rest(tmp_path, monkeypatch):
    ws = make_workspace(tmp_path, monkeypatch)
    (ws.raw_dir / "second.txt").write_text(redated(SEED_TEXT, "2021-06-30"), encoding="utf-8")
    done = _run({**os.environ})
    assert done.returncode == 0, done.stderr[-3000:]
    printed = (done.stdout + done.stderr).strip().splitlines()
    assert len(printed) < 40, "\n".join(printed)
    assert not [line for line in printed if "WARNING" in line or "Warning" in line], "\n".join(printed)
    steps = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("  done  ")]
    assert {
        "raw_report",
        "parsed_activities",
        "staging_tables",
        "pledge_dbt_models",
        "published_warehouse",
        "analyst_report",
    } <= set(steps)
    # per period: new / changed / carried / dropped activities (the second report repeats the first)
    assert re.search(
        r"2020-12-31 .*: 76 pledges, 405 activities: 405 new, 0 changed, 0 carried, 0 dropped", done.stdout
    ), done.stdout
    assert re.search(
        r"2021-06-30 .*: 76 pledges, 405 activities: 0 new, 0 changed, 405 carried, 0 dropped", done.stdout
    )
    assert re.search(r"parse issues: \d+ \(error 0, warning \d+, info \d+\): make sql", done.stdout)
    for label in ("warehouse", "report", "workbook", "docs", "log"):
        assert re.search(rf"^{label} +\S", done.stdout, re.M), (label, done.stdout)
    # the log file holds what the console left out: dbt's per-node lines and Dagster's events
    log = Path(re.search(r"^log +(\S+)", done.stdout, re.M).group(1))
    text = log.read_text(encoding="utf-8")
    assert log.parent == ws.warehouse.parent / "logs"
    assert re.search(r"\d+ of \d+ PASS not_null_columns_fct_events_event_key", text)
    assert "STEP_SUCCESS" in text and "pledge_dbt_models" in text
    assert not re.search(r"\d+ of \d+ (START|PASS|OK)", done.stdout + done.stderr)  # no dbt node line printed

    again = _run({**os.environ})  # nothing to do: one line
    assert again.returncode == 0 and len(again.stdout.strip().splitlines()) == 1, again.stdout
