"""The project's Dagster instance: its `dagster.yaml`, Dagster's own storage configured by its
public settings only.

Run, event log and schedule storage are Dagster's SQLite defaults under DAGSTER_HOME (the same
files `dagster dev` reads). A run's cost in events is kept down where events are made, not by
replacing the storage: one planned event per asset for the partition range
(DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS, see pipeline/run.py), per-period tables as one
materialization's metadata. `make bench` measures what the event log costs a run.
"""
from __future__ import annotations

import os
from pathlib import Path

HEADER = "# Project-local Dagster instance (written by pipeline/defs/instance.py; git-ignored)."


def dagster_yaml(home: Path) -> str:
    """The instance configuration for a DAGSTER_HOME folder: SQLite storage under `home`, one run
    at a time from the queue (the warehouse has one writer), no telemetry."""
    return f"""\
{HEADER}
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
storage:
  sqlite:
    base_dir: {home}
"""


def ensure_dagster_yaml(home: Path) -> Path:
    """Write `home/dagster.yaml`, or bring one this project wrote earlier up to date.
    A dagster.yaml written by someone else is left as it is."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = dagster_yaml(home)
    if not config.exists() or (config.read_text().startswith(HEADER[:30]) and config.read_text() != wanted):
        tmp = config.with_name("dagster.yaml.tmp")
        tmp.write_text(wanted)
        os.replace(tmp, config)
    return config
