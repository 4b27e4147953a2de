"""The sensor on raw/ and the yearly schedule."""

import shutil

from dagster import DagsterInstance, SensorResult, SkipReason, build_schedule_context, build_sensor_context

from pipeline.definitions import defs
from pipeline.defs.automation import raw_reports_sensor, yearly_rebuild

from .conftest import SEED_REPORT


def test_sensor_registers_a_new_report_and_requests_its_run(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setenv("PLEDGE_RAW_DIR", str(raw))
    monkeypatch.setenv("PLEDGE_WAREHOUSE", str(tmp_path / "warehouse" / "none_yet.duckdb"))
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, definitions=defs)
        first = raw_reports_sensor(context)
        assert not isinstance(first, SensorResult)  # nothing in raw/ yet: a skip

        shutil.copyfile(SEED_REPORT, raw / "new report (final).txt")
        result = raw_reports_sensor(context)
        assert isinstance(result, SensorResult)
        [request] = result.run_requests
        assert request.tags["dagster/asset_partition_range_start"] == "전주시/2020-12-31"
        assert request.tags["dagster/asset_partition_range_end"] == "전주시/2020-12-31"
        plan = request.run_config["ops"]["staging_tables"]["config"]["plan"]
        assert '"new": ["전주시/2020-12-31"]' in plan  # the change plan, with the run
        assert request.tags["pledge/plan"].startswith("periods: 1 new")
        assert [req.partition_keys for req in result.dynamic_partitions_requests] == [["전주시/2020-12-31"]]

        # the same file again, not yet published: the same request (Dagster starts a run_key once)
        instance.add_dynamic_partitions("reporting_periods", ["전주시/2020-12-31"])
        again = raw_reports_sensor(build_sensor_context(instance=instance, definitions=defs))
        assert [r.run_key for r in again.run_requests] == [request.run_key]
        assert again.dynamic_partitions_requests == []
        # a changed file: a new request for its period
        (raw / "new report (final).txt").write_bytes(SEED_REPORT.read_bytes() + b"\n")
        changed = raw_reports_sensor(build_sensor_context(instance=instance, definitions=defs))
        assert [r.run_key for r in changed.run_requests] != [request.run_key]
        assert changed.run_requests[0].tags["dagster/asset_partition_range_end"] == "전주시/2020-12-31"


def test_sensor_does_nothing_when_the_published_warehouse_holds_raw(tmp_path, monkeypatch, built_warehouse):
    monkeypatch.setenv("PLEDGE_RAW_DIR", str(built_warehouse.raw_dir))
    monkeypatch.setenv("PLEDGE_WAREHOUSE", str(built_warehouse.warehouse))
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("reporting_periods", ["전주시/2020-12-31"])
        result = raw_reports_sensor(build_sensor_context(instance=instance, definitions=defs))
    assert isinstance(result, SkipReason) and "nothing to do" in result.skip_message, result


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


def test_the_run_request_of_a_thousand_new_periods_has_short_tags():
    """Dagster on Postgres indexes every tag and refuses one above about 2,700 bytes: the plan of a
    region's first load (1,000 reports) goes in the run configuration, and the tag says it in a line."""
    from types import SimpleNamespace

    from pipeline.defs.automation import run_request_for
    from pipeline.plan import ChangePlan

    keys = [f"가{i:03d}시/{y}-12-31" for i in range(250) for y in range(2020, 2024)]
    found = SimpleNamespace(reports={k: SimpleNamespace(sha256="0" * 64) for k in keys})
    request = run_request_for(ChangePlan(new=keys, retract=keys[:200]), found, keys)
    assert max(len(v.encode()) for v in request.tags.values()) < 1000, request.tags
    assert request.tags["pledge/plan"].startswith("periods: 1000 new")
    assert len(request.run_config["ops"]["staging_tables"]["config"]["plan"]) > 18_000
