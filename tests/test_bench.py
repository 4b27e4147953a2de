"""Smoke test of the `make bench` machinery at a tiny size (no timing assertions: timings depend on the
machine; `make bench` reports them). The full runs (T1, T200, Tinc) are left to `make bench` itself."""

from __future__ import annotations

import json
import sys

from bench import measure, phases, run_bench
from bench import table as bench_table
from pipeline.raw.discover import discover_reports
from testkit import bench_reports as synthetic
from testkit import cities


def test_synthetic_reports_are_labelled_dated_and_outside_raw(tmp_path):
    paths = synthetic.write_reports(tmp_path / "raw", 0, 3)
    assert [p.name for p in paths][0] == synthetic.SEED_REPORT.name  # report 0 is the real one, copied
    for p in paths[1:]:
        assert p.name.startswith("SYNTHETIC_")
        assert "SYNTHETIC TEST DATA" in p.read_text(encoding="utf-8")
    found = discover_reports(tmp_path / "raw")
    assert not found.refused
    assert sorted(found.reports) == [f"전주시/{synthetic.report_date(k).isoformat()}" for k in range(4)]
    assert synthetic.synthetic_text(2) == synthetic.synthetic_text(2)  # deterministic
    assert synthetic.synthetic_text(2) != synthetic.synthetic_text(3)


def test_benchmark_cities_are_distinct_labelled_and_under_the_term_of_their_date(tmp_path):
    names = cities.bench_city_names(250)
    assert len(set(names)) == 250 and "전주시" not in names and all(n[-1] in "시군구" for n in names)
    assert cities.bench_city_names(3) == names[:3]  # deterministic: a size is a prefix of a larger one
    paths = cities.write_bench_cities(tmp_path / "raw", 3, 4)
    new_city = cities.write_new_bench_city(tmp_path / "raw", 3)
    assert paths[0].name == cities.SEED_REPORT.name and len(paths) == 13
    assert all("SYNTHETIC TEST DATA" in p.read_text(encoding="utf-8") for p in [*paths[1:], new_city])
    found = discover_reports(tmp_path / "raw")
    assert not found.refused and not found.warnings
    days = ["2020-12-31", "2021-12-31", "2022-12-31", "2023-12-31"]
    expected = {"전주시/2020-12-31"} | {f"{c}/{d}" for c in names[:3] for d in days} | {f"{names[3]}/2020-12-31"}
    assert set(found.reports) == expected
    # the term printed is the one in office on the report's date: 민선8기 from 2022-07-01
    assert {k: r.term_printed for k, r in found.reports.items() if k.startswith(names[0])} == {
        f"{names[0]}/{d}": term for d, term in zip(days, (7, 7, 8, 8), strict=True)
    }


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
    assert "parse vs the lxml floor (informative)" in names
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
            "Tcities": {
                "label": "T1000 250 cities x 4, cold",
                "n_reports": 1001,
                "n_activities": 405_405,
                "wall_s": 140.0,
                "cpu_s": 200.0,
                "max_rss_bytes": 3.5 * 2**30,
            },
            "Tcity": {
                "label": "Tcity a new city, +1 to 1001",
                "n_reports": 1002,
                "n_activities": 405_810,
                "wall_s": 33.0,
                "cpu_s": 30.0,
                "max_rss_bytes": 900 * 2**20,
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
        "search": {
            "analysis": {"s": 3.5, "samples_s": [3.5], "tokens": 7718},
            "latency": {
                "real report": {"queries": 30, "median_ms": 30.0, "max_ms": 150.0},
                "1002 reports": {"queries": 30, "median_ms": 300.0, "max_ms": 1200.0},
            },
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
    assert verdicts["T1000 cold <= 5 x T1"] is True
    assert verdicts["peak RSS of T1000 cold <= 3 GB"] is False
    assert verdicts["a new city's first report <= 1.2 x T1"] is True
    assert verdicts["Korean analysis <= 10% of T1"] is False  # 3.5 s of a 30 s T1
    assert verdicts["slowest judged search, real report < 0.2 s"] is True
    assert verdicts["slowest judged search, 1002 reports < 1 s"] is False
    result["targets"] = [t.__dict__ for t in bench_table.targets(result)]
    table = bench_table.render_table(result)
    assert "FAIL" in table and "PASS" in table and "T200" in table and "workbook export, 21 reports" in table
    assert "T1000 250 cities x 4, cold" in table and "Tcity a new city" in table
    assert "Korean analysis of the real report, fresh process: 3.50 s" in table and "slowest 1200 ms" in table
