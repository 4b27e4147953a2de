"""`python -m pipeline.shared COMMAND`: the shared deployment's commands.

  up [--port N]       start the local Postgres cluster in .shared/pg (make shared-up); prints the two
                      `export` lines on stdout (so `eval "$(make -s shared-up)"` works), the rest on stderr
  down                stop it (make shared-down); the data stays in .shared/
  env                 print the two `export` lines of the running local cluster
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


def _exports(dsn: str, lake_dir: Path) -> str:
    from pipeline.shared.config import LAKE_DATA_PATH_ENV, POSTGRES_DSN_ENV

    return f"export {POSTGRES_DSN_ENV}={dsn}\nexport {LAKE_DATA_PATH_ENV}={lake_dir}"


def cmd_up(args) -> int:
    from pipeline.shared.cluster import ClusterError

    cluster = _cluster(args)
    try:
        cluster.start()
    except ClusterError as exc:
        print(f"shared-up: {exc}", file=sys.stderr)
        return 1
    lake_dir = Path(args.lake).resolve()
    lake_dir.mkdir(parents=True, exist_ok=True)
    print(f"Postgres {cluster.data} listening on 127.0.0.1:{cluster.port} (log: {cluster.log}); "
          f"lake data under {lake_dir}. For the shared deployment, in your shell:", file=sys.stderr)
    print(_exports(cluster.dsn(), lake_dir))
    return 0


def cmd_down(args) -> int:
    cluster = _cluster(args)
    if not cluster.initialized():
        print(f"shared-down: no cluster in {cluster.data}", file=sys.stderr)
        return 0
    was = cluster.stop()
    print(f"Postgres in {cluster.data} {'stopped' if was else 'was not running'}; its data and the lake's files "
          "stay in .shared/ (delete the folder to start over). Unset PLEDGE_POSTGRES_DSN and "
          "PLEDGE_LAKE_DATA_PATH for the embedded warehouse.", file=sys.stderr)
    return 0


def cmd_env(args) -> int:
    cluster = _cluster(args)
    if not cluster.running():
        print("the local cluster is not running: make shared-up", file=sys.stderr)
        return 1
    cluster.port = cluster.running_port() or cluster.port
    print(_exports(cluster.dsn(), Path(args.lake).resolve()))
    return 0


def _config():
    from pipeline.shared.config import shared_config

    cfg = shared_config()
    if cfg is None:
        print("the shared deployment is not configured: export PLEDGE_POSTGRES_DSN and PLEDGE_LAKE_DATA_PATH "
              "(make shared-up prints them)", file=sys.stderr)
    return cfg


def cmd_status(args) -> int:  # noqa: ARG001
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


def cmd_history(args) -> int:  # noqa: ARG001
    from pipeline.shared import lake

    cfg = _config()
    if cfg is None:
        return 1
    try:
        con = lake.connect(cfg, read_only=True)
    except lake.LakeMissingError:
        print("nothing published yet")
        return 0
    with con:
        current = lake.current_snapshot(con).snapshot_id
        for snap in lake.snapshots(con):
            periods = ", ".join(f"{p['report_date']} ({p['reason']})" if isinstance(p, dict) else str(p)
                                for p in snap.info.get("periods_changed", [])) or "none"
            mark = "*" if snap.snapshot_id == current else " "
            print(f"{mark} snapshot {snap.snapshot_id:>4}  {snap.snapshot_time:%Y-%m-%d %H:%M:%S%z}  {snap.message}  "
                  f"run {snap.info.get('run_id')}  periods changed: {periods}")
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
    print(f"rolled back: snapshot {new.snapshot_id} holds the tables of snapshot {restored.snapshot_id} "
          f"({restored.message}); it replaces snapshot {replaced.snapshot_id} ({replaced.message}). "
          f"Periods changed: {', '.join(new.info.get('periods_changed', [])) or 'none'}.")
    print(json.dumps({"replaced": replaced.snapshot_id, "restored": restored.snapshot_id, "new": new.snapshot_id}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.shared", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--root", default=str(SHARED_DIR / "pg"), help="folder of the local Postgres cluster")
    parser.add_argument("--lake", default=str(SHARED_DIR / "lake"), help="the lake's data folder (up, env)")
    parser.add_argument("--port", type=int, default=None, help="port of the local cluster (default 55432)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "down", "env", "status", "history"):
        sub.add_parser(name)
    rb = sub.add_parser("rollback")
    rb.add_argument("--to", type=int, default=None, metavar="SNAPSHOT",
                    help="the snapshot whose tables to restore (default: the publish before the current state)")
    args = parser.parse_args(argv)
    return {"up": cmd_up, "down": cmd_down, "env": cmd_env, "status": cmd_status, "history": cmd_history,
            "rollback": cmd_rollback}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
