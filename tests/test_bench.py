"""Smoke test of the `make bench` machinery at a tiny size (no timing assertions: timings depend on the
machine; `make bench` reports them). The full runs (T1, T200, Tinc) are left to `make bench` itself."""

from __future__ import annotations

import json
import sys

from bench import measure, phases, run_bench
from bench import table as bench_table
from pipeline.raw.discover import discover_reports
from testkit import bench_reports as synthetic


def test_synthetic_reports_are_labelled_dated_and_outside_raw(tmp_path):
    paths = synthetic.write_reports(tmp_path / "raw", 0, 3)
    assert [p.name for p in paths][0] == synthetic.SEED_REPORT.name  # report 0 is the real one, copied
    for p in paths[1:]:
        assert p.name.startswith("SYNTHETIC_")
        assert "SYNTHETIC TEST DATA" in p.read_text(encoding="utf-8")
    found = discover_reports(tmp_path / "raw")
    assert not found.refused
    assert sorted(found.reports) == [synthetic.report_date(k).isoformat() for k in range(4)]
    assert synthetic.synthetic_text(2) == synthetic.synthetic_text(2)  # deterministic
    assert synthetic.synthetic_text(2) != synthetic.synthetic_text(3)


def test_parse_phase_writes_json_and_table(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert (
        run_bench.main(
            [
                "--size",
                "3",
                "--phases",
                "parse",
                "--repeat",
                "1",
                "--parse-sample",
                "2",
                "--work",
                str(tmp_path / "work"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    result = json.loads(out.read_text())
    parse = result["parse"]
    assert parse["n_reports"] == 2 and parse["n_cells"] > 100
    assert parse["whole_parser_mb_s"] > 0 and parse["lxml_floor_mb_s"] > 0 and parse["html_step_mb_s"] > 0
    # the records the parser returns: the report, its rows, events, issues and the events' parts
    assert parse["n_records"] > parse["n_cells"] and parse["records_only_s"] > 0
    names = [t["name"] for t in result["targets"]]
    assert "parse >= 50% of lxml floor" in names
    printed = capsys.readouterr().out
    assert "lxml etree.HTML (floor)" in printed and "pydantic records alone" in printed and "-- targets" in printed


def test_child_measurement_and_trivial_dagster_floor(tmp_path):
    child = measure.run_child(
        [sys.executable, "-c", "x = bytearray(50 * 2**20); print(len(x))"],
        measure.base_env(),
        tmp_path,
        tmp_path / "child.log",
    )
    assert child.returncode == 0 and child.max_rss_bytes > 50 * 2**20 and child.wall_s > 0
    floor = phases.trivial_dagster(tmp_path / "work", repeat=1)
    assert floor["wall_s"] > 0 and floor["max_rss_bytes"] > 0


def test_table_and_targets_from_a_result():
    result = {
        "config": {"main_size": 21, "repeat": 3, "started": "now"},
        "machine": {"cpus": 2, "load_before": [1.0, 1.0, 1.0]},
        "runs": {
            "T1": {
                "label": "T1",
                "n_reports": 1,
                "n_activities": 405,
                "wall_s": 30.0,
                "cpu_s": 30.0,
                "max_rss_bytes": 400 * 2**20,
                "breakdown": {
                    "steps_s": {"pledge_dbt_models": 20.0},
                    "outside_run_s": 5.0,
                    "dbt": {"launch_s": 5.0, "startup_parse_s": 5.0, "execute_s": 9.0, "n_nodes": 186},
                },
            },
            "Tn": {
                "label": "T21",
                "n_reports": 21,
                "n_activities": 8500,
                "wall_s": 40.0,
                "cpu_s": 60.0,
                "max_rss_bytes": 900 * 2**20,
            },
            "Tinc": {
                "label": "Tinc",
                "n_reports": 22,
                "n_activities": 8900,
                "wall_s": 35.0,
                "cpu_s": 40.0,
                "max_rss_bytes": 900 * 2**20,
            },
            "Tnoop": {
                "label": "Tnoop",
                "n_reports": 22,
                "n_activities": 8900,
                "wall_s": 3.0,
                "cpu_s": 3.0,
                "max_rss_bytes": 100 * 2**20,
            },
            "Tbig": {
                "label": "T200",
                "n_reports": 200,
                "n_activities": 81000,
                "wall_s": 400.0,
                "cpu_s": 400.0,
                "max_rss_bytes": 3 * 2**30,
            },
        },
        "floors": {"dagster": {"wall_s": 5.0, "samples_s": [5.0]}, "dbt": {"wall_s": 20.0, "first_wall_s": 25.0}},
        "parse": None,
        "queries": {"q": {"ms": 3.0, "rows": 10}},
        "workbook": {
            "real report": {"s": 0.3, "samples_s": [0.3], "rows": 900},
            "21 reports": {"s": 1.2, "samples_s": [1.2], "rows": 9000},
        },
    }
    verdicts = {t.name: t.passed for t in bench_table.targets(result)}
    assert verdicts["T21 <= 1.5 x T1"] is True
    assert verdicts["Tinc <= 1.1 x T1"] is False
    assert verdicts["no-op run <= 0.2 x T1"] is True
    assert verdicts["T1 <= 1.3 x (Dagster + dbt floors)"] is True
    assert verdicts["workbook export, real report < 1 s"] is True
    assert verdicts["workbook export, 21 reports < 1 s"] is False
    assert verdicts["peak RSS at 200 reports (informative)"] is None
    result["targets"] = [t.__dict__ for t in bench_table.targets(result)]
    table = bench_table.render_table(result)
    assert "FAIL" in table and "PASS" in table and "T200" in table and "workbook export, 21 reports" in table
