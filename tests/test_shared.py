"""The shared deployment, for real, through its roles (pledge_writer for runs, pledge_reader for readers): a
Postgres 15 cluster started here from the Debian server binaries the way `make shared-up` starts one (in
a temporary folder, on a free port, stopped at the end), Dagster's storage and the DuckLake catalog in
it, the lake's Parquet files in a temporary folder, and the real pipeline (`python -m pipeline.run`,
Dagster, dbt) run as separate processes, as `make run` runs it.

Two "machines" share the lake: each is a workspace of its own (raw/, local working area and parse cache,
DAGSTER_HOME), so the second one starts from the lake, not from a local copy. The tests of this module run
in order on one lake, each leaving it in the state the next one starts from:

1. the first run publishes one snapshot recorded with its run id; Dagster's runs are in Postgres;
2. a reader in another process during a run sees one complete snapshot at every moment;
3. the marts equal an embedded build of the same raw/ row for row, every table, and the exports read the lake;
4. time travel to the previous run's snapshot (`AT (VERSION => n)`);
5. rollback (the documented command) restores the previous publish as a new snapshot; a run on the other
   machine then restores its working copy from the lake and rebuilds the marts;
6. two runs at once on two machines, each with another city's reports: one waits for the other's advisory
   lock, then both publish and the lake holds both cities' periods, nothing lost;
7. SIGKILL in the middle of the publish transaction: the published snapshot is intact, the next run succeeds.

If the Postgres server binaries are missing these tests fail (they are part of CI: .ci/run installs them).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipeline.shared import lake
from pipeline.shared.cluster import Cluster, ClusterError, bindir, free_port
from pipeline.shared.config import (
    LAKE_DATA_PATH_ENV,
    POSTGRES_DSN_ENV,
    READER_DSN_ENV,
    SharedConfig,
    SharedConfigError,
    shared_config,
)
from testkit.bench_reports import write_report

from .conftest import REPO, Workspace

RUN_TIMEOUT = 900
MARTS = "marts"
SETTINGS = (
    "PLEDGE_RAW_DIR",
    "PLEDGE_WAREHOUSE",
    "DAGSTER_HOME",
    POSTGRES_DSN_ENV,
    LAKE_DATA_PATH_ENV,
    READER_DSN_ENV,
    "PLEDGE_DAGSTER_POSTGRES_URL",
    "PLEDGE_LOCK_WAIT",  # each deployment's default, unless a test sets it
)


# -- the cluster and the lake ---------------------------------------------------------------------------
@contextlib.contextmanager
def shared_up(prefix: str):
    """`make shared-up`'s own command in a folder of its own (not under pytest's tmp folder: it is private
    to root, and the server runs as the postgres user); yields (cluster, its root, the command's output),
    and `shared-down` at the end."""
    try:
        bindir()
    except ClusterError as exc:
        pytest.fail(f"{exc} (the shared-deployment tests need a real Postgres; .ci/run installs it)")
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)  # the postgres user must reach pg/ inside it (the data folder itself is 0700, its own)
    port = free_port()
    cli = [sys.executable, "-m", "pipeline.shared", "--root", str(root / "pg"), "--lake", str(root / "lake")]
    cli += ["--port", str(port)]
    up = subprocess.run([*cli, "up"], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert up.returncode == 0, up.stderr
    pg = Cluster(root / "pg", port)
    try:
        yield pg, root, up
    finally:
        down = subprocess.run([*cli, "down"], cwd=REPO, capture_output=True, text=True, timeout=180)
        assert down.returncode == 0 and "stopped" in down.stderr, down.stderr
        assert not pg.running()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    with shared_up("pledge-test-pg-") as (pg, root, up):
        exports = parse_exports(up.stdout)
        secrets = root / "pg" / "secrets"
        assert exports == {
            POSTGRES_DSN_ENV: f"postgresql://pledge_writer@127.0.0.1:{pg.port}/pledge?sslmode=require"
            f"&passfile={secrets}/pledge_writer.pgpass",
            READER_DSN_ENV: f"postgresql://pledge_reader@127.0.0.1:{pg.port}/pledge?sslmode=require"
            f"&passfile={secrets}/pledge_reader.pgpass",
            LAKE_DATA_PATH_ENV: str(root / "lake"),
        }
        assert pg.running() and pg.running_port() == pg.port
        assert oct((pg.data).stat().st_mode & 0o777) == "0o700"
        yield pg


def parse_exports(stdout: str) -> dict[str, str]:
    """The `export NAME=value` lines as the shell reads them (`eval "$(make -s shared-up)"`)."""
    import shlex

    return dict(word.split("=", 1) for line in stdout.splitlines() for word in shlex.split(line)[1:])


@pytest.fixture(scope="module")
def cfg(cluster: Cluster, tmp_path_factory) -> SharedConfig:
    cluster.create_database("shared_test")
    return SharedConfig(
        postgres_dsn=cluster.dsn("shared_test"),
        reader_dsn=cluster.reader_dsn("shared_test"),
        lake_data_path=str(tmp_path_factory.mktemp("lake")) + "/",
    )


@dataclass
class Machine(Workspace):
    """A workspace of its own, as on another machine: raw/, the local working area, DAGSTER_HOME; its
    runs are processes of their own."""

    cfg: SharedConfig | None = None  # None: the embedded deployment

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
        env.update(
            PLEDGE_RAW_DIR=str(self.raw_dir),
            PLEDGE_WAREHOUSE=str(self.warehouse),
            DAGSTER_HOME=str(self.dagster_home),
            DBT_PROFILES_DIR=str(REPO / "dbt_project"),
            PLEDGE_LOG_LEVEL="WARNING",
        )
        if self.cfg is not None:
            env.update({POSTGRES_DSN_ENV: self.cfg.postgres_dsn, LAKE_DATA_PATH_ENV: self.cfg.lake_data_path})
            if self.cfg.reader_dsn:
                env[READER_DSN_ENV] = self.cfg.reader_dsn
        return env

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline.run", *args],
            cwd=REPO,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pipeline.run", *args],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )

    def shared(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pipeline.shared", *args],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )


def new_machine(root: Path, cfg: SharedConfig | None, reports: int) -> Machine:
    """A workspace whose raw/ holds the real report and `reports - 1` synthetic later periods."""
    m = Machine(root, cfg=cfg)
    add_reports(m, reports)
    return m


def add_reports(m: Machine, reports: int) -> None:
    m.raw_dir.mkdir(parents=True, exist_ok=True)
    for k in range(reports):
        write_report(k, m.raw_dir)


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, (
        f"exit {done.returncode}\n--- stdout\n{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-6000:]}"
    )
    return done


# -- reading the lake ---------------------------------------------------------------------------------
def reader(cfg: SharedConfig) -> duckdb.DuckDBPyConnection:
    return lake.connect_reader(cfg)


def marts_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by 1",
            [catalog, MARTS],
        ).fetchall()
    ]


def marts_rows(
    con: duckdb.DuckDBPyConnection,
    catalog: str,
    version: int | None = None,
    tables: tuple[str, ...] | None = None,
    where: str = "",
) -> dict[str, list[tuple]]:
    """Every marts table's rows (or those of `tables`, filtered by `where`), fully ordered. `ingested_at` is
    when a period was parsed (a property of the machine's parse cache, not of the data), so it is left
    out, as in tests/test_pipeline.py."""
    at = f" AT (VERSION => {version})" if version is not None else ""
    where = f" where {where}" if where else ""
    out = {}
    for table in tables or marts_tables(con, catalog):
        cols = [
            r[0]
            for r in con.execute(
                "select column_name from duckdb_columns() where database_name = ? and "
                "schema_name = ? and table_name = ? order by column_index",
                [catalog, MARTS, table],
            ).fetchall()
        ]
        select = ", ".join(f'"{c}"' for c in cols if c != "ingested_at")
        out[table] = con.execute(
            f'select {select} from "{catalog}".{MARTS}."{table}"{at}{where} order by all'
        ).fetchall()
    return out


def embedded_marts(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return marts_rows(con, path.stem)


def lake_marts(cfg: SharedConfig, version: int | None = None) -> dict[str, list[tuple]]:
    with reader(cfg) as con:
        return marts_rows(con, lake.READER_ALIAS, version)


def current(cfg: SharedConfig) -> lake.Snapshot:
    with reader(cfg) as con:
        return lake.current_snapshot(con, lake.READER_ALIAS)


def ours(cfg: SharedConfig) -> list[lake.Snapshot]:
    with reader(cfg) as con:
        return lake.snapshots(con, lake.READER_ALIAS)


def data_files(cfg: SharedConfig) -> set[Path]:
    return set(Path(cfg.lake_data_path).rglob("*.parquet"))


# -- the shared state of this module's tests, in order ------------------------------------------------------
@pytest.fixture(scope="module")
def state() -> dict:
    return {}


@pytest.fixture(scope="module")
def machine_a(tmp_path_factory, cfg) -> Machine:
    return new_machine(tmp_path_factory.mktemp("machine_a"), cfg, reports=1)


@pytest.fixture(scope="module")
def machine_b(tmp_path_factory, cfg) -> Machine:
    return new_machine(tmp_path_factory.mktemp("machine_b"), cfg, reports=3)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Machine:
    """The embedded deployment on the same three reports, for comparison (no shared settings at all)."""
    m = new_machine(tmp_path_factory.mktemp("embedded"), None, reports=3)
    ok(m.run())
    return m


# 1 ------------------------------------------------------------------------------------------------------
def test_the_first_run_publishes_one_snapshot_recorded_with_its_run_and_dagster_runs_are_in_postgres(
    machine_a, cfg, state, cluster
):
    done = ok(machine_a.run())
    assert "the shared warehouse" in done.stdout
    assert not machine_a.warehouse.exists(), "the shared deployment must not publish a local warehouse file"
    snaps = ours(cfg)
    assert [s.kind for s in snaps] == ["publish"]
    snap = snaps[0]
    assert current(cfg).snapshot_id == snap.snapshot_id
    assert snap.info["periods"] == ["전주시/2020-12-31"]  # a period is its municipality's
    assert {(p["municipality"], p["report_date"]) for p in snap.info["periods_changed"]} == {("전주시", "2020-12-31")}
    # The run id in the snapshot is the Dagster run's, and that run is in Dagster's Postgres storage.
    import psycopg2

    with psycopg2.connect(cfg.postgres_dsn) as conn, conn.cursor() as cur:
        cur.execute("select run_id, status from runs where pipeline_name = 'build_warehouse'")
        runs = dict(cur.fetchall())
        cur.execute(
            "select current_user, current_setting('server_version_num')::int / 10000, "
            "(select ssl from pg_stat_ssl where pid = pg_backend_pid())"
        )
        user, major, tls = cur.fetchone()
    conn.close()
    with cluster.admin_connect() as conn, conn.cursor() as cur:  # the writer may not read these settings
        cur.execute("select current_setting('listen_addresses'), current_setting('unix_socket_directories')")
        listen, sockets = cur.fetchone()
    conn.close()
    assert (listen, sockets, user, tls) == ("127.0.0.1", "", "pledge_writer", True), (
        "loopback only, no Unix socket, the pipeline's own role, over TLS"
    )
    assert major >= 15
    assert runs == {snap.info["run_id"]: "SUCCESS"}
    assert "postgres" in (machine_a.root / ".dagster" / "dagster.yaml").read_text()
    with reader(cfg) as con:
        assert con.execute("select run_id from staging.run_history").fetchall() == [(snap.info["run_id"],)]
    state["snap_a"] = snap.snapshot_id
    state["marts_a"] = lake_marts(cfg)
    assert len(state["marts_a"]["fct_events"]) > 300


# 2 ------------------------------------------------------------------------------------------------------
READER = textwrap.dedent("""
    # An analyst's process: one connection kept in a transaction opened before the run (it must keep
    # seeing the state it started with), and one polling connection whose every read is one transaction.
    import json, sys, time
    from pathlib import Path
    from pipeline.shared import lake, shared_config

    def observe(con):
        con.execute("BEGIN TRANSACTION")
        snap = con.execute("select id from pledge.current_snapshot()").fetchone()[0]
        periods = [str(r[0]) for r in con.execute("select report_date from marts.dim_period order by 1").fetchall()]
        fct = [str(r[0]) for r in con.execute("select distinct report_date from marts.fct_events order by 1")
               .fetchall()]
        files = [str(r[0]) for r in con.execute("select report_date from staging.report_files order by 1").fetchall()]
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables() where database_name = 'pledge' "
                                            "and schema_name = 'marts' order by 1").fetchall()]
        counts = {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in tables}
        con.execute("COMMIT")
        return {"snapshot": snap, "periods": periods, "fct_periods": fct, "file_periods": files, "counts": counts}

    cfg = shared_config()
    # two DuckDB instances of their own, as two analysts' tools would have
    held = lake.connect(cfg, read_only=True, alias="pledge", use=True)
    held.execute("BEGIN TRANSACTION")
    held_first = held.execute("select count(*) from marts.fct_events").fetchone()[0]
    poll = lake.connect(cfg, read_only=True, alias="pledge", use=True)
    stop, out = Path(sys.argv[1]), open(sys.argv[2], "w")  # a file, not a pipe nobody drains during the run
    out.write(json.dumps({"ready": True, "held": held_first}) + "\\n")
    out.flush()
    while not stop.exists():
        obs = observe(poll)
        obs["held"] = held.execute("select count(*) from marts.fct_events").fetchone()[0]
        obs["t"] = time.time()
        out.write(json.dumps(obs) + "\\n")
        out.flush()
        time.sleep(0.02)
