"""A local Postgres cluster for the shared deployment on one machine (`make shared-up`) and for the
tests: the Debian server binaries (package `postgresql`, found with `pg_config --bindir`), a data
folder inside the project (git-ignored `.shared/pg`), run as the `postgres` user when started by root
(Postgres refuses to run as root), listening on 127.0.0.1 only, on its own port, no Unix socket.

It lets no one in without a password, and nothing in clear:
- pg_hba.conf has one line, `hostssl ... scram-sha-256`: TLS and a SCRAM password, or no connection.
- TLS with a self-signed certificate made at first start (openssl), or the operator's own
  (PLEDGE_PG_SSL_CERT and PLEDGE_PG_SSL_KEY, copied in at first start).
- Three roles: the `postgres` superuser (administration only), `pledge_writer` (the pipeline: owns the
  DuckLake catalog and Dagster's storage) and `pledge_reader` (analysts: SELECT only), set up by
  roles.sql, the script a managed Postgres is set up with too.
- Their passwords are generated at first start and kept in `secrets/<role>.pgpass` beside the data
  folder, one libpq passfile per role, readable by its owner only. The server gets each password as a
  SCRAM verifier (hashed here), so no password is ever in a statement, a log or a DSN: a DSN names its
  role's passfile (`?passfile=...`), and handing an analyst the reader's file gives them no more.

A cluster made by an earlier version of this module (with `trust`) is converted at its next start.
"""

from __future__ import annotations

import os
import secrets as token
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DEFAULT_PORT = 55432
DATABASE = "pledge"
SERVICE_USER = "postgres"  # the OS user the server runs as, and its superuser role
ADMIN, WRITER, READER = SERVICE_USER, "pledge_writer", "pledge_reader"
ROLES_SQL = Path(__file__).with_name("roles.sql")
HBA = (
    "# written by pipeline/shared/cluster.py: TLS and a SCRAM password, from loopback only; nothing else\n"
    "# (to open it beyond loopback see docs/shared-deployment.md)\n"
    "hostssl  all  all  127.0.0.1/32  scram-sha-256\n"
)
CONF_MARK = "# written by pipeline/shared/cluster.py"
CONF = (
    f"\n{CONF_MARK}: loopback only, no Unix socket, TLS, SCRAM passwords\n"
    "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
    "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\nssl_min_protocol_version = 'TLSv1.2'\n"
    "password_encryption = 'scram-sha-256'\n"
)
CERT_ENV, KEY_ENV = "PLEDGE_PG_SSL_CERT", "PLEDGE_PG_SSL_KEY"


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
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise ClusterError(
        "the Postgres server binaries (initdb, pg_ctl) are not installed: install the Debian "
        "package `postgresql` (apt-get install postgresql), or set PLEDGE_PG_BINDIR"
    )


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


