"""`make sql` and the plain example queries in queries/: the real DuckDB CLI (PyPI duckdb-cli,
installed by `make test` / `make sql` into .venv-cli/) on a warehouse the real pipeline built,
its figures checked against direct counts through the Python duckdb."""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from pipeline import sql_shell
from pipeline.report import plain_sql

REPO = Path(__file__).resolve().parent.parent
QUERIES = sorted(plain_sql.QUERIES_DIR.glob("*.sql"))


@pytest.fixture(scope="module")
def cli() -> Path:
    path = sql_shell.cli_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"the DuckDB CLI is missing at {path}: `make test` installs it (make .venv-cli/.installed)")
    version = subprocess.run([str(path), "-version"], capture_output=True, text=True, check=True).stdout
    assert version.split()[0].lstrip("v") == duckdb.__version__, version
    return path


def run_cli(cli: Path, warehouse: Path, sql: str, *, json_mode: bool = True) -> subprocess.CompletedProcess:
    argv = sql_shell.command(warehouse, sql, cli=cli, options=("-json",) if json_mode else ())
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def cli_rows(cli: Path, warehouse: Path, sql: str) -> list[dict]:
    done = run_cli(cli, warehouse, sql)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if done.stdout.strip() else []


def scalar(warehouse: Path, sql: str):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def test_committed_queries_equal_the_rendered_analyses():
    rendered = plain_sql.rendered()
    assert {p.stem for p in QUERIES} == set(rendered) and len(rendered) == 7
    for path in QUERIES:
        assert path.read_text() == rendered[path.stem], (
            f"{path.name} is stale: run `.venv/bin/python -m pipeline.report.plain_sql`"
        )
        assert "{{" not in path.read_text() and "{%" not in path.read_text()


def test_render_refuses_unknown_jinja():
    assert plain_sql.render("select * from {{ ref('dim_event') }}") == "select * from marts.dim_event"
    with pytest.raises(ValueError, match="unsupported jinja"):
        plain_sql.render("select {{ var('x') }}")
    with pytest.raises(ValueError, match="no model"):
        plain_sql.render("select * from {{ ref('nope') }}")


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_plain_query_gives_the_same_rows_in_the_cli_and_in_python(cli, built_warehouse, path):
    sql = path.read_text()
    rows = cli_rows(cli, built_warehouse.warehouse, sql)
    with duckdb.connect(str(built_warehouse.warehouse), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        direct = [dict(zip(names, r)) for r in cursor.fetchall()]
    assert len(rows) == len(direct) and len(direct) > 0
    for got, want in zip(rows, direct):
        assert list(got) == names
        for k in names:
            if isinstance(want[k], float):
                assert got[k] == pytest.approx(want[k]), k
            elif want[k] is None or isinstance(want[k], bool):
                assert got[k] == want[k], k
            else:  # JSON mode writes sums (HUGEINT) and dates as strings
                assert str(got[k]) == str(want[k]), k


def test_cli_figures_match_direct_counts(cli, built_warehouse):
    wh = built_warehouse.warehouse
    q = {p.stem: p.read_text() for p in QUERIES}
    n_events = scalar(wh, "select count(*) from marts.fct_events")
    n_activities = scalar(wh, "select count(*) from marts.dim_event")
    per_field = cli_rows(cli, wh, q["activities_per_field_per_period"])
    assert sum(r["n_activities"] for r in per_field) == n_events
    by_field = Counter()
    for r in per_field:
        by_field[r["field_code"]] += r["n_activities"]
    with duckdb.connect(str(wh), read_only=True) as con:
        assert dict(by_field) == {
            f: n
            for f, n in con.execute(
                "select f.field_code, count(e.event_key) from marts.dim_field f left join marts.fct_events e "
                "using (field_code) group by 1"
            ).fetchall()
        }
    assert sum(r["n_activities"] for r in cli_rows(cli, wh, q["pledges_ranked_by_attendance"])) == n_activities
    assert sum(r["n_activities"] for r in cli_rows(cli, wh, q["format_mix_per_field"])) == n_activities
    months = cli_rows(cli, wh, q["monthly_activity_timeline"])
    placed = (
        "from marts.fct_event_months m join marts.dim_event e using (event_key) "
        "where m.span_precision in ('day', 'month')"
    )
    assert sum(int(r["n_activities"]) for r in months) == scalar(wh, f"select count(*) {placed}")
    assert sum(int(r["n_starting"]) for r in months) == scalar(wh, f"select count(distinct event_key) {placed}")
    assert sum(r["n_issues"] for r in cli_rows(cli, wh, q["data_quality_overview"])) == scalar(
        wh, "select count(*) from staging.parse_issues"
    )
    latest = cli_rows(cli, wh, q["activities_new_in_latest_period"])
    if scalar(wh, "select count(*) from marts.dim_period") == 1:
        assert len(latest) == scalar(wh, "select count(*) from marts.fct_events")


def make_sql(built_warehouse, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PLEDGE_WAREHOUSE": str(built_warehouse.warehouse)}
    return subprocess.run(
        ["make", "-s", "--no-print-directory", "sql", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        input=stdin or "",
    )


def test_make_sql_q_prints_the_count_of_dim_event(cli, built_warehouse):
    n = scalar(built_warehouse.warehouse, "select count(*) from marts.dim_event")
    done = make_sql(built_warehouse, "Q=select count(*) as n from dim_event where title <> 'it''s \"quoted\"'")
    assert done.returncode == 0, done.stderr
    assert str(n) in done.stdout.split(), done.stdout
    # the command make runs, directly
    done = run_cli(cli, built_warehouse.warehouse, "select count(*) from dim_event", json_mode=False)
    assert done.returncode == 0 and str(n) in done.stdout, done.stdout + done.stderr


def test_make_sql_runs_a_query_file_from_stdin(cli, built_warehouse):
    done = make_sql(built_warehouse, stdin=(plain_sql.QUERIES_DIR / "format_mix_per_field.sql").read_text())
    assert done.returncode == 0, done.stderr
    assert "share_in_field" in done.stdout


def test_the_connection_is_read_only(cli, built_warehouse):
    before = scalar(built_warehouse.warehouse, "select count(*) from marts.dim_field")
    for statement in ("delete from dim_field", "create table marts.scratch as select 1 as x"):
        done = run_cli(cli, built_warehouse.warehouse, statement, json_mode=False)
        assert done.returncode != 0
        assert "read-only" in (done.stdout + done.stderr).lower(), done.stdout + done.stderr
    assert scalar(built_warehouse.warehouse, "select count(*) from marts.dim_field") == before


def test_no_warehouse_says_run_make_run_first(tmp_path):
    env = {**os.environ, "PLEDGE_WAREHOUSE": str(tmp_path / "none.duckdb")}
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "sql"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    assert "make run" in done.stderr and "none.duckdb" in done.stderr
