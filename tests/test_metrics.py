"""The metrics (MetricFlow semantic models in dbt_project/models/marts/_semantic_models.yml and
_metrics.yml): the real `mf` of .venv-dbt, started the way `make mf` starts it (dbt_project/bin/mf),
on a warehouse the real pipeline built. `mf validate-configs` must pass (and fail on a warehouse that
lacks a column the semantic models name); `mf query` answers must equal direct SQL on the marts."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipeline import settings

REPO = Path(__file__).resolve().parent.parent
MF = REPO / "dbt_project" / "bin" / "mf"
DBT_PYTHON = Path(settings.dbt_executable()).parent / "python"


def period_date(period: str) -> str:
    """The date of a period entity (`전주시/2020-12-31`: a municipality's report of one date)."""
    return period.rpartition("/")[2][:10]


def mf(warehouse: Path, *args: str, python: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PLEDGE_WAREHOUSE": str(warehouse)}
    return subprocess.run(
        [*(python or [str(DBT_PYTHON), str(MF)]), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def mf_query(warehouse: Path, tmp_path: Path, metrics: list[str], group_by: list[str], *extra: str) -> list[dict]:
    out = tmp_path / f"{'_'.join(metrics)}.csv"
    done = mf(
        warehouse, "query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by), "--csv", str(out), *extra
    )
    assert done.returncode == 0, done.stdout + done.stderr
    with out.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def sql(warehouse: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(query).fetchall()


@pytest.fixture(scope="module")
def warehouse(built_warehouse) -> Path:
    if not DBT_PYTHON.exists():
        pytest.fail(f"no dbt environment at {DBT_PYTHON.parent}: `make test` makes it (.venv-dbt)")
    if not (REPO / "dbt_project" / "target" / "semantic_manifest.json").exists():
        pytest.fail("no semantic manifest: `make test` runs `make manifest` (dbt parse) first")
    return built_warehouse.warehouse


@pytest.fixture(scope="module")
def reader(warehouse):
    """An analyst's read-only connection held open the whole time: `mf` must open the warehouse
    read-only too, or DuckDB refuses it (one writer process, or many readers)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    before = warehouse.stat().st_mtime_ns
    yield con
    con.close()
    assert warehouse.stat().st_mtime_ns == before, "mf wrote to the warehouse"


def test_validate_configs_passes_on_the_built_warehouse(warehouse, reader):
    done = mf(warehouse, "validate-configs", "--show-all")  # warnings and future errors count too
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    # the semantic checks and every data-warehouse check ran, and none found anything
    for stage in (
        "the semantics of built manifest",
        "semantic models against data warehouse",
        "dimensions against data warehouse",
        "entities against data warehouse",
        "measures against data warehouse",
        "metrics against data warehouse",
    ):
        assert f"Successfully validated {stage} (ERRORS: 0, FUTURE_ERRORS: 0, WARNINGS: 0)" in out, stage


def test_validate_configs_fails_when_the_warehouse_lacks_a_column(warehouse, tmp_path):
    """The data-warehouse checks really query the warehouse: without dim_event.is_online they fail."""
    broken = tmp_path / "warehouse" / warehouse.name  # same file name: DuckDB names the catalog after it
    broken.parent.mkdir()
    shutil.copyfile(warehouse, broken)
    with duckdb.connect(str(broken)) as con:
        con.execute("alter table marts.dim_event drop column is_online")
    done = mf(broken, "validate-configs")
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "is_online" in out


def test_activities_people_and_online_share_by_field(warehouse, reader, tmp_path):
    rows = mf_query(
        warehouse,
        tmp_path,
        ["activities", "activities_with_people", "people", "people_attended", "online_share"],
        ["field", "field__field_name_en"],
    )
    got = {
        r["field"]: (
            r["field__field_name_en"],
            number(r["activities"]),
            number(r["activities_with_people"]),
            number(r["people"]),
            number(r["people_attended"]),
            number(r["online_share"]),
        )
        for r in rows
    }
    expected = {
        field: (name, n, n_people, people, attended, share)
        for field, name, n, n_people, people, attended, share in sql(
            warehouse,
            """
            select e.field_code, f.field_name_en, count(*), count(e.attendee_count), sum(e.attendee_count),
                   sum(e.attendee_count) filter (where e.attendee_kind = 'attended'),
                   avg(case when e.is_online then 1.0 else 0.0 end)
            from marts.dim_event e join marts.dim_field f using (field_code)
            group by 1, 2""",
        )
    }
    assert set(got) == set(expected) == {"economy", "culture", "city", "community", "welfare"}
    for field, (name, n, n_people, people, attended, share) in expected.items():
        assert got[field][:5] == (name, n, n_people, people, attended), field
        assert got[field][5] == pytest.approx(share), field
    # each activity once: the fields add up to dim_event
    assert sum(v[1] for v in got.values()) == sql(warehouse, "select count(*) from marts.dim_event")[0][0]


def test_people_by_attendee_kind_answers_the_watchdog(warehouse, reader, tmp_path):
    """`select attendee_kind, sum(attendee_count) from marts.dim_event group by 1`, as a metric."""
    rows = mf_query(warehouse, tmp_path, ["people", "activities"], ["activity__attendee_kind"])
    got = {r["activity__attendee_kind"] or None: (number(r["people"]), number(r["activities"])) for r in rows}
    expected = {
        kind: (people, n)
        for kind, people, n in sql(
            warehouse, "select attendee_kind, sum(attendee_count), count(*) from marts.dim_event group by 1"
        )
    }
    assert got == expected
    assert {"attended", "surveyed"} <= set(got)  # the real report has figures of several kinds
    assert got[None][0] is None  # activities without a figure: no people, not zero


def test_per_period_and_monthly_metrics(warehouse, reader, tmp_path):
    rows = mf_query(
        warehouse, tmp_path, ["activities_per_period", "people_per_period", "online_share_per_period"], ["period"]
    )
    got = {
        period_date(r["period"]): (
            number(r["activities_per_period"]),
            number(r["people_per_period"]),
            number(r["online_share_per_period"]),
        )
        for r in rows
    }
    expected = {
        str(d): (n, p, s)
        for d, n, p, s in sql(
            warehouse,
            """
        select report_date, count(*), sum(attendee_count), avg(case when is_online then 1.0 else 0.0 end)
        from marts.fct_events group by 1""",
        )
    }
    assert got.keys() == expected.keys() and got
    for period, (n, people, share) in expected.items():
        assert got[period][:2] == (n, people) and got[period][2] == pytest.approx(share)

    # by month: `activities` files each activity by its reference_date; `activities_in_month` counts
    # every month a span covers (fct_event_months, day and month precision)
    rows = mf_query(warehouse, tmp_path, ["activities", "activities_in_month"], ["metric_time__month"])
    got = {
        r["metric_time__month"][:10]: (number(r["activities"]), number(r["activities_in_month"]))
        for r in rows
        if r["metric_time__month"]
    }
    filed = dict(
        sql(
            warehouse,
            """select cast(date_trunc('month', reference_date) as date), count(*)
                                   from marts.dim_event where reference_date is not null group by 1""",
        )
    )
    spans = dict(
        sql(
            warehouse,
            """select activity_month, count(*) from marts.fct_event_months
                                   where span_precision in ('day', 'month') group by 1""",
        )
    )
    assert got == {str(m): (filed.get(m), spans.get(m)) for m in set(filed) | set(spans)}
    assert any(n_filed is not None and n_span > n_filed for n_filed, n_span in got.values())  # spans cover months


def test_make_mf_runs_without_reaching_the_network(warehouse, reader):
    """`make mf` is the documented way in; and mf's own PyPI update check is switched off (no socket
    is opened: the audit hook would see any connect)."""
    env = {**os.environ, "PLEDGE_WAREHOUSE": str(warehouse)}
    done = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "mf",
            "ARGS=query --metrics activities --group-by format__format_name_en",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    n_meetings = sql(
        warehouse,
        """select count(*) from marts.dim_event join marts.dim_format using (format_code)
                                   where format_name_en = 'Meeting'""",
    )[0][0]
    assert any(line.split()[:2] == ["Meeting", str(n_meetings)] for line in done.stdout.splitlines()), done.stdout

    watch = (
        "import runpy, sys\n"
        "def hook(event, args):\n"
        "    if event == 'socket.connect':\n"
        "        print('CONNECT', args[1:], file=sys.stderr)\n"
        "sys.addaudithook(hook)\n"
        f"sys.argv = ['mf', 'query', '--metrics', 'activities']\n"
        f"runpy.run_path({str(MF)!r}, run_name='__main__')\n"
    )
    done = mf(warehouse, python=[str(DBT_PYTHON), "-c", watch])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CONNECT" not in done.stderr, done.stderr
    assert str(sql(warehouse, "select count(*) from marts.dim_event")[0][0]) in done.stdout


def test_every_metric_is_described_and_named_in_the_readme():
    import yaml

    metrics = yaml.safe_load((REPO / "dbt_project" / "models" / "marts" / "_metrics.yml").read_text())["metrics"]
    readme = (REPO / "README.md").read_text()
    assert len(metrics) >= 10
    for metric in metrics:
        assert metric["description"].strip() and metric["label"].strip(), metric["name"]
        assert f"`{metric['name']}`" in readme, f"README does not name the metric {metric['name']}"


def test_every_output_that_counts_attendance_agrees_with_people_attended(warehouse, reader, tmp_path):
    """One definition of attendance: the example queries, the report's figures and the workbook each give
    the people who attended, and each equals `mf query --metrics people_attended` (per pledge, per
    field and in total), so an analyst who compares two outputs gets one answer."""
    import openpyxl

    from pipeline.export.workbook import WORKBOOK_NAME
    from pipeline.report import data as report_data
    from pipeline.report import plain_sql

    code_of = dict(reader.execute("select pledge_key, pledge_code from marts.dim_pledge").fetchall())
    per_pledge = {
        code_of[r["pledge"]]: number(r["people_attended"])
        for r in mf_query(warehouse, tmp_path, ["people_attended"], ["pledge"])
    }
    per_field = {
        r["field"]: number(r["people_attended"]) for r in mf_query(warehouse, tmp_path, ["people_attended"], ["field"])
    }
    per_period_field = {
        (period_date(r["period"]), r["field"]): number(r["people_attended_per_period"])
        for r in mf_query(warehouse, tmp_path, ["people_attended_per_period"], ["period", "field"])
    }
    total = sum(v for v in per_pledge.values() if v)
    assert total > 0 and total == sum(v for v in per_field.values() if v)

    def rows(name: str) -> list[dict]:
        cursor = reader.execute((plain_sql.QUERIES_DIR / f"{name}.sql").read_text())
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor.fetchall()]

    # the example queries
    ranked = rows("pledges_ranked_by_attendance")
    assert {r["pledge_code"]: r["people_attended"] for r in ranked if r["people_attended"]} == {
        k: v for k, v in per_pledge.items() if v
    }
    assert ranked[0]["people_attended"] == max(v or 0 for v in per_pledge.values())
    by_field = rows("activities_per_field_per_period")
    assert {
        (str(r["report_date"]), r["field_code"]): r["people_attended"] for r in by_field if r["people_attended"]
    } == {k: v for k, v in per_period_field.items() if v}

    # the report: headline, per field, and its top pledges are the example query's first rows
    report = report_data.load(reader)
    assert report.headline["people_attended"] == total
    assert {r["field_code"]: r["people_attended"] for r in report.attendance_per_field if r["people_attended"]} == {
        k: v for k, v in per_field.items() if v
    }
    assert [(r["pledge_code"], r["people_attended"]) for r in report.top_pledges] == [
        (r["pledge_code"], r["people_attended"]) for r in ranked[: report.top_n]
    ]

    # the workbook the run wrote: its activity sheet, each activity once, attended figures added
    book = openpyxl.load_workbook(warehouse.parent / "export" / WORKBOOK_NAME, read_only=True)
    sheet = book["활동"].iter_rows(values_only=True)
    header = next(sheet)
    count = next(i for i, h in enumerate(header) if h.endswith("(attendee count)"))
    kind = next(i for i, h in enumerate(header) if h.endswith("(attendee kind)"))
    assert sum(r[count] for r in sheet if r[kind] == "attended") == total