def write_private(path: Path, text: str) -> None:
    """Write `path` readable and writable by its owner only, from its first byte (never briefly wider)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def passfile_line(role: str, password: str) -> str:
    """One libpq passfile line for `role` on any host, port and database: the DSN names the server."""
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    return f"*:*:*:{role}:{escaped}\n"


def read_passfile(path: Path) -> str:
    """The password of a one-line passfile written by `passfile_line`."""
    line = path.read_text().strip()
    return line.split(":", 4)[4].replace("\\:", ":").replace("\\\\", "\\")


def dsn_for(role: str, host: str, port: int, database: str, passfile: Path | None) -> str:
    """A libpq URI naming the role and, instead of its password, the passfile that holds it; TLS required."""
    query = "sslmode=require" + (f"&passfile={quote(str(passfile), safe='/')}" if passfile else "")
    return f"postgresql://{role}@{host}:{port}/{database}?{query}"


def set_password(conn, role: str, password: str) -> None:
    """The role's password, sent as its SCRAM verifier (hashed here): no statement, server log or
    pg_stat_activity line ever holds the password itself."""
    import psycopg2.extensions

    verifier = psycopg2.extensions.encrypt_password(password, role, conn, "scram-sha-256")
    with conn.cursor() as cur:
        cur.execute(f'ALTER ROLE "{role}" PASSWORD %s', (verifier,))


def apply_roles(conn) -> None:
    """roles.sql, in the database `conn` is connected to."""
    with conn.cursor() as cur:
        cur.execute(ROLES_SQL.read_text())


@dataclass
class Cluster:
    root: Path  # holds data/, postgres.log and secrets/
    port: int = DEFAULT_PORT

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    @property
    def secrets(self) -> Path:
        """The roles' passfiles: owned by whoever runs `make shared-up`, not by the server's user."""
        return self.root / "secrets"

    @property
    def certificate(self) -> Path:
        """A copy of the server's certificate, for clients that verify it (sslmode=verify-full)."""
        return self.root / "server.crt"

    def passfile(self, role: str) -> Path:
        return self.secrets / f"{role}.pgpass"

    def dsn(self, database: str = DATABASE, role: str = WRITER) -> str:
        return dsn_for(role, "127.0.0.1", self.port, database, self.passfile(role))

    def reader_dsn(self, database: str = DATABASE) -> str:
        return self.dsn(database, READER)

    # -- running the binaries as the service user ------------------------------------------------------
    def _as_service_user(self, argv: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return argv  # a normal user runs their own cluster
        return ["runuser", "-u", SERVICE_USER, "--", *argv]

    def _run(self, argv: list[str], **kw) -> subprocess.CompletedProcess:
        done = subprocess.run(self._as_service_user(argv), capture_output=True, text=True, cwd="/", check=False, **kw)
        if done.returncode != 0:
            raise ClusterError(
                f"{Path(argv[0]).name} failed ({done.returncode}): {(done.stderr or done.stdout).strip()}"
            )
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
        reach = subprocess.run(
            self._as_service_user(["test", "-w", str(self.root)]), capture_output=True, cwd="/", check=False
        )
        if reach.returncode != 0:
            raise ClusterError(
                f"the {SERVICE_USER} user cannot reach {self.root} (a parent folder is private): put "
                "the cluster in a folder it can traverse"
            )
        self._new_passwords()
        # initdb reads the superuser's password from a file the service user can read; it is gone right after.
        pwfile = self.root / ".initdb-pw"
        write_private(pwfile, self._password(ADMIN) + "\n")
        self._own(pwfile)
        try:
            self._run(
                [
                    str(bins / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    SERVICE_USER,
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        finally:
            pwfile.unlink(missing_ok=True)
        self._secure_config()

    def _new_passwords(self) -> None:
        """A passfile per role that has none yet (never replaced: the server holds their verifiers)."""
        self.secrets.mkdir(parents=True, exist_ok=True)
        self.secrets.chmod(0o700)
        for role in (ADMIN, WRITER, READER):
            if not self.passfile(role).is_file():
                write_private(self.passfile(role), passfile_line(role, token.token_urlsafe(24)))

    def _password(self, role: str) -> str:
        return read_passfile(self.passfile(role))

    def _secure_config(self) -> None:
        """TLS files, postgresql.conf's settings and the one-line pg_hba.conf (the server reads them at start)."""
        self._tls_files()
        conf = self.data / "postgresql.conf"
        if CONF_MARK not in conf.read_text():
            with conf.open("a") as f:
                f.write(CONF)
        else:  # an earlier version's block: loopback only, no socket, but no TLS
            text = conf.read_text()
            if "ssl = on" not in text:
                text = text[: text.index(CONF_MARK) - 1] + CONF
                conf.write_text(text)
        (self.data / "pg_hba.conf").write_text(HBA)

    def _tls_files(self) -> None:
        crt, key = self.data / "server.crt", self.data / "server.key"
        if crt.is_file() and key.is_file():
            return
        given_crt, given_key = os.environ.get(CERT_ENV), os.environ.get(KEY_ENV)
        if bool(given_crt) != bool(given_key):
            raise ClusterError(
                f"set both {CERT_ENV} and {KEY_ENV} (the server's certificate and its key), or neither "
                "for a self-signed one"
            )
        if given_crt and given_key:
            shutil.copyfile(given_crt, crt)
            write_private(key, Path(given_key).read_text())
        else:
            openssl = shutil.which("openssl")
            if openssl is None:
                raise ClusterError(
                    f"openssl is not installed: it makes the server's TLS certificate (or set {CERT_ENV} and {KEY_ENV})"
                )
            done = subprocess.run(
                [
                    openssl,
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "3650",
                    "-sha256",
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout",
                    str(key),
                    "-out",
                    str(crt),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise ClusterError(f"openssl could not make the server's certificate: {done.stderr.strip()}")
        key.chmod(0o600)  # Postgres refuses a key others can read
        for path in (crt, key):
            self._own(path)
        shutil.copyfile(crt, self.certificate)
        self.certificate.chmod(0o644)

    def _trusting(self) -> bool:
        """A cluster made before passwords: its pg_hba.conf trusts loopback."""
        try:
            hba = (self.data / "pg_hba.conf").read_text()
        except OSError:
            return False
        return any(line.split()[-1:] == ["trust"] for line in hba.splitlines() if not line.startswith("#"))

    def _convert_trusting(self) -> None:
        """Give an earlier version's `trust` cluster its passwords, TLS and roles, keeping its data."""
        import psycopg2

        self._new_passwords()
        if not self.running():
            self._pg_ctl_start()
        conn = psycopg2.connect(
            f"postgresql://{ADMIN}@127.0.0.1:{self.running_port() or self.port}/postgres", connect_timeout=10
        )
        try:
            conn.autocommit = True
            set_password(conn, ADMIN, self._password(ADMIN))
        finally:
            conn.close()
        self.stop()
        self._secure_config()

    def running(self) -> bool:
        if not self.initialized():
            return False
        done = subprocess.run(
            self._as_service_user([str(bindir() / "pg_ctl"), "status", "-D", str(self.data)]),
            capture_output=True,
            text=True,
            cwd="/",
            check=False,
        )
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
        elif self._trusting():
            self._convert_trusting()
        if self.running():  # already up (from an earlier shared-up): keep its port
            self.port = self.running_port() or self.port
            self.create_database()
            return
        self._pg_ctl_start()
        self.create_database()

    def _pg_ctl_start(self) -> None:
        if not port_is_free(self.port):
            raise ClusterError(f"port {self.port} on 127.0.0.1 is in use: choose another (make shared-up PG_PORT=...)")
        self.log.touch()
        self._own(self.log)
        self._run(
            [
                str(bindir() / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                f"-p {self.port}",
            ]
        )

    def admin_connect(self, database: str = "postgres"):
        """The superuser on `database`, autocommit; waits for a server that is still starting."""
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg2.connect(self.dsn(database, ADMIN), connect_timeout=5)
                break
            except psycopg2.OperationalError as exc:
                if time.monotonic() > deadline or "starting up" not in str(exc) and "refused" not in str(exc):
                    from pipeline.shared.pg import explain

                    raise ClusterError(explain(self.dsn(database, ADMIN), str(exc))) from None
                time.sleep(0.2)
        conn.autocommit = True
        return conn

    def create_database(self, database: str = DATABASE) -> None:
        """The database (owned by the writer) with the roles and grants of roles.sql, and the roles'
        passwords from their passfiles; idempotent."""
        conn = self.admin_connect()
        try:
            with conn.cursor() as cur:
                # the maintenance database is the administrator's alone
                cur.execute("revoke connect on database postgres from public")
                for role in (WRITER, READER):
                    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
                    if cur.fetchone() is None:
                        cur.execute(f'create role "{role}" login')
            for role in (WRITER, READER):
                set_password(conn, role, self._password(role))
            with conn.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = %s", (database,))
                if cur.fetchone() is None:
                    cur.execute(f'create database "{database}" owner {WRITER}')
                else:
                    cur.execute(f'alter database "{database}" owner to {WRITER}')
        finally:
            conn.close()
        conn = self.admin_connect(database)
        try:
            apply_roles(conn)
        finally:
            conn.close()

    def stop(self) -> bool:
        """Stop the server if it runs; True if it was running."""
        if not self.running():
            return False
        self._run([str(bindir() / "pg_ctl"), "stop", "-w", "-t", "60", "-m", "fast", "-D", str(self.data)])
        return True