""")


def test_a_reader_in_another_process_sees_one_complete_snapshot_during_a_run(machine_a, cfg, state, tmp_path):
    add_reports(machine_a, 3)  # two more periods: the run publishes a second snapshot
    stop, log = tmp_path / "stop", tmp_path / "observations.jsonl"
    log.touch()
    analyst = subprocess.Popen(
        [sys.executable, "-c", READER, str(stop), str(log)],
        cwd=REPO,
        env=machine_a.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not log.read_text() and analyst.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if not log.read_text():
            analyst.kill()
            pytest.fail(f"the reader did not start: {analyst.communicate(timeout=30)[1]}")
        first = json.loads(log.read_text().splitlines()[0])
        assert first["ready"]
        started = time.time()
        ok(machine_a.run())
        finished = time.time()
        time.sleep(1)  # a few reads after the run, too
        stop.touch()
        _, err = analyst.communicate(timeout=120)
    finally:
        analyst.kill()
    assert analyst.returncode == 0, err
    observations = [json.loads(line) for line in log.read_text().splitlines()[1:]]
    snap_b = current(cfg).snapshot_id
    assert snap_b > state["snap_a"]
    state["snap_b"] = snap_b
    with reader(cfg) as con:
        expected = {}
        for version in (state["snap_a"], snap_b):
            tables = marts_tables(con, lake.READER_ALIAS)
            expected[version] = {
                t: con.execute(f"select count(*) from marts.{t} AT (VERSION => {version})").fetchone()[0]
                for t in tables
            }
    assert expected[state["snap_a"]] != expected[snap_b]
    during = [o for o in observations if started <= o["t"] <= finished]
    assert len(during) > 20, "the reader must have read all through the run"
    for o in observations:
        # one complete snapshot: every table of the same publish, the periods consistent across tables
        assert o["periods"] == o["fct_periods"] == o["file_periods"], o
        assert o["snapshot"] in (state["snap_a"], snap_b), o
        assert o["counts"] == expected[o["snapshot"]], o
        # the transaction opened before the run keeps the state it started with
        assert o["held"] == first["held"] == expected[state["snap_a"]]["fct_events"], o
    seen = [o["snapshot"] for o in observations]
    assert seen[0] == state["snap_a"] and seen[-1] == snap_b, "the reader saw the run's publish happen"
    assert seen == sorted(seen), "once the new snapshot is visible, the old one never comes back"
    assert [p for p in observations[-1]["periods"]] == ["2020-12-31", "2021-12-31", "2022-12-31"]


# 3 ------------------------------------------------------------------------------------------------------
def test_shared_marts_equal_the_embedded_build_row_for_row_and_the_exports_read_the_lake(
    machine_a, embedded, cfg, state
):
    want = embedded_marts(embedded.warehouse)
    got = lake_marts(cfg)
    assert sorted(got) == sorted(want) and len(want) >= 15
    for table in want:
        assert got[table] == want[table], f"marts.{table} differs between the shared and the embedded build"
    state["marts_b"] = got
    # The run's exports were written from the lake (no local warehouse file exists to read them from).
    assert not machine_a.warehouse.exists()
    parquet = machine_a.warehouse.parent / "parquet"
    with duckdb.connect() as con:
        for table, rows in want.items():
            n = con.execute(f"select count(*) from read_parquet('{parquet / (table + '.parquet')}')").fetchone()[0]
            assert n == len(rows), table
    import openpyxl

    book = openpyxl.load_workbook(machine_a.warehouse.parent / "export" / "pledge_activity.xlsx", read_only=True)
    assert book["활동"].max_row - 1 == len(want["dim_event"])
    with duckdb.connect() as con:  # the CSV files too (DuckDB writes them on connections of their own)
        csv_file = machine_a.warehouse.parent / "export" / "csv" / "활동.csv"
        assert con.execute(f"select count(*) from read_csv('{csv_file}')").fetchone()[0] == len(want["dim_event"])
    assert (machine_a.warehouse.parent / "report" / "index.html").stat().st_size > 10_000


def test_make_sql_reads_the_lake_with_the_duckdb_cli(cfg, machine_a, state):
    from pipeline import sql_shell

    cli = sql_shell.cli_path()
    if not os.access(cli, os.X_OK):
        pytest.fail(f"the DuckDB CLI is missing at {cli}: `make test` installs it")
    argv = sql_shell.shared_command(cfg, "select count(*) as n from dim_event", cli=cli, options=("-json",))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [{"n": len(state["marts_b"]["dim_event"])}]
    # read-only: the CLI cannot write the shared warehouse
    argv = sql_shell.shared_command(cfg, "create table marts.x as select 1", cli=cli)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode != 0 and "read-only" in (done.stderr + done.stdout)


def test_search_reads_the_lake_as_it_reads_the_embedded_file(cfg, machine_a, embedded):
    """`make search` and the SQL macro on the shared warehouse (the lake keeps no macros: each reader makes
    them for its session) rank exactly as on an embedded build of the same reports."""
    from pipeline import sql_shell

    def search(m: Machine) -> list[dict]:
        done = ok(
            subprocess.run(
                [sys.executable, "-m", "pipeline.search", "--format", "json", "주민설명회를"],
                cwd=REPO,
                env=m.env(),
                capture_output=True,
                text=True,
                timeout=120,
            )
        )
        return json.loads(done.stdout)

    shared = search(machine_a)
    assert len(shared) > 10 and shared == search(embedded)
    # an analyst's machine: the read-only role's DSN alone, no warehouse file, no pipeline settings
    analyst = Machine(machine_a.root.parent / "analyst")
    env = {k: v for k, v in analyst.env().items() if k not in (POSTGRES_DSN_ENV, LAKE_DATA_PATH_ENV)}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.search", "--format", "json", "주민설명회를"],
        cwd=REPO,
        env={**env, READER_DSN_ENV: cfg.reader_dsn},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == shared
    query = "select event_key from search_activities('주민설명회를') order by search_rank"
    done = subprocess.run(
        sql_shell.shared_command(cfg, query, options=("-json",)),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert [r["event_key"] for r in json.loads(done.stdout)] == [r["event_key"] for r in shared]


# 4 ------------------------------------------------------------------------------------------------------
def test_time_travel_to_the_previous_runs_snapshot(cfg, state):
    snap_a = state["snap_a"]
    assert lake_marts(cfg, version=snap_a) == state["marts_a"]
    with reader(cfg) as con:
        assert con.execute(f"select count(*) from marts.dim_period AT (VERSION => {snap_a})").fetchone()[0] == 1
        assert con.execute("select count(*) from marts.dim_period").fetchone()[0] == 3
        # the analyst's way to find it: the snapshot recorded with the run's id
        run_a = [s for s in lake.snapshots(con, lake.READER_ALIAS) if s.snapshot_id == snap_a][0].info["run_id"]
        found = con.execute(
            "select snapshot_id from pledge.snapshots() where commit_extra_info::json->>'run_id' = ?", [run_a]
        ).fetchall()
    assert found == [(snap_a,)]


# 5 ------------------------------------------------------------------------------------------------------
def test_rollback_restores_the_previous_publish_and_a_run_elsewhere_rebuilds_from_the_lake(
    cfg, machine_a, machine_b, embedded, state
):
    done = ok(machine_a.shared("rollback"))
    assert f"holds the tables of snapshot {state['snap_a']}" in done.stdout
    snap = current(cfg)
    assert snap.kind == "rollback" and snap.info["restored_snapshot"] == state["snap_a"]
    assert snap.snapshot_id > state["snap_b"]
    assert sorted(snap.info["periods_changed"]) == ["전주시/2021-12-31", "전주시/2022-12-31"]
    assert lake_marts(cfg) == state["marts_a"]
    assert lake_marts(cfg, version=state["snap_b"]) == state["marts_b"], "the rolled-back state stays reachable"
    history = ok(machine_a.shared("history")).stdout
    assert "rollback to snapshot" in history and "periods changed: 전주시/2020-12-31 (loaded)" in history
    # Machine B has no local copy: its run restores the working copy from the lake's current (rolled-back)
    # snapshot, reloads the two periods the rollback took out, and publishes marts equal to the embedded build.
    done = ok(machine_b.run())
    assert "2 new" in done.stdout, done.stdout
    assert lake_marts(cfg) == embedded_marts(embedded.warehouse)
    state["marts_b"] = lake_marts(cfg)


# 6 ------------------------------------------------------------------------------------------------------
JEONJU, GUNSAN, IKSAN = "전주시", "군산시", "익산시"
# marts tables keyed by municipality: a city's rows must not change when another city's reports arrive
CITY_TABLES = ("dim_period", "dim_pledge", "fct_events", "fct_event_lifecycle")


def test_two_cities_runs_at_once_on_two_machines_both_publish_and_nothing_is_lost(cfg, machine_a, machine_b, state):
    import datetime as dt

    from testkit import cities

    # Each machine brings another city's first report (synthetic: the real report under 군산시's and 익산시's
    # headers, of the same date as the real one). Machine B holds its new city's report only: its Jeonju files
    # leave its raw/, and the lake keeps those periods (nothing goes without --retract).
    for old in machine_b.raw_dir.iterdir():
        old.unlink()
    cities.write_report(machine_b.raw_dir, dt.date(2020, 12, 31), GUNSAN, 7, "another city, on machine B")
    cities.write_report(machine_a.raw_dir, dt.date(2020, 12, 31), IKSAN, 7, "another city, on machine A")
    before = current(cfg).snapshot_id
    with reader(cfg) as con:
        jeonju_before = marts_rows(con, lake.READER_ALIAS, tables=CITY_TABLES)
    machines = {"a": machine_a, "b": machine_b}
    runs = {name: m.start() for name, m in machines.items()}
    # both pipes read at once: the run that holds the lock would block on a full pipe that nobody reads while
    # the test waited for the other run, itself waiting for that lock
    with ThreadPoolExecutor(len(runs)) as pool:
        outputs = {name: pool.submit(proc.communicate, timeout=RUN_TIMEOUT) for name, proc in runs.items()}
        results = {name: (*out.result(), runs[name].returncode) for name, out in outputs.items()}
    for out, err, code in results.values():
        ok(subprocess.CompletedProcess([], code, out, err))
    # the run that found the lock held said so once, naming the holder and its deadline, and waited for it
    waited = [name for name, (_, err, _) in results.items() if "waiting for the run that holds the lock" in err]
    assert len(waited) == 1, results
    waiter, first = waited[0], "b" if waited[0] == "a" else "a"
    line = [x for x in results[waiter][1].splitlines() if x.startswith("waiting for the run")]
    assert len(line) == 1 and f"the lock: pledge-run build pid {runs[first].pid}@" in line[0], line
    assert "; giving up at " in line[0] and line[0].endswith("(PLEDGE_LOCK_WAIT=600 s)"), line
    # two publishes, one after the other: the second run planned from (and built on) the first one's
    publishes = [s for s in ours(cfg) if s.snapshot_id > before and s.kind == "publish"]
    assert len(publishes) == 2 and publishes[-1].snapshot_id == current(cfg).snapshot_id, publishes
    # both cities' periods are in the lake
    held = sorted(publishes[-1].info["periods"])
    assert held == [
        f"{GUNSAN}/2020-12-31",
        f"{IKSAN}/2020-12-31",
        *(f"{JEONJU}/{y}-12-31" for y in (2020, 2021, 2022)),
    ], held
    with reader(cfg) as con:
        periods = con.execute("select municipality, report_date::varchar from marts.dim_period order by all").fetchall()
        events = dict(
            con.execute(
                "select municipality, count(*) from marts.fct_events where report_date = '2020-12-31' group by 1"
            ).fetchall()
        )
        jeonju_after = marts_rows(con, lake.READER_ALIAS, tables=CITY_TABLES, where=f"municipality = '{JEONJU}'")
    assert periods == [
        (GUNSAN, "2020-12-31"),
        (IKSAN, "2020-12-31"),
        *((JEONJU, f"{y}-12-31") for y in (2020, 2021, 2022)),
    ]
    # nothing lost: Jeonju's rows are what they were, and each new city's report (the real report's activities
    # under another header) has as many activities as Jeonju's of that date
    assert jeonju_after == jeonju_before
    assert events[GUNSAN] == events[IKSAN] == events[JEONJU] > 300, events
    # and each machine's next run finds its reports held: the first makes its exports of the lake (the
    # second publish moved it), the second has nothing to do
    assert "no report changed; export(s) behind the published warehouse" in ok(machines[first].run()).stdout
    assert "nothing to do" in ok(machines[waiter].run()).stdout
    state["marts_b"] = lake_marts(cfg)


# 7 ------------------------------------------------------------------------------------------------------
def test_sigkill_in_the_publish_transaction_leaves_the_snapshot_intact_and_the_next_run_succeeds(cfg, machine_a, state):
    before = current(cfg)
    files_before = data_files(cfg)
    proc = machine_a.start("--full")
    killed_at = None
    deadline = time.monotonic() + RUN_TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        if data_files(cfg) - files_before:  # the publish is writing the new snapshot's Parquet files
            os.killpg(proc.pid, signal.SIGKILL)
            killed_at = time.monotonic()
            break
        time.sleep(0.002)
    proc.communicate(timeout=60)
    assert killed_at is not None and proc.returncode == -signal.SIGKILL, "the run was not killed mid-publish"
    # Nothing committed: the same snapshot, the same tables; the files written are orphans no snapshot names.
    assert current(cfg).snapshot_id == before.snapshot_id
    assert lake_marts(cfg) == state["marts_b"]
    assert data_files(cfg) - files_before
    from pipeline.shared import lock

    assert lock.holder(cfg.postgres_dsn, lock.lock_key()) is None, "Postgres released the dead run's lock"
    # The next run needs no clean-up.
    ok(machine_a.run("--full"))
    after = current(cfg)
    assert after.snapshot_id > before.snapshot_id and after.kind == "publish"
    assert lake_marts(cfg) == state["marts_b"]


# -- configuration ---------------------------------------------------------------------------------------
def test_half_a_configuration_is_refused_and_none_is_the_embedded_default(tmp_path):
    assert shared_config({}) is None
    with pytest.raises(SharedConfigError, match=LAKE_DATA_PATH_ENV):
        shared_config({POSTGRES_DSN_ENV: "postgresql://u@h:1/d"})
    with pytest.raises(SharedConfigError, match=POSTGRES_DSN_ENV):
        shared_config({LAKE_DATA_PATH_ENV: str(tmp_path)})
    with pytest.raises(SharedConfigError, match="URI"):
        shared_config({POSTGRES_DSN_ENV: "host=h dbname=d", LAKE_DATA_PATH_ENV: str(tmp_path)})
    got = shared_config({POSTGRES_DSN_ENV: "postgresql://u@h:1/d", LAKE_DATA_PATH_ENV: "s3://bucket/lake"})
    assert got.lake_uri == "ducklake:postgres:postgresql://u@h:1/d" and got.lake_data_path == "s3://bucket/lake/"
    m = Machine(tmp_path)
    add_reports(m, 1)
    env = {**m.env(), POSTGRES_DSN_ENV: "postgresql://postgres@127.0.0.1:1/none"}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    assert done.returncode == 2 and LAKE_DATA_PATH_ENV in done.stderr
    assert not m.warehouse.exists()


def test_the_embedded_dagster_yaml_is_unchanged(tmp_path):
    from pipeline.defs.instance import dagster_yaml

    assert dagster_yaml(tmp_path, postgres=False).endswith(f"storage:\n  sqlite:\n    base_dir: {tmp_path}\n")
    assert "postgres" not in dagster_yaml(tmp_path, postgres=False)
    assert "env: PLEDGE_DAGSTER_POSTGRES_URL" in dagster_yaml(tmp_path, postgres=True)


def test_dagster_reads_the_dsn_through_psycopg2_and_messages_hide_passwords():
    from pipeline.defs.instance import dagster_postgres_url

    assert (
        dagster_postgres_url("postgresql://u:p@h:5/d?sslmode=require")
        == "postgresql+psycopg2://u:p@h:5/d?sslmode=require"
    )
    assert dagster_postgres_url("postgres://u@h/d") == "postgresql+psycopg2://u@h/d"
    assert lake.redact("ducklake:postgres:postgresql://u:secret@h:5/d") == "ducklake:postgres:postgresql://u:***@h:5/d"
    assert "secret" not in lake.redact("host=h password=secret dbname=d")


def test_repeated_rollbacks_walk_back_through_the_publishes():
    import datetime as dt

    def snap(i, kind, **info):
        return lake.Snapshot(i, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), lake.AUTHOR, kind, {"kind": kind, **info})

    history = [snap(1, "publish"), snap(2, "publish"), snap(3, "publish")]
    assert lake.rollback_target(history, history[-1]).snapshot_id == 2
    back = snap(4, "rollback", restored_snapshot=2, state_of=2)
    assert lake.rollback_target(history + [back], back).snapshot_id == 1
    with pytest.raises(lake.LakeError, match="first publish"):
        lake.rollback_target(history, history[0])


def test_asking_who_holds_the_lock_never_takes_it(cfg, tmp_path, monkeypatch):
    """`make run`'s first check must not hold the advisory lock even for an instant: two runs started at
    once would each see the other's check as a holder, and the refusal would name a session already gone."""
    from pipeline.shared import lock
    from pipeline.shared.warehouse import SharedWarehouse

    wh = SharedWarehouse(tmp_path / "warehouse" / "pledge_activity.duckdb", cfg)
    real_try_acquire = lock.try_acquire

    def no_lock_taken(*args, **kwargs):
        raise AssertionError("the check took the advisory lock")

    monkeypatch.setattr(lock, "try_acquire", no_lock_taken)
    assert wh.lock_holder() is None
    held = real_try_acquire(cfg.postgres_dsn, "build")
    try:
        said = wh.lock_holder()
        assert said is not None and said.startswith("the lock is held by pledge-run build pid "), said
    finally:
        held.release()
    local = wh.local_lock()  # this machine's flock only, as an embedded run holds it
    try:
        assert "another run on this machine" in wh.lock_holder()
    finally:
        local.release()
    assert wh.lock_holder() is None


