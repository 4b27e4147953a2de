"""`python -m pipeline.shared COMMAND`: the shared deployment's commands.

up [--port N]       start the local Postgres cluster in .shared/pg (make shared-up); prints the three
                    `export` lines on stdout (so `eval "$(make -s shared-up)"` works), the rest on stderr:
                    the pipeline's DSN (role pledge_writer), the analysts' (pledge_reader), the data path
down                stop it (make shared-down); the data stays in .shared/
env                 print the three `export` lines of the running local cluster
roles --admin-dsn D set up the roles and grants of roles.sql in the database D names (a managed Postgres:
                    make shared-roles), give the roles passwords, keep them in owner-only passfiles
                    (--secrets, default .shared/secrets) and print the export lines
status              the configured lake: current snapshot, who holds the build lock
history             every publish and rollback: snapshot, time, run id, periods changed
rollback [--to N]   make the previous publish's tables (or snapshot N's) current, as a new snapshot
                    (make shared-rollback); refused while a run is building
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from pathlib import Path

from pipeline import settings

SHARED_DIR = settings.PROJECT_ROOT / ".shared"


def _cluster(args):
    from pipeline.shared.cluster import DEFAULT_PORT, Cluster

    return Cluster(Path(args.root).resolve(), int(args.port or DEFAULT_PORT))


def _exports(dsn: str, reader_dsn: str, lake_dir: Path | str) -> str:
    """The shell lines that select the shared deployment. The DSNs name passfiles, never passwords; they
    are quoted for the shell (a URI's `&` would end the command)."""
    import shlex

    from pipeline.shared.config import LAKE_DATA_PATH_ENV, POSTGRES_DSN_ENV, READER_DSN_ENV

    return (
        f"export {POSTGRES_DSN_ENV}={shlex.quote(dsn)}\nexport {READER_DSN_ENV}={shlex.quote(reader_dsn)}\n"
        f"export {LAKE_DATA_PATH_ENV}={shlex.quote(str(lake_dir))}"
    )


def _lake_dir(path: str) -> Path:
    """The local lake's data folder: the pipeline's user writes it, others may only read."""
    from pipeline.shared.lake import _private_dir

    lake_dir = Path(path).resolve()
    _private_dir(lake_dir)
    return lake_dir


def cmd_up(args) -> int:
    from pipeline.shared.cluster import ClusterError

    cluster = _cluster(args)
    try:
        cluster.start()
    except ClusterError as exc:
        print(f"shared-up: {exc}", file=sys.stderr)
        return 1
    lake_dir = _lake_dir(args.lake)
    print(
        f"Postgres {cluster.data} listening on 127.0.0.1:{cluster.port}, TLS and passwords only (log: "
        f"{cluster.log}); the roles' passwords are in {cluster.secrets} (owner only); lake data under "
        f"{lake_dir}. For the shared deployment, in your shell:",
        file=sys.stderr,
    )
    print(_exports(cluster.dsn(), cluster.reader_dsn(), lake_dir))
    return 0


def cmd_down(args) -> int:
    cluster = _cluster(args)
    if not cluster.initialized():
        print(f"shared-down: no cluster in {cluster.data}", file=sys.stderr)
        return 0
    was = cluster.stop()
    print(
        f"Postgres in {cluster.data} {'stopped' if was else 'was not running'}; its data and the lake's files "
        "stay in .shared/ (delete the folder to start over). Unset PLEDGE_POSTGRES_DSN, PLEDGE_READER_DSN and "
        "PLEDGE_LAKE_DATA_PATH for the embedded warehouse.",
        file=sys.stderr,
    )
    return 0


def cmd_env(args) -> int:
    cluster = _cluster(args)
    if not cluster.running():
        print("the local cluster is not running: make shared-up", file=sys.stderr)
        return 1
    cluster.port = cluster.running_port() or cluster.port
    print(_exports(cluster.dsn(), cluster.reader_dsn(), Path(args.lake).resolve()))
    return 0


def cmd_roles(args) -> int:
    """roles.sql on a Postgres the project did not start (a managed one), as its administrator."""
    from pipeline.shared import cluster, pg

    if not args.admin_dsn:
        print(
            "shared-roles: name the database and its administrator: ADMIN_DSN=postgresql://admin@host:5432/"
            "pledge?sslmode=require (the password in a passfile, PGPASSFILE or ~/.pgpass)",
            file=sys.stderr,
        )
        return 2
    secrets = Path(args.secrets).resolve()
    secrets.mkdir(parents=True, exist_ok=True)
    secrets.chmod(0o700)
    try:
        conn = pg.connect(args.admin_dsn)
    except pg.AccessError as exc:
        print(f"shared-roles: {exc}", file=sys.stderr)
        return 2
    where = pg.parts(args.admin_dsn)
    dsns = {}
    try:
        conn.autocommit = True
        cluster.apply_roles(conn)
        for role in (cluster.WRITER, cluster.READER):
            passfile = secrets / f"{role}.pgpass"
            if not passfile.is_file():  # a role keeps its password: runs and analysts are using it
                import secrets as token

                cluster.write_private(passfile, cluster.passfile_line(role, token.token_urlsafe(24)))
            cluster.set_password(conn, role, cluster.read_passfile(passfile))
            dsns[role] = cluster.dsn_for(
                role,
                where.get("host") or "localhost",
                int(where.get("port") or 5432),
                where.get("dbname") or cluster.DATABASE,
                passfile,
            )
    finally:
        conn.close()
    print(
        f"roles {cluster.WRITER} and {cluster.READER} set up in {pg.who(args.admin_dsn)}; their passwords are in "
        f"{secrets} (owner only). For the shared deployment, in your shell:",
        file=sys.stderr,
    )
    print(_exports(dsns[cluster.WRITER], dsns[cluster.READER], args.lake))
    return 0


def _config():
    from pipeline.shared.config import shared_config

    cfg = shared_config()
    if cfg is None:
        print(
            "the shared deployment is not configured: export PLEDGE_POSTGRES_DSN and PLEDGE_LAKE_DATA_PATH "
            "(make shared-up prints them)",
            file=sys.stderr,
        )
    return cfg


def cmd_status(args) -> int:
    from pipeline.shared import lake, lock

    cfg = _config()
    if cfg is None:
        return 1
    print(f"lake: {lake.redact(cfg.lake_uri)}\ndata: {cfg.lake_data_path}")
    try:
        with lake.connect_reader(cfg) as con:
            snap = lake.current_snapshot(con, lake.READER_ALIAS)
            print(f"current snapshot {snap.snapshot_id} ({snap.snapshot_time:%Y-%m-%d %H:%M:%S%z}): {snap.message}")
    except lake.LakeMissingError as exc:
        print(f"nothing published yet ({exc})")
    print(f"build lock: held by {lock.holder(cfg.postgres_dsn, lock.lock_key()) or 'nobody'}")
    return 0


def cmd_history(args) -> int:
    from pipeline.shared import lake

    cfg = _config()
    if cfg is None:
        return 1
    try:
        con = lake.connect(cfg, read_only=True, as_reader=True)
    except lake.LakeMissingError:
        print("nothing published yet")
        return 0
    with con:
        current = lake.current_snapshot(con).snapshot_id
        for snap in lake.snapshots(con):
            periods = (
                ", ".join(
                    # a period is its municipality's (snapshots before municipalities name the date only)
                    f"{'/'.join(filter(None, (p.get('municipality'), p['report_date'])))} ({p['reason']})"
                    if isinstance(p, dict)
                    else str(p)
                    for p in snap.info.get("periods_changed", [])
                )
                or "none"
            )
            mark = "*" if snap.snapshot_id == current else " "
            print(
                f"{mark} snapshot {snap.snapshot_id:>4}  {snap.snapshot_time:%Y-%m-%d %H:%M:%S%z}  {snap.message}  "
                f"run {snap.info.get('run_id')}  periods changed: {periods}"
            )
    return 0


def cmd_rollback(args) -> int:
    from pipeline.publish.warehouse import BuildLockedError
    from pipeline.shared import lake
    from pipeline.shared.warehouse import SharedWarehouse

    cfg = _config()
    if cfg is None:
        return 1
    warehouse = SharedWarehouse(settings.warehouse_path(), cfg)
    try:
        held = warehouse.acquire_lock("rollback")
    except BuildLockedError as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 2
    try:
        replaced, restored, new = lake.restore_snapshot(cfg, args.to, by=f"{socket.gethostname()}")
    except lake.LakeError as exc:
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 2
    finally:
        held.release()
    print(
        f"rolled back: snapshot {new.snapshot_id} holds the tables of snapshot {restored.snapshot_id} "
        f"({restored.message}); it replaces snapshot {replaced.snapshot_id} ({replaced.message}). "
        f"Periods changed: {', '.join(new.info.get('periods_changed', [])) or 'none'}."
    )
    print(json.dumps({"replaced": replaced.snapshot_id, "restored": restored.snapshot_id, "new": new.snapshot_id}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.shared",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--root", default=str(SHARED_DIR / "pg"), help="folder of the local Postgres cluster")
    parser.add_argument("--lake", default=str(SHARED_DIR / "lake"), help="the lake's data folder (up, env)")
    parser.add_argument("--port", type=int, default=None, help="port of the local cluster (default 55432)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "down", "env", "status", "history"):
        sub.add_parser(name)
    roles = sub.add_parser("roles")
    roles.add_argument("--admin-dsn", default=None, help="the database, as its administrator (a libpq URI)")
    roles.add_argument("--secrets", default=str(SHARED_DIR / "secrets"), help="folder of the roles' passfiles")
    rb = sub.add_parser("rollback")
    rb.add_argument(
        "--to",
        type=int,
        default=None,
        metavar="SNAPSHOT",
        help="the snapshot whose tables to restore (default: the publish before the current state)",
    )
    args = parser.parse_args(argv)
    from pipeline.shared import lake, pg

    try:
        return {
            "up": cmd_up,
            "down": cmd_down,
            "env": cmd_env,
            "status": cmd_status,
            "history": cmd_history,
            "rollback": cmd_rollback,
            "roles": cmd_roles,
        }[args.command](args)
    except (pg.AccessError, lake.LakeError) as exc:  # a refused credential: one line, no traceback
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
