"""Shared fixtures: a real warehouse built by the real Dagster job and dbt build
from the real report, in a temporary folder."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent
SEED_REPORT = REPO / "raw" / "jeonju_pledge_communication_2020-12-31.txt"


@dataclass
class Workspace:
    root: Path
    raw_dir: Path
    warehouse: Path
    dagster_home: Path
    exit_code: int | None = None

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse), read_only=True)

    def run(self, *args: str) -> int:
        from pipeline.run import run_main as main

        self.exit_code = main(list(args))
        return self.exit_code


@pytest.fixture(scope="session")
def session_monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def use_workspace(root: Path, mp: pytest.MonkeyPatch) -> Workspace:
    """The workspace in folder `root` (as made by `make_workspace`), with the environment pointed at it."""
    ws = Workspace(root=root, raw_dir=root / "raw", warehouse=root / "warehouse" / "pledge_activity.duckdb",
                   dagster_home=root / ".dagster")
    mp.setenv("PLEDGE_RAW_DIR", str(ws.raw_dir))
    mp.setenv("PLEDGE_WAREHOUSE", str(ws.warehouse))
    mp.setenv("DAGSTER_HOME", str(ws.dagster_home))
    mp.setenv("DBT_PROFILES_DIR", str(REPO / "dbt_project"))
    return ws


def make_workspace(root: Path, mp: pytest.MonkeyPatch, reports: list[Path] = (SEED_REPORT,)) -> Workspace:
    ws = use_workspace(root, mp)
    ws.raw_dir.mkdir(parents=True)
    for report in reports:
        shutil.copyfile(report, ws.raw_dir / report.name)
    return ws


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory, session_monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """`make run` on the real report, into a temporary warehouse (real Dagster, real dbt)."""
    ws = make_workspace(tmp_path_factory.mktemp("built"), session_monkeypatch)
    assert ws.run() == 0
    return ws
