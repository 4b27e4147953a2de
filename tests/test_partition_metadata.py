"""A run over many periods keeps its per-period tables out of the per-partition events.

Dagster copies a partitioned asset's metadata into the materialization of every partition of the
run; a per-period table there grows the event log with the square of the periods (460 MB for one
run of 2,000 reports). Real Dagster run of `raw_report` on SYNTHETIC reports (testkit/bench_reports.py).
"""

from __future__ import annotations

import pytest
from dagster import AssetKey, DagsterInstance

from testkit import bench_reports as synthetic
from tests.conftest import use_workspace

RAW_REPORT = AssetKey("raw_report")


def _run_raw_report(instance: DagsterInstance, first: str, last: str) -> str:
    from pipeline.definitions import defs
    from pipeline.defs.automation import range_tags

    job = defs.resolve_job_def("build_warehouse")
    result = job.execute_in_process(instance=instance, tags=range_tags(first, last), asset_selection=[RAW_REPORT])
    assert result.success
    return result.run_id


def _materializations(instance: DagsterInstance, run_id: str):
    records = instance.fetch_materializations(RAW_REPORT, limit=10_000).records
    return [r.asset_materialization for r in records if r.run_id == run_id]


def test_many_periods_log_the_table_once_few_keep_it_in_the_metadata(tmp_path, monkeypatch: pytest.MonkeyPatch):
    from pipeline import settings
    from pipeline.defs.assets.raw import PER_PERIOD_METADATA_MAX
    from pipeline.raw.discover import discover_reports
    from pipeline.run import ensure_dagster_home, sync_partitions

    ws = use_workspace(tmp_path, monkeypatch)
    n = PER_PERIOD_METADATA_MAX + 2
    synthetic.write_reports(ws.raw_dir, 0, n - 1)
    ensure_dagster_home()
    with DagsterInstance.get() as instance:
        periods = sync_partitions(instance, discover_reports(settings.raw_dir()))
        assert len(periods) == n

        run_id = _run_raw_report(instance, periods[0], periods[-1])
        events = _materializations(instance, run_id)
        assert sorted(m.partition for m in events) == sorted(periods)
        for m in events:
            assert m.metadata["n_reports"].value == n
            assert "in this run's log" in m.metadata["files"].value
        logged = [e.user_message for e in instance.all_logs(run_id) if e.user_message.startswith("files,")]
        assert len(logged) == 1 and all(p in logged[0] for p in periods)

        few = periods[:2]
        run_id = _run_raw_report(instance, few[0], few[-1])
        events = _materializations(instance, run_id)
        assert sorted(m.partition for m in events) == few
        for m in events:
            table = m.metadata["files"].value
            assert all(p in table for p in few) and periods[2] not in table
