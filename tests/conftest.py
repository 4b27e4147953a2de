"""Shared fixtures: a real warehouse built by the real Dagster job and dbt build
from the real report, in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.workspace import REPO, SEED_REPORT, Workspace  # noqa: F401 - re-exported to the tests


@pytest.fixture(scope="session")
def session_monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def use_workspace(root: Path, mp: pytest.MonkeyPatch) -> Workspace:
    """The workspace in folder `root` (as made by `make_workspace`), with the environment pointed at it."""
    ws = Workspace(root)
    for name, value in ws.settings_env().items():
        mp.setenv(name, value)
    return ws


def make_workspace(root: Path, mp: pytest.MonkeyPatch, reports: list[Path] = (SEED_REPORT,)) -> Workspace:
    ws = use_workspace(root, mp)
    ws.add_reports(reports)
    return ws


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory, session_monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """`make run` on the real report, into a temporary warehouse (real Dagster, real dbt)."""
    ws = make_workspace(tmp_path_factory.mktemp("built"), session_monkeypatch)
    assert ws.run() == 0
    return ws
