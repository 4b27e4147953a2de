"""The project's Dagster instance: its dagster.yaml, Dagster's public storage settings."""

import re
import subprocess
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, Definitions, asset, define_asset_job

from pipeline.defs.instance import dagster_yaml, ensure_dagster_yaml


@asset
def trivial() -> int:
    return 1


def _materialize(instance: DagsterInstance) -> str:
    job = Definitions(assets=[trivial], jobs=[define_asset_job("j")]).resolve_job_def("j")
    result = job.execute_in_process(instance=instance)
    assert result.success
    return result.run_id


def test_instance_keeps_runs_and_materializations_in_its_home(tmp_path: Path):
    home = tmp_path / "home"
    ensure_dagster_yaml(home)
    with DagsterInstance.from_config(str(home)) as instance:
        run_ids = [_materialize(instance) for _ in range(3)]
    # A new process (here: a new instance on the same folder) sees every run and the latest
    # materialization, which is what `dagster dev` shows after `make run`.
    with DagsterInstance.from_config(str(home)) as instance:
        assert {r.run_id for r in instance.get_runs()} == set(run_ids)
        latest = instance.get_latest_materialization_event(AssetKey("trivial"))
        assert latest is not None and latest.run_id == run_ids[-1]
    assert (home / "history" / "runs.db").exists()


def test_dagster_yaml_is_written_and_kept_up_to_date_but_a_foreign_one_is_left(tmp_path: Path):
    home = tmp_path / "home"
    config = ensure_dagster_yaml(home)
    assert config.read_text() == dagster_yaml(home)
    config.write_text(config.read_text().replace("max_concurrent_runs: 1", "max_concurrent_runs: 5"))
    ensure_dagster_yaml(home)  # ours, out of date: rewritten
    assert config.read_text() == dagster_yaml(home)
    config.write_text("telemetry:\n  enabled: false\n")
    ensure_dagster_yaml(home)  # someone else's: kept
    assert config.read_text() == "telemetry:\n  enabled: false\n"


def _launcher(args, **env):
    import os
    import subprocess

    from pipeline import settings

    return subprocess.run(
        [settings.dbt_in_build_dir(), *args], capture_output=True, text=True, check=True, env={**os.environ, **env}
    ).stdout


def test_dbt_launcher_tells_dagster_dbt_the_dbt_core_version_without_starting_dbt(tmp_path: Path):
    """dagster-dbt asks `--version` before every dbt call; the launcher answers from the dbt
    environment's metadata, in the format dagster-dbt parses, without running dbt."""
    from importlib.metadata import PackageNotFoundError, version

    never = tmp_path / "env" / "bin" / "dbt"
    never.parent.mkdir(parents=True)
    never.write_text("#!/bin/sh\necho started >&2; exit 9\n")  # no dbt-core metadata beside it
    never.chmod(0o755)
    real = _launcher(["--version"])
    assert re.fullmatch(r"Core:\n  - installed: 1\.11\.\d+\n", real)  # requirements.txt pins dbt-core 1.11
    with pytest.raises(subprocess.CalledProcessError):  # no metadata: dbt itself is asked
        _launcher(["--version"], PLEDGE_DBT_EXECUTABLE=str(never))
    try:  # and dbt-core is not importable here, in Dagster's environment
        version("dbt-core")
        raise AssertionError("dbt-core is installed in the Dagster environment")
    except PackageNotFoundError:
        pass


def test_dbt_launcher_starts_dbt_in_the_build_folder_of_the_warehouse(tmp_path: Path):
    from pipeline.publish.warehouse import Warehouse

    fake = tmp_path / "bin" / "dbt"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "$(pwd) $PLEDGE_DBT_DATABASE $*"\n')
    fake.chmod(0o755)
    published = tmp_path / "somewhere" / "wh.duckdb"
    build = Warehouse(published).build_dir
    build.mkdir(parents=True)
    out = _launcher(["build", "--quiet"], PLEDGE_DBT_EXECUTABLE=str(fake), PLEDGE_WAREHOUSE=str(published))
    assert out.split() == [str(build), "wh.duckdb", "build", "--quiet"]
