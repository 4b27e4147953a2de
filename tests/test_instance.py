"""The project's Dagster instance: its dagster.yaml, Dagster's public storage settings."""
from pathlib import Path

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


def test_dbt_core_version_from_the_dbt_environment_without_starting_dbt():
    from importlib.metadata import PackageNotFoundError, version

    from pipeline import settings
    from pipeline.defs.resources import dbt_core_version

    found = dbt_core_version(settings.dbt_executable())
    assert (found.major, found.minor) == (1, 11)  # dbt_project/requirements.txt pins dbt-core 1.11
    try:  # and dbt-core is not importable here, in Dagster's environment
        version("dbt-core")
        raise AssertionError("dbt-core is installed in the Dagster environment")
    except PackageNotFoundError:
        pass


def test_dbt_core_version_falls_back_to_asking_dbt(tmp_path: Path):
    from pipeline.defs.resources import dbt_core_version

    fake = tmp_path / "env" / "bin" / "dbt"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\nprintf 'Core:\\n  - installed: 1.11.3\\n  - latest:    1.11.9\\n'\n")
    fake.chmod(0o755)
    assert str(dbt_core_version(str(fake))) == "1.11.3"
