"""The dbt docs site: `make docs` generates it, `make docs-serve` serves it on localhost.

    python -m pipeline.report.dbt_docs generate [--warehouse PATH] [--target-path DIR] [--build-if-missing]
    python -m pipeline.report.dbt_docs serve [--port 8080] [--host 127.0.0.1] [--target-path DIR]

`dbt docs generate` reads column types from a database (the catalog), so it needs
a warehouse with the tables. It is pointed (PLEDGE_DBT_DATABASE) at a throwaway
*copy* of the published warehouse: the published file is never opened for
writing, and a run can publish meanwhile. The copy keeps the file name because
DuckDB names the catalog after the file stem (`pledge_activity`), which is what
the docs then show as the database.

The site is written to `dbt_project/target/` (index.html + manifest.json +
catalog.json, and static_index.html, a single file that also opens from disk).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from pipeline import settings

DEFAULT_TARGET = settings.DBT_PROJECT_DIR / "target"
SITE_FILES = ("index.html", "manifest.json", "catalog.json")


class DocsError(RuntimeError):
    pass


def generate(warehouse: Path | None = None, target_path: Path = DEFAULT_TARGET, *, quiet: bool = True) -> Path:
    """Run `dbt docs generate` against a copy of the warehouse; returns the site folder."""
    warehouse = Path(warehouse or settings.warehouse_path())
    if not warehouse.exists():
        raise DocsError(f"no warehouse at {warehouse}: build it first (`make run`)")
    target_path = Path(target_path).resolve()
    with tempfile.TemporaryDirectory(prefix="dbt-docs-") as tmp:
        copy = Path(tmp) / warehouse.name
        shutil.copyfile(warehouse, copy)
        env = {
            **os.environ,
            "PLEDGE_DBT_DATABASE": str(copy),
            "DBT_PROFILES_DIR": str(settings.DBT_PROJECT_DIR),
            "DO_NOT_TRACK": "1",
        }
        cmd = [
            settings.dbt_executable(),
            "docs",
            "generate",
            "--static",
            "--no-partial-parse",
            "--target-path",
            str(target_path),
        ]
        if quiet:
            cmd.append("--quiet")
        done = subprocess.run(cmd, cwd=settings.DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise DocsError(f"dbt docs generate failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    missing = [name for name in SITE_FILES if not (target_path / name).exists()]
    if missing:
        raise DocsError(f"dbt docs generate left no {', '.join(missing)} in {target_path}")
    return target_path


def make_server(
    target_path: Path = DEFAULT_TARGET, host: str = "127.0.0.1", port: int = 8080
) -> http.server.ThreadingHTTPServer:
    """A static file server for the generated site (port 0 picks a free port)."""
    target_path = Path(target_path)
    if not (target_path / "index.html").exists():
        raise DocsError(f"no docs site in {target_path}: run `make docs` first")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - one line per request is noise here
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            # a browser that leaves a page mid-load resets its connection: ordinary, not worth a traceback
            if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
                super().handle_error(request, client_address)

    return Server((host, port), functools.partial(Handler, directory=str(target_path)))


def serve(server: http.server.ThreadingHTTPServer) -> None:
    """Serve until SIGINT or SIGTERM, then close the socket. Both signals are handled here, also when
    SIGINT came in ignored (a job started with `&`): `make docs-serve` runs this under pipeline/serve.py,
    which stops it with the signal it received."""

    def stop(signum, _frame):
        raise KeyboardInterrupt

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate or serve the dbt docs site.")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="dbt docs generate against a copy of the published warehouse")
    gen.add_argument("--warehouse", type=Path, default=None, help="default: the published warehouse")
    gen.add_argument("--target-path", type=Path, default=DEFAULT_TARGET)
    gen.add_argument(
        "--build-if-missing",
        action="store_true",
        help="run the pipeline (`make run`) first when no warehouse is published yet",
    )
    srv = sub.add_parser("serve", help="serve the generated site on localhost")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8080)
    srv.add_argument("--target-path", type=Path, default=DEFAULT_TARGET)
    args = parser.parse_args(argv)
    try:
        if args.command == "generate":
            warehouse = args.warehouse or settings.warehouse_path()
            if not warehouse.exists() and args.build_if_missing:
                print(f"no warehouse at {warehouse} yet: building it (make run) first")
                subprocess.run([sys.executable, "-m", "pipeline.run"], check=False)
            site = generate(warehouse, args.target_path)
            print(f"docs site written to {site} (make docs-serve, or open {site / 'static_index.html'})")
        else:
            server = make_server(args.target_path, args.host, args.port)
            host, port = server.server_address[:2]
            print(f"serving the dbt docs on http://{host}:{port}/ (Ctrl-C stops)", flush=True)
            serve(server)
    except DocsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