@pytest.mark.parametrize("deployment", ["embedded", "shared"])
def test_a_run_that_finds_the_lock_held_waits_for_it_until_its_deadline_then_is_refused_naming_the_holder(
    deployment, cfg, tmp_path, monkeypatch
):
    """The one waiting loop, on either lock: the embedded flock (another run on this machine) and the shared
    advisory lock (another machine's run, a session of its own)."""
    from pipeline.publish.warehouse import BuildLockedError, Warehouse, holding_lock, lock_wait, record_holder
    from pipeline.shared import lock
    from pipeline.shared.warehouse import SharedWarehouse

    path = tmp_path / "warehouse" / "pledge_activity.duckdb"
    if deployment == "embedded":
        wh = Warehouse(path)

        def other_run():
            held = Warehouse(path).local_lock()
            record_holder(path)
            return held

        holder = f"process {os.getpid()} on "
    else:
        wh = SharedWarehouse(path, cfg)

        def other_run():
            return lock.try_acquire(cfg.postgres_dsn, "build")

        holder = f"pledge-run build pid {os.getpid()}@"
    monkeypatch.delenv("PLEDGE_LOCK_WAIT", raising=False)
    assert lock_wait(wh) == (0 if deployment == "embedded" else 600)
    monkeypatch.setenv("PLEDGE_LOCK_WAIT", "2.5")
    assert lock_wait(wh) == 2.5
    monkeypatch.setenv("PLEDGE_LOCK_WAIT", "soon")
    with pytest.raises(ValueError, match="PLEDGE_LOCK_WAIT='soon' is not a number of seconds"):
        lock_wait(wh)

    said: list[str] = []
    held = other_run()
    try:
        with pytest.raises(BuildLockedError) as at_once, holding_lock(wh, 0, said.append):
            pass
        assert said == [] and holder in str(at_once.value)  # no wait: refused at once, as before
        started = time.monotonic()
        with pytest.raises(BuildLockedError) as refused, holding_lock(wh, 1.5, said.append):
            pass
        waited = time.monotonic() - started
    finally:
        held.release()
    assert 1.5 <= waited < 5, waited
    assert len(said) == 1 and said[0].startswith(f"waiting for the run that holds the lock: {holder}"), said
    assert "; giving up at " in said[0] and said[0].endswith("(PLEDGE_LOCK_WAIT=1.5 s)"), said
    assert str(refused.value) == str(at_once.value), "past the deadline, refused as without waiting"
    # released while the run waits: it takes the lock soon after, and holds it
    held, said = other_run(), []
    threading.Timer(1.0, held.release).start()
    started = time.monotonic()
    with holding_lock(wh, 60, said.append):
        assert 1.0 <= time.monotonic() - started < 5 and len(said) == 1
        assert _refused(other_run), "the run that waited holds the lock now"


def _refused(take) -> bool:
    from pipeline.publish.warehouse import BuildLockedError
    from pipeline.shared import lock

    try:
        take().release()
    except (BuildLockedError, lock.LockHeldError):
        return True
    return False


def test_make_run_past_the_deadline_is_refused_in_one_line_after_its_waiting_line(cfg, tmp_path):
    from pipeline.shared import lock

    m = Machine(tmp_path, cfg=cfg)
    add_reports(m, 1)
    env = {**m.env(), "PLEDGE_LOCK_WAIT": "1"}
    held = lock.try_acquire(cfg.postgres_dsn, "build")  # another machine's run
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pipeline.run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )
    finally:
        held.release()
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 2, done.stderr
    assert lines[0].startswith(f"waiting for the run that holds the lock: pledge-run build pid {os.getpid()}@")
    assert lines[0].endswith("(PLEDGE_LOCK_WAIT=1 s)"), lines
    assert lines[1].startswith("REFUSED: another run is building the shared warehouse"), lines
    assert f"the lock is held by pledge-run build pid {os.getpid()}@" in lines[1]
    assert lines[1].endswith("; nothing was started."), lines
    assert "summary" not in done.stdout
