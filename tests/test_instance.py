"""The project's Dagster instance: dagster.yaml and the pooled SQLite event log."""
from pathlib import Path

from dagster import AssetKey, DagsterInstance, Definitions, asset, define_asset_job
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from pipeline.defs.instance import PooledSqliteEventLogStorage, dagster_yaml, ensure_dagster_yaml


@asset
def trivial() -> int:
    return 1


def _materialize(instance: DagsterInstance) -> str:
    job = Definitions(assets=[trivial], jobs=[define_asset_job("j")]).resolve_job_def("j")
    result = job.execute_in_process(instance=instance)
    assert result.success
    return result.run_id


def test_instance_uses_the_pooled_event_log_and_plain_dagster_reads_it(tmp_path: Path):
    home = tmp_path / "home"
    ensure_dagster_yaml(home)
    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        run_ids = [_materialize(instance) for _ in range(3)]
        n_events = len(instance.get_records_for_run(run_ids[-1]).records)

    # Same files, same schema: Dagster's own SQLite event log reads what the pooled one wrote.
    plain = SqliteEventLogStorage(str(home / "history" / "runs"))
    assert len(plain.get_records_for_run(run_ids[-1]).records) == n_events > 0
    latest = plain.get_latest_materialization_events([AssetKey("trivial")])[AssetKey("trivial")]
    assert latest is not None and latest.run_id == run_ids[-1]


def test_pooled_event_log_keeps_few_run_databases_open(tmp_path: Path):
    home = tmp_path / "home"
    ensure_dagster_yaml(home)
    with DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        run_ids = [_materialize(instance) for _ in range(PooledSqliteEventLogStorage.RUN_SHARDS_KEPT + 3)]
        open_runs = [s for s in storage._engines if s != "index"]
        assert len(open_runs) == PooledSqliteEventLogStorage.RUN_SHARDS_KEPT
        assert open_runs[-1] == run_ids[-1]
        # an evicted run's database is opened again on demand
        assert storage.get_records_for_run(run_ids[0]).records
    assert not storage._engines  # disposed with the instance


def test_event_log_databases_are_in_wal_mode_and_sync_at_checkpoints(tmp_path: Path):
    home = tmp_path / "home"
    ensure_dagster_yaml(home)
    with DagsterInstance.from_config(str(home)) as instance:
        run_id = _materialize(instance)
        storage = instance.event_log_storage
        for shard in ("index", run_id):
            with storage._connect(shard) as conn:
                # synchronous: 1 is NORMAL (the default, FULL, is 2); WAL is Dagster's own setting
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


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
