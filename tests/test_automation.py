"""The sensor on raw/ and the yearly schedule."""
import shutil

from dagster import DagsterInstance, SensorResult, build_schedule_context, build_sensor_context

from pipeline.defs.automation import raw_reports_sensor, yearly_rebuild
from pipeline.definitions import defs

from .conftest import SEED_REPORT


def test_sensor_registers_a_new_report_and_requests_its_run(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setenv("PLEDGE_RAW_DIR", str(raw))
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, definitions=defs)
        first = raw_reports_sensor(context)
        assert not isinstance(first, SensorResult)  # nothing in raw/ yet: a skip

        shutil.copyfile(SEED_REPORT, raw / "new report (final).txt")
        result = raw_reports_sensor(context)
        assert isinstance(result, SensorResult)
        assert [r.partition_key for r in result.run_requests] == ["2020-12-31"]
        assert [req.partition_keys for req in result.dynamic_partitions_requests] == [["2020-12-31"]]

        # the same file again: nothing to do; a changed file: a new run for its period
        instance.add_dynamic_partitions("reporting_periods", ["2020-12-31"])
        again = raw_reports_sensor(build_sensor_context(instance=instance, cursor=result.cursor, definitions=defs))
        assert not isinstance(again, SensorResult)
        (raw / "new report (final).txt").write_bytes(SEED_REPORT.read_bytes() + "\n".encode())
        changed = raw_reports_sensor(build_sensor_context(instance=instance, cursor=result.cursor, definitions=defs))
        assert [r.partition_key for r in changed.run_requests] == ["2020-12-31"]
        assert changed.dynamic_partitions_requests == []


def test_yearly_schedule_runs_every_period_on_january_15(tmp_path):
    import datetime as dt

    assert yearly_rebuild.cron_schedule == "0 6 15 1 *"
    with DagsterInstance.local_temp(str(tmp_path)) as instance:
        instance.add_dynamic_partitions("reporting_periods", ["2019-12-31", "2020-12-31"])
        request = yearly_rebuild(
            build_schedule_context(instance=instance, scheduled_execution_time=dt.datetime(2021, 1, 15, 6))
        )
    assert request.tags["dagster/asset_partition_range_start"] == "2019-12-31"
    assert request.tags["dagster/asset_partition_range_end"] == "2020-12-31"


def test_definitions_load_with_one_lineage_graph():
    graph = defs.resolve_asset_graph()
    from dagster import AssetKey

    upstream = graph.get(AssetKey(["staging", "stg_events"])).parent_keys
    assert AssetKey(["staging", "events"]) in upstream  # dbt source = the Python staging asset
    assert defs.resolve_job_def("build_warehouse") is not None
