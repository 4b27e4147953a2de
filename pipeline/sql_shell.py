"""`make sql`: the DuckDB command-line client on the published warehouse, read-only,
with `marts` on the search path. Interactive without a query; with one (argument, or
PLEDGE_SQL_QUERY as `make sql Q=...` sets it) it runs it, prints the result and exits.
SQL piped on stdin runs too: `make sql < queries/monthly_activity_timeline.sql`.

The client is the PyPI package duckdb-cli, the same version as the duckdb of .venv,
installed by the Makefile into .venv-cli/ (PLEDGE_DUCKDB_CLI overrides its path).

In the shared deployment (PLEDGE_READER_DSN, or PLEDGE_POSTGRES_DSN and PLEDGE_LAKE_DATA_PATH, set)
the client opens no file: it loads the ducklake and postgres_scanner extensions from their packages in
.venv (the same DuckDB version; nothing is downloaded), attaches the DuckLake read-only as catalog
`pledge`, and makes it the default, so the same queries run unchanged. It connects as the read-only
role when PLEDGE_READER_DSN is set, so Postgres itself refuses any write; a refused credential is
one line naming the role and the server, checked before the client starts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipeline import settings

CLI_ENV = "PLEDGE_DUCKDB_CLI"
SEARCH_PATH = "SET search_path='marts'"


def cli_path() -> Path:
    return Path(os.environ.get(CLI_ENV) or settings.PROJECT_ROOT / ".venv-cli" / "duckdb_cli" / "duckdb")


def command(
    warehouse: Path, query: str | None = None, *, cli: Path | None = None, options: tuple[str, ...] = ()
) -> list[str]:
    """The client's command line: read-only, marts first on the search path, then the query if any."""
    argv = [str(cli or cli_path()), "-readonly", *options, "-cmd", SEARCH_PATH]
    if query:
        argv += ["-c", query]  # as an option's value: a query starting with `--` is no option
    return argv + [str(warehouse)]


def shared_command(
    cfg, query: str | None = None, *, cli: Path | None = None, options: tuple[str, ...] = ()
) -> list[str]:
    """The client's command line on the shared warehouse: the lake attached read-only as `pledge`, through
    the reader's DSN when there is one."""
    from pipeline.search.index import macro_statements
    from pipeline.shared import extensions, lake

    setup = [
        *extensions.load_statements(cfg.lake_data_path),
        f"ATTACH '{cfg.reader_uri.replace(chr(39), chr(39) * 2)}' AS {lake.READER_ALIAS} (READ_ONLY)",
        f"USE {lake.READER_ALIAS}",
        f"SET search_path='{lake.READER_ALIAS}.marts'",
        # the lake keeps no macros: search_activities and search_tokens are made for this session
        *macro_statements(temporary=True),
    ]
    argv = [str(cli or cli_path()), *options, "-cmd", "; ".join(setup)]
    if query:
        argv += ["-c", query]
    return argv


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    query = " ".join(args) or os.environ.get("PLEDGE_SQL_QUERY") or None
    from pipeline.shared import pg
    from pipeline.shared.config import SharedConfigError, reader_config

    try:
        cfg = reader_config()
    except SharedConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    if cfg is not None:
        cli = cli_path()
        if not os.access(cli, os.X_OK):
            print(f"The DuckDB CLI is not installed at {cli}: `make sql` installs it.", file=sys.stderr)
            return 1
        try:
            pg.check(cfg.read_dsn)
        except pg.AccessError as exc:
            print(exc, file=sys.stderr)
            return 2
        argv_cli = shared_command(cfg, query, cli=cli)
        os.execv(argv_cli[0], argv_cli)
    warehouse = settings.warehouse_path()
    if not warehouse.is_file():
        print(f"No warehouse at {warehouse} yet: run `make run` first.", file=sys.stderr)
        return 1
    cli = cli_path()
    if not os.access(cli, os.X_OK):
        print(f"The DuckDB CLI is not installed at {cli}: `make sql` installs it.", file=sys.stderr)
        return 1
    argv_cli = command(warehouse, query, cli=cli)
    os.execv(argv_cli[0], argv_cli)  # the client gets the terminal itself (history, line editing)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
