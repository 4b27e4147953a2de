"""Who may do what in the shared deployment, on a real cluster started by `make shared-up`'s own command:
passwords (SCRAM) over TLS only, a writer role for runs and a reader role that Postgres itself keeps from
changing the lake, one-line refusals for a wrong credential, no password in any log, event or output.

The tests run in order on one cluster and one lake; the run of `test_a_run_publishes_as_the_writer` is the
state the later ones read.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg2
import pytest

from pipeline.shared import extensions, lake
from pipeline.shared.cluster import READER, WRITER, read_passfile
from pipeline.shared.config import LAKE_DATA_PATH_ENV, POSTGRES_DSN_ENV, READER_DSN_ENV, SharedConfig

from .conftest import REPO
from .test_shared import Machine, add_reports, ok, parse_exports, shared_up

TIMEOUT = 900


@pytest.fixture(scope="module")
def up() -> dict:
    with shared_up("pledge-test-pgsec-") as (cluster, root, done):
        yield {
            "cluster": cluster,
            "exports": parse_exports(done.stdout),
            "output": done.stdout + done.stderr,
            "root": root,
            "passwords": {r: read_passfile(cluster.passfile(r)) for r in ("postgres", WRITER, READER)},
        }


@pytest.fixture(scope="module")
def cfg(up) -> SharedConfig:
    e = up["exports"]
    return SharedConfig(
        postgres_dsn=e[POSTGRES_DSN_ENV],
        reader_dsn=e[READER_DSN_ENV],
        lake_data_path=e[LAKE_DATA_PATH_ENV].rstrip("/") + "/",
    )


@pytest.fixture(scope="module")
def machine(tmp_path_factory, cfg) -> Machine:
    m = Machine(tmp_path_factory.mktemp("secure_machine"), cfg=cfg)
    add_reports(m, 2)
    return m


@pytest.fixture(scope="module")
def state() -> dict:
    return {"outputs": []}


def with_password_of(dsn: str, passfile: Path) -> str:
    return dsn.split("&passfile=")[0] + f"&passfile={passfile}"


def wrong_passfile(tmp: Path, role: str) -> Path:
    path = tmp / f"{role}-wrong.pgpass"
    path.write_text(f"*:*:*:{role}:not-the-password\n")
    path.chmod(0o600)
    return path


def reader_lake(cfg: SharedConfig, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """What an analyst holding the reader's DSN can open: the lake, with or without DuckDB's read-only flag."""
    con = extensions.connect(data_path=cfg.lake_data_path)
    uri = f"ducklake:postgres:{cfg.reader_dsn}"
    con.execute(f"ATTACH '{uri}' AS pledge" + (" (READ_ONLY)" if read_only else ""))
    return con


# -- authentication and TLS --------------------------------------------------------------------------------
def test_shared_up_prints_both_roles_exports_and_keeps_the_passwords_private(up):
    exports, cluster = up["exports"], up["cluster"]
    assert set(exports) == {POSTGRES_DSN_ENV, READER_DSN_ENV, LAKE_DATA_PATH_ENV}
    assert exports[POSTGRES_DSN_ENV].startswith(f"postgresql://{WRITER}@127.0.0.1:")
    assert exports[READER_DSN_ENV].startswith(f"postgresql://{READER}@127.0.0.1:")
    for dsn in (exports[POSTGRES_DSN_ENV], exports[READER_DSN_ENV]):
        assert "sslmode=require" in dsn and "passfile=" in dsn
    for role, password in up["passwords"].items():
        assert len(password) >= 24, role
        assert password not in up["output"], f"{role}'s password printed by shared-up"
        assert password not in cluster.log.read_text(), f"{role}'s password in the server's log"
        mode = stat.S_IMODE(cluster.passfile(role).stat().st_mode)
        assert mode == 0o600 and cluster.passfile(role).stat().st_uid == os.geteuid(), (role, oct(mode))
    assert stat.S_IMODE(cluster.secrets.stat().st_mode) == 0o700
    hba = [
        line.split()
        for line in (cluster.data / "pg_hba.conf").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert hba == [["hostssl", "all", "all", "127.0.0.1/32", "scram-sha-256"]], "TLS and SCRAM only, no trust"
    assert stat.S_IMODE((cluster.data / "server.key").stat().st_mode) == 0o600
    lake_dir = Path(exports[LAKE_DATA_PATH_ENV])
    assert stat.S_IMODE(lake_dir.stat().st_mode) & 0o022 == 0, "the lake's folder: written by its owner only"


def test_a_connection_without_a_password_or_without_tls_is_refused(up, cfg, tmp_path):
    port = up["cluster"].port
    for role in ("postgres", WRITER, READER):
        with pytest.raises(psycopg2.OperationalError, match="no password supplied"):
            psycopg2.connect(
                f"postgresql://{role}@127.0.0.1:{port}/pledge?sslmode=require&passfile=/dev/null", connect_timeout=10
            )
        with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
            psycopg2.connect(
                f"postgresql://{role}@127.0.0.1:{port}/pledge?sslmode=require"
                f"&passfile={wrong_passfile(tmp_path, role)}",
                connect_timeout=10,
            )
    # the right password, without TLS: no pg_hba.conf line admits it
    with pytest.raises(psycopg2.OperationalError, match="no pg_hba.conf entry"):
        psycopg2.connect(cfg.reader_dsn.replace("sslmode=require", "sslmode=disable"), connect_timeout=10)
    # sslmode=require: the session is encrypted, as the role the DSN names
    for dsn, role in ((cfg.postgres_dsn, WRITER), (cfg.reader_dsn, READER)):
        with psycopg2.connect(dsn, connect_timeout=10) as conn, conn.cursor() as cur:
            cur.execute("select current_user, ssl, version from pg_stat_ssl where pid = pg_backend_pid()")
            user, ssl, version = cur.fetchone()
        conn.close()
        assert (user, ssl) == (role, True) and version.startswith("TLS"), (user, ssl, version)


# -- the run, as the writer ------------------------------------------------------------------------------------
def test_a_run_publishes_as_the_writer(machine, cfg, state):
    done = ok(machine.run())
    state["outputs"].append(done.stdout + done.stderr)
    with psycopg2.connect(cfg.postgres_dsn) as conn, conn.cursor() as cur:
        cur.execute("select tableowner, count(*) from pg_tables where schemaname = 'public' group by 1")
        owners = dict(cur.fetchall())
        cur.execute("select count(*) from pg_tables where schemaname = 'public' and tablename = 'runs'")
        has_runs = cur.fetchone()[0]
    conn.close()
    assert set(owners) == {WRITER} and has_runs == 1, "the writer owns the lake's catalog and Dagster's storage"
    with lake.connect_reader(cfg) as con:
        state["snapshot"] = lake.current_snapshot(con, lake.READER_ALIAS).snapshot_id
        state["events"] = con.execute("select count(*) from marts.fct_events").fetchone()[0]
    assert state["events"] > 300


def test_the_reader_reads_every_table_and_snapshot_but_postgres_refuses_its_writes(cfg, state):
    with reader_lake(cfg, read_only=True) as con:
        assert con.execute("select count(*) from pledge.marts.fct_events").fetchone()[0] == state["events"]
        snaps = lake.snapshots(con, "pledge")
        assert snaps and snaps[-1].snapshot_id == state["snapshot"]
        for snap in snaps:
            con.execute(f"select count(*) from pledge.marts.fct_events AT (VERSION => {snap.snapshot_id})").fetchone()
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'pledge'"
        ).fetchall()
        assert len(tables) > 20
        for schema, table in tables:
            con.execute(f'select count(*) from pledge."{schema}"."{table}"').fetchone()
    # Without DuckDB's read-only flag: every change reaches Postgres, which refuses it.
    with reader_lake(cfg, read_only=False) as con:
        for sql in (
            "CREATE TABLE pledge.marts.intruder AS SELECT 1 AS x",
            "INSERT INTO pledge.marts.dim_period SELECT * FROM pledge.marts.dim_period LIMIT 1",
            "DELETE FROM pledge.marts.fct_events",
            "CALL ducklake_expire_snapshots('pledge', older_than => now())",
            "DROP TABLE pledge.marts.fct_events",
        ):
            with pytest.raises(duckdb.Error) as refused:
                con.execute(sql)
            assert "permission denied" in str(refused.value), (sql, str(refused.value)[-300:])
    # ... and directly in Postgres too
    with psycopg2.connect(cfg.reader_dsn) as conn, conn.cursor() as cur:
        for sql in (
            "create table public.intruder (x int)",
            "delete from public.ducklake_snapshot",
            "update public.ducklake_snapshot set snapshot_time = now()",
        ):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute(sql)
            conn.rollback()
    conn.close()
    with lake.connect_reader(cfg) as con:  # nothing changed
        assert lake.current_snapshot(con, lake.READER_ALIAS).snapshot_id == state["snapshot"]
        assert con.execute("select count(*) from marts.fct_events").fetchone()[0] == state["events"]


def test_make_sql_answers_through_the_reader(machine, cfg, state, tmp_path):
    from pipeline import sql_shell

    if not os.access(sql_shell.cli_path(), os.X_OK):
        pytest.fail(f"the DuckDB CLI is missing at {sql_shell.cli_path()}: `make test` installs it")
    # The writer's DSN is broken here: an answer can only have come through the reader's.
    env = {
        **machine.env(),
        POSTGRES_DSN_ENV: with_password_of(cfg.postgres_dsn, wrong_passfile(tmp_path, WRITER)),
        "PLEDGE_SQL_QUERY": "select count(*) as n from fct_events",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.sql_shell"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert str(state["events"]) in done.stdout
    state["outputs"].append(done.stdout + done.stderr)


# -- a wrong credential -----------------------------------------------------------------------------------------
def test_a_wrong_credential_gets_one_line_naming_the_role_and_host_and_changes_nothing(
    machine, cfg, state, tmp_path, up
):
    port = up["cluster"].port
    add_reports(machine, 3)  # a period to load: a run that got in would publish
    bad_writer = with_password_of(cfg.postgres_dsn, wrong_passfile(tmp_path, WRITER))
    bad_reader = with_password_of(cfg.reader_dsn, wrong_passfile(tmp_path, READER))
    env = {**machine.env(), POSTGRES_DSN_ENV: bad_writer}
    env.pop("PLEDGE_DAGSTER_POSTGRES_URL", None)
    runs = {
        "run": [sys.executable, "-m", "pipeline.run"],
        "sql": [sys.executable, "-m", "pipeline.sql_shell", "select 1"],
        "history": [sys.executable, "-m", "pipeline.shared", "history"],
    }
    for name, argv in runs.items():
        role = WRITER if name == "run" else READER
        run_env = env if name == "run" else {**machine.env(), READER_DSN_ENV: bad_reader}
        done = subprocess.run(
            argv,
            cwd=REPO,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        state["outputs"].append(done.stdout + done.stderr)
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, (name, done.stderr)
        said = [line for line in done.stderr.splitlines() if "cannot connect to Postgres" in line]
        assert len(said) == 1, (name, done.stderr)
        assert f"role {role} at 127.0.0.1:{port}" in said[0] and "wrong password" in said[0], said[0]
    with lake.connect_reader(cfg) as con:  # nothing changed
        assert lake.current_snapshot(con, lake.READER_ALIAS).snapshot_id == state["snapshot"]


# -- no secret anywhere ------------------------------------------------------------------------------------------
def test_no_password_in_any_log_event_tag_or_output(machine, cfg, state, up):
    passwords = up["passwords"]
    places = [machine.warehouse.parent / "logs", machine.dagster_home, machine.warehouse.parent]
    for folder in places:
        for path in (p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            for role, password in passwords.items():
                assert password.encode() not in data, f"{role}'s password in {path}"
    for text in state["outputs"] + [up["cluster"].log.read_text()]:
        for role, password in passwords.items():
            assert password not in text, f"{role}'s password in a command's output or the server's log"
    # Dagster's storage: every event, every run's tags and config
    with psycopg2.connect(cfg.postgres_dsn) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from event_logs")
        assert cur.fetchone()[0] > 10
        for table in ("event_logs", "runs", "run_tags"):
            for password in passwords.values():
                cur.execute(f"select count(*) from {table} t where t::text like %s", (f"%{password}%",))
                assert cur.fetchone()[0] == 0, f"a password in Dagster's {table}"
    conn.close()


def test_the_lake_files_are_written_by_the_pipelines_user_only(cfg):
    root = Path(cfg.lake_data_path)
    paths = [root, *root.rglob("*")]
    assert any(p.suffix == ".parquet" for p in paths)
    for path in paths:
        st = path.stat()
        assert st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o022 == 0, (path, oct(st.st_mode))


# -- a managed Postgres, set up by the shipped script -----------------------------------------------------------
def test_shared_roles_sets_up_another_database_the_same_way(up, tmp_path):
    cluster = up["cluster"]
    conn = cluster.admin_connect()
    with conn.cursor() as cur:
        cur.execute("create database managed")
    conn.close()
    secrets = tmp_path / "secrets"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.shared",
            "--lake",
            str(tmp_path / "lake"),
            "roles",
            "--admin-dsn",
            cluster.dsn("managed", "postgres"),
            "--secrets",
            str(secrets),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    exports = parse_exports(done.stdout)
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    for role in (WRITER, READER):
        assert stat.S_IMODE((secrets / f"{role}.pgpass").stat().st_mode) == 0o600
        assert read_passfile(secrets / f"{role}.pgpass") not in done.stdout + done.stderr
    writer = SharedConfig(exports[POSTGRES_DSN_ENV], str(tmp_path / "lake") + "/", exports[READER_DSN_ENV])
    con = lake.connect(writer, read_only=False)  # the writer creates the lake there
    con.execute(f"CREATE TABLE {lake.LAKE}.t AS SELECT 42 AS x")
    con.close()
    with reader_lake(writer, read_only=True) as con:
        assert con.execute("select x from pledge.t").fetchall() == [(42,)]
    with reader_lake(writer, read_only=False) as con, pytest.raises(duckdb.Error, match="permission denied"):
        con.execute("INSERT INTO pledge.t VALUES (1)")
