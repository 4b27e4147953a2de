"""A workspace: the project's settings pointed at a folder of its own (raw/, warehouse/, .dagster/),
so a test or a benchmark runs the real pipeline without touching the project's own folders."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
SEED_REPORT = REPO / "raw" / "jeonju_pledge_communication_2020-12-31.txt"


@dataclass
class Workspace:
    root: Path
    exit_code: int | None = None

    @property
    def raw_dir(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "pledge_activity.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.root / ".dagster"

    def settings_env(self) -> dict[str, str]:
        """The environment that points the pipeline at this workspace (pipeline/settings.py)."""
        return {
            "PLEDGE_RAW_DIR": str(self.raw_dir),
            "PLEDGE_WAREHOUSE": str(self.warehouse),
            "DAGSTER_HOME": str(self.dagster_home),
            "DBT_PROFILES_DIR": str(REPO / "dbt_project"),
        }

    def add_reports(self, reports: Iterable[Path]) -> None:
        self.raw_dir.mkdir(parents=True, exist_ok=True)
        for report in reports:
            shutil.copyfile(report, self.raw_dir / report.name)

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse), read_only=True)

    def run(self, *args: str) -> int:
        """`make run` in this process (the environment must already point here)."""
        from pipeline.run import run_main

        self.exit_code = run_main(list(args))
        return self.exit_code
