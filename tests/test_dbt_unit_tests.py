"""dbt's unit tests (the `unit_tests:` of dbt_project/models/) check a model's SQL on fixed inputs, not the
data. As dbt advises, they run in development and CI, here, and not in every pipeline run, whose `dbt build`
audits the data with the data tests (`BUILD_ARGS` in pipeline/defs/assets/dbt.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from pipeline import settings


def test_the_pipeline_build_runs_the_data_tests_and_leaves_the_unit_tests_out(built_warehouse):
    # other tests may run the shared warehouse again (a no-op run, a check): every dbt build it logged counts
    logs = sorted((built_warehouse.warehouse.parent / "logs").glob("run-*.log"))
    finished = [
        line for log in logs for line in log.read_text(encoding="utf-8").splitlines() if "Finished running" in line
    ]
    assert finished, logs
    assert all(" data tests" in line and "unit test" not in line for line in finished), finished


def test_every_dbt_unit_test_passes(tmp_path, built_warehouse):
    # dbt reads the unit-tested models' inputs from the database: a copy of the real build, so none is written
    db = tmp_path / built_warehouse.warehouse.name
    shutil.copyfile(built_warehouse.warehouse, db)
    done = subprocess.run(
        [
            settings.dbt_executable(),
            "test",
            "--select",
            "test_type:unit",
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=settings.DBT_PROJECT_DIR,
        env={
            **os.environ,
            "PLEDGE_DBT_DATABASE": str(db),
            "DBT_PROFILES_DIR": str(settings.DBT_PROJECT_DIR),
            "DO_NOT_TRACK": "1",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    passed = re.search(r"PASS=(\d+) WARN=0 ERROR=0 SKIP=0 (?:NO-OP=0 )?TOTAL=(\d+)", done.stdout)
    assert passed and int(passed.group(1)) == int(passed.group(2)) >= 5, done.stdout[-2000:]
