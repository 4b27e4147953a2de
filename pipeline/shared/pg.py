"""Connections to the shared deployment's Postgres, and what a refused one says.

Every connection names its role in the DSN and finds its password in a libpq passfile
(`?passfile=...`, or PGPASSFILE / ~/.pgpass), so no DSN this project prints or stores holds a
password. A refused connection (wrong password, unknown role, no TLS, nothing listening) becomes one
line naming the role and the server, never a driver's traceback: `AccessError`.
"""

from __future__ import annotations

import re

import psycopg2
import psycopg2.extensions

# libpq's words for why it was refused -> what to check (the first match wins)
_REASONS = (
    (r"password authentication failed", "wrong password (check the passfile the DSN names, or the role's password)"),
    (
        r"no password supplied|fe_sendauth",
        "no password found for it (the DSN's passfile, PGPASSFILE or ~/.pgpass has no line for this role)",
    ),
    (r"role \"[^\"]*\" does not exist", "no such role on the server (make shared-roles creates it)"),
    (r"no pg_hba\.conf entry.*no encryption", "the server accepts TLS connections only: add sslmode=require"),
    (r"no pg_hba\.conf entry", "the server's pg_hba.conf admits no such connection"),
    (r"server does not support SSL", "the server does not offer TLS, and the DSN requires it"),
    (r"permission denied for database|not permitted to log in", "this role may not connect to that database"),
    (r"database \"[^\"]*\" does not exist", "no such database on the server"),
    (
        r"Connection refused|could not connect|timeout expired|could not translate host name",
        "nothing answers there (is the server up? make shared-up)",
    ),
)


class AccessError(RuntimeError):
    """A connection to the deployment's Postgres was refused; the message is one line."""


def parts(dsn: str) -> dict[str, str]:
    try:
        return psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError:
        return {}


def who(dsn: str) -> str:
    """`role pledge_reader at 127.0.0.1:55432 (database pledge)`: what a message names, never a password."""
    p = parts(dsn)
    return (
        f"role {p.get('user') or '(the OS user)'} at {p.get('host') or 'localhost'}:{p.get('port') or 5432} "
        f"(database {p.get('dbname') or '?'})"
    )


def is_access_error(text: str) -> bool:
    return any(re.search(pattern, text) for pattern, _ in _REASONS)


def explain(dsn: str, text: str) -> str:
    """One line for a refused connection, from the driver's (or DuckDB's) message."""
    for pattern, reason in _REASONS:
        if re.search(pattern, text):
            break
    else:
        reason = _one_line(text)
    return f"cannot connect to Postgres as {who(dsn)}: {reason}; nothing was changed"


def connect(dsn: str, **kwargs):
    """psycopg2.connect, a refusal raised as AccessError."""
    kwargs.setdefault("connect_timeout", 10)
    try:
        return psycopg2.connect(dsn, **kwargs)
    except psycopg2.OperationalError as exc:
        raise AccessError(explain(dsn, str(exc))) from None


def check(dsn: str) -> None:
    """Connect once and leave: raises AccessError if this DSN is refused."""
    connect(dsn).close()


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.strip().splitlines() if line.strip())
