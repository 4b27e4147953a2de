"""A local Postgres cluster for trying the shared deployment on one machine (`make shared-up`) and for
the tests: the Debian server binaries (package `postgresql`, found with `pg_config --bindir`), a data
folder inside the project (git-ignored `.shared/pg`), run as the `postgres` user when started by root
(Postgres refuses to run as root), listening on 127.0.0.1 only, on its own port, no Unix socket.

Authentication is `trust` on loopback: anyone who can open a socket on this machine can connect, which
is what a throw-away cluster for one machine needs and nothing more. A real deployment points
PLEDGE_POSTGRES_DSN at a managed Postgres with a password or certificates instead (README).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 55432
DATABASE = "pledge"
SERVICE_USER = "postgres"


class ClusterError(RuntimeError):
    pass


def bindir() -> Path:
    """Folder of the Postgres server binaries: PLEDGE_PG_BINDIR, else `pg_config --bindir`, else the
    newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    if os.environ.get("PLEDGE_PG_BINDIR"):
        candidates.append(Path(os.environ["PLEDGE_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise ClusterError("the Postgres server binaries (initdb, pg_ctl) are not installed: install the Debian "
                       "package `postgresql` (apt-get install postgresql), or set PLEDGE_PG_BINDIR")


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    root: Path  # holds data/ and postgres.log
    port: int = DEFAULT_PORT

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def dsn(self, database: str = DATABASE) -> str:
        return f"postgresql://{SERVICE_USER}@127.0.0.1:{self.port}/{database}"

    # -- running the binaries as the service user ------------------------------------------------------
    def _as_service_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv  # a normal user runs their own cluster
        return ["runuser", "-u", SERVICE_USER, "--", *argv]

    def _run(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        done = subprocess.run(self._as_service_user(argv), capture_output=True, text=True, cwd="/", **kw)
        if done.returncode != 0:
            raise ClusterError(f"{Path(argv[0]).name} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}")
        return done

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, SERVICE_USER, SERVICE_USER)

    # -- life cycle ------------------------------------------------------------------------------------
    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").is_file()

    def init(self) -> None:
        bins = bindir()
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.root)
        reach = subprocess.run(self._as_service_user(["test", "-w", str(self.root)]), capture_output=True, cwd="/")
        if reach.returncode != 0:
            raise ClusterError(f"the {SERVICE_USER} user cannot reach {self.root} (a parent folder is private): put "
                               "the cluster in a folder it can traverse")
        self._run([str(bins / "initdb"), "-D", str(self.data), "-U", SERVICE_USER, "--auth=trust",
                   "-E", "UTF8", "--locale=C.UTF-8"])
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# written by pipeline/shared/cluster.py: loopback only, no Unix socket\n"
                       "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n")

    def running(self) -> bool:
        if not self.initialized():
            return False
        done = subprocess.run(self._as_service_user([str(bindir() / "pg_ctl"), "status", "-D", str(self.data)]),
                              capture_output=True, text=True, cwd="/")
        return done.returncode == 0

    def running_port(self) -> int | None:
        """The port of the running server, from its pid file (line 4)."""
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, IndexError, ValueError):
            return None

    def start(self) -> None:
        if not self.initialized():
            self.init()
        if self.running():  # already up (from an earlier shared-up): keep its port
            self.port = self.running_port() or self.port
            self.create_database()
            return
        if not port_is_free(self.port):
            raise ClusterError(f"port {self.port} on 127.0.0.1 is in use: choose another (make shared-up PG_PORT=...)")
        self.log.touch()
        self._own(self.log)
        self._run([str(bindir() / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log),
                   "-o", f"-p {self.port}"])
        self.create_database()

    def create_database(self, database: str = DATABASE) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg2.connect(self.dsn("postgres"), connect_timeout=5)
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = %s", (database,))
                if cur.fetchone() is None:
                    cur.execute(f'create database "{database}"')
        finally:
            conn.close()

    def stop(self) -> bool:
        """Stop the server if it runs; True if it was running."""
        if not self.running():
            return False
        self._run([str(bindir() / "pg_ctl"), "stop", "-w", "-t", "60", "-m", "fast", "-D", str(self.data)])
        return True
