"""`make dev` and `make docs-serve` stop on Ctrl-C and on SIGTERM, and leave no process behind.

Each test starts `make <target> PORT=<free port>` as a shell would start a job, waits until the port
answers, records every process below make (walking /proc), sends the signal and checks that make exits
in time and that none of the recorded processes, nor any other process carrying the test's marker in
its environment, is alive afterwards.

Two ways a shell starts a job, reproduced exactly (the preexec function below):
- *foreground* (a terminal): the job is its own process group, SIGINT at its default; Ctrl-C is SIGINT
  to that whole group.
- *background* (`make dev &` in a script, a CI step): SIGINT and SIGQUIT ignored, which the job's
  children inherit. `dagster dev` then ignored SIGTERM as well (it maps SIGTERM onto SIGINT's handler),
  so `kill` did nothing and make waited for ever: that is what pipeline/serve.py fixes.
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline import settings

MARK = "PLEDGE_SERVE_TEST_MARK"
DEV_START_TIMEOUT = 240  # dg dev answers after 11-16 s here, on 2 cores shared with other work
DEV_STOP_TIMEOUT = 60  # the launcher's own limits add up to 43 s; a clean stop takes about 3 s
DOCS_STOP_TIMEOUT = 20
# Any line a user would read as a warning: Python's warnings (SupersessionWarning, DeprecationWarning,
# BetaWarning...), Dagster's WARNING log level, dg's own warnings ("... To suppress this warning").
WARNING_LINE = re.compile(r"warn|deprecat|supersed", re.IGNORECASE)

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


# -- processes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    start: int  # start time in clock ticks since boot: tells a living pid from a reused one
    cmdline: str


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, starttime) of a process, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[19])


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def process_tree(root: int) -> list[Proc]:
    """Every living process below `root`."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[0] != "Z":
            children.setdefault(stat[1], []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        for pid in children.get(stack.pop(), []):
            if stat := _stat(pid):
                found.append(Proc(pid, stat[2], _cmdline(pid)))
                stack.append(pid)
    return found


def alive(proc: Proc) -> bool:
    stat = _stat(proc.pid)
    return stat is not None and stat[0] != "Z" and stat[2] == proc.start


def marked_processes(mark: str) -> list[Proc]:
    """Every living process whose environment carries the test's marker, wherever it went in the tree."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and (stat := _stat(int(entry.name))) and stat[0] != "Z":
            found.append(Proc(int(entry.name), stat[2], _cmdline(int(entry.name))))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            response.read()
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def port_closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# -- a job started as a shell starts it ------------------------------------------------------------


class Job:
    """`make ARGS` started as a foreground or a background job of a shell, output into a file."""

    def __init__(
        self,
        args: list[str],
        log: Path,
        *,
        background: bool,
        env: dict[str, str] | None = None,
        cwd: Path = settings.PROJECT_ROOT,
    ):
        self.mark = uuid.uuid4().hex
        self.log = log
        environment = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
        environment.update(env or {})
        environment[MARK] = self.mark

        def as_a_shell_job() -> None:
            os.setpgid(0, 0)  # a job is a process group of its own
            # a background job of a non-interactive shell has SIGINT and SIGQUIT ignored (POSIX)
            disposition = signal.SIG_IGN if background else signal.SIG_DFL
            signal.signal(signal.SIGINT, disposition)
            signal.signal(signal.SIGQUIT, disposition)
            _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)  # if pytest dies, make is told

        self.proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            preexec_fn=as_a_shell_job,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, url: str, timeout: float) -> float:
        """Seconds until `url` answers 200; fails with make's output if make exits or time runs out."""
        started = time.monotonic()
        while not answers(url):
            if self.proc.poll() is not None:
                pytest.fail(f"make exited with {self.proc.returncode} before {url} answered:\n{self.output()}")
            if time.monotonic() - started > timeout:
                pytest.fail(f"{url} did not answer within {timeout} s:\n{self.output()}")
            time.sleep(0.5)
        return time.monotonic() - started

    def stop(self, signum: int, *, to_group: bool, timeout: float) -> float:
        """Send `signum` to make (SIGTERM from a supervisor, `kill`) or to its process group (Ctrl-C);
        seconds until make exited."""
        started = time.monotonic()
        if to_group:
            os.killpg(self.proc.pid, signum)
        else:
            self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"make did not exit within {timeout} s of {signal.Signals(signum).name}:\n{self.output()}")
        return time.monotonic() - started

    def kill_leftovers(self) -> None:
        """Cleanup whatever a failed test left: never part of a passing run."""
        for proc in [*process_tree(self.proc.pid), *marked_processes(self.mark)]:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def assert_nothing_left(job: Job, recorded: list[Proc], port: int | None = None) -> None:
    time.sleep(0.2)  # a process that got SIGKILL is gone a moment later
    left = [p for p in recorded if alive(p)] + [p for p in marked_processes(job.mark) if p not in recorded]
    assert not left, "left running:\n" + "\n".join(f"{p.pid} {p.cmdline[:150]}" for p in left)
    assert port is None or port_closed(port), f"port {port} still open"


def roles(tree: list[Proc]) -> set[str]:
    found = set()
    for proc in tree:
        for role, needle in (
            ("dg dev", "dg dev"),
            ("webserver", "dagster_webserver"),
            ("daemon", "daemon run"),
            ("code server", "code-server start"),
            ("grpc", "api grpc"),
        ):
            if needle in proc.cmdline:
                found.add(role)
    return found


# -- make dev --------------------------------------------------------------------------------------

DEV_ROLES = {"dg dev", "webserver", "daemon", "code server", "grpc"}


def start_dev(tmp_path: Path, *, background: bool) -> tuple[Job, int]:
    port = free_port()
    # An instance of the test's own (make creates it as for a user): a second daemon on the project's
    # .dagster would compete with the user's own `make dev`.
    job = Job(
        ["make", "dev", f"PORT={port}", f"DAGSTER_HOME={tmp_path / 'dagster_home'}"],
        tmp_path / "make_dev.log",
        background=background,
    )
    return job, port


def record_dev_tree(job: Job) -> list[Proc]:
    """The tree once all of dg dev's processes are up (the UI answers a little before the daemon's
    code server has its gRPC child)."""
    deadline = time.monotonic() + 60
    while True:
        tree = process_tree(job.proc.pid)
        if roles(tree) >= DEV_ROLES or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert roles(tree) >= DEV_ROLES, f"expected {DEV_ROLES}, found {roles(tree)}:\n" + "\n".join(
        p.cmdline[:150] for p in tree
    )
    return tree


def wait_for_daemon_ticks(home: Path, timeout: float = 90) -> None:
    """Until the daemon's sensor and schedule loops have each written a heartbeat to the instance."""
    from dagster import DagsterInstance

    deadline = time.monotonic() + timeout
    while True:
        with DagsterInstance.from_config(str(home)) as instance:
            beats = set(instance.get_daemon_heartbeats())
        if {"SENSOR", "SCHEDULER"} <= beats:
            return
        assert time.monotonic() < deadline, f"the daemon wrote heartbeats for {sorted(beats)} only"
        time.sleep(0.5)


def test_make_dev_in_the_background_stops_on_sigterm_and_prints_no_warning(tmp_path):
    """`make dev PORT=... &`, then `kill <make>`: the UI answers, the output until the daemon's sensor and
    schedule loops have ticked holds no warning, and SIGTERM stops make and every process of dg dev."""
    job, port = start_dev(tmp_path, background=True)
    try:
        job.wait_for(f"http://127.0.0.1:{port}/server_info", DEV_START_TIMEOUT)
        assert answers(f"http://127.0.0.1:{port}/")
        status = Path(f"/proc/{job.proc.pid}/status").read_text()
        ignored = int(re.search(r"SigIgn:\s*([0-9a-f]+)", status)[1], 16)
        assert ignored & (1 << (signal.SIGINT - 1)), "make should run as a background job, SIGINT ignored"
        tree = record_dev_tree(job)
        wait_for_daemon_ticks(tmp_path / "dagster_home")
        assert job.proc.poll() is None, job.output()
        output = job.output()
        assert "Serving dagster-webserver" in output and f":{port}" in output, output
        warnings = [line for line in output.splitlines() if WARNING_LINE.search(line)]
        assert not warnings, "make dev printed warnings:\n" + "\n".join(warnings)

        took = job.stop(signal.SIGTERM, to_group=False, timeout=DEV_STOP_TIMEOUT)
        assert job.proc.returncode == -signal.SIGTERM, job.output()  # make re-raises what stopped it
        assert_nothing_left(job, tree, port)
        assert "Dagster services shut down." in job.output(), job.output()
        assert "sending SIGKILL" not in job.output(), job.output()
        notes = [line for line in job.output().splitlines() if line.startswith("serve:")]
        print(f"make dev stopped {took:.1f} s after SIGTERM; " + " / ".join(notes))
    finally:
        job.kill_leftovers()


def test_make_dev_stops_on_ctrl_c(tmp_path):
    """Ctrl-C in a terminal: SIGINT to the job's whole process group."""
    job, port = start_dev(tmp_path, background=False)
    try:
        job.wait_for(f"http://127.0.0.1:{port}/server_info", DEV_START_TIMEOUT)
        tree = record_dev_tree(job)
        took = job.stop(signal.SIGINT, to_group=True, timeout=DEV_STOP_TIMEOUT)
        assert job.proc.returncode == -signal.SIGINT, job.output()
        assert_nothing_left(job, tree, port)
        assert "Dagster services shut down." in job.output(), job.output()
        assert "sending SIGKILL" not in job.output(), job.output()  # dagster stopped, nothing was killed
        notes = [line for line in job.output().splitlines() if line.startswith("serve:")]
        print(f"make dev stopped {took:.1f} s after Ctrl-C; " + " / ".join(notes))
    finally:
        job.kill_leftovers()


# -- make docs-serve -------------------------------------------------------------------------------


@pytest.fixture
def docs_site(tmp_path) -> Path:
    """A stand-in site: what is tested here is the server's life, not the docs (tests/test_docs_site.py
    serves and browses the real site)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html><body>dbt docs stand-in</body></html>")
    (site / "catalog.json").write_text('{"nodes": {}}')
    return site


@pytest.mark.parametrize(
    "background, signum, to_group, exit_code",
    [
        pytest.param(True, signal.SIGTERM, False, -signal.SIGTERM, id="background-sigterm-to-make"),
        pytest.param(False, signal.SIGINT, True, -signal.SIGINT, id="ctrl-c"),
        # make ignores it as a background job; the launcher does not, the server stops, make exits 0
        pytest.param(True, signal.SIGINT, True, 0, id="background-sigint-to-the-job"),
    ],
)
def test_make_docs_serve_stops(tmp_path, docs_site, background, signum, to_group, exit_code):
    port = free_port()
    job = Job(
        ["make", "docs-serve", f"PORT={port}", f"DOCS_SITE={docs_site}"], tmp_path / "docs.log", background=background
    )
    try:
        job.wait_for(f"http://127.0.0.1:{port}/", 60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as response:
            assert b"dbt docs stand-in" in response.read()
        tree = process_tree(job.proc.pid)
        assert any("dbt_docs serve" in p.cmdline for p in tree), tree
        job.stop(signum, to_group=to_group, timeout=DOCS_STOP_TIMEOUT)
        assert job.proc.returncode == exit_code, job.output()
        assert_nothing_left(job, tree, port)
        assert "Traceback" not in job.output(), job.output()
    finally:
        job.kill_leftovers()


# -- the launcher on its own -----------------------------------------------------------------------

# A server that starts a child which ignores SIGINT and SIGTERM, leaves the server's session and
# outlives the server: what a careless server leaves behind.
STUBBORN_SERVER = textwrap.dedent("""
    import os, subprocess, sys, time
    child = '''
    import os, signal, sys, time
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("child", os.getpid(), flush=True)
    time.sleep(600)
    '''
    subprocess.Popen([sys.executable, "-c", child])
    print("server", os.getpid(), flush=True)
    time.sleep(600)
""")


def launch(tmp_path: Path, script: str, *, background: bool, grace: float = 2.0) -> Job:
    return Job(
        [sys.executable, "-m", "pipeline.serve", "--grace", str(grace), "--", sys.executable, "-c", script],
        tmp_path / "launcher.log",
        background=background,
    )


def wait_for_tree(job: Job, ready) -> list[Proc]:
    """The tree below the job once `ready(tree)` holds."""
    deadline = time.monotonic() + 30
    while not ready(tree := process_tree(job.proc.pid)):
        assert time.monotonic() < deadline and job.proc.poll() is None, job.output()
        time.sleep(0.1)
    return tree


def launcher_and_server(tree: list[Proc]) -> bool:
    launchers = [p for p in tree if "pipeline.serve" in p.cmdline]
    return bool(launchers) and len(process_tree(launchers[0].pid)) >= 1


def test_launcher_stops_a_child_that_ignores_signals_and_left_the_session(tmp_path):
    job = launch(tmp_path, STUBBORN_SERVER, background=True)
    try:
        # the server and its child, once the child has said so
        tree = wait_for_tree(job, lambda tree: len(tree) >= 2 and "child " in job.output())
        job.stop(signal.SIGTERM, to_group=False, timeout=30)
        assert job.proc.returncode == 0, job.output()
        assert_nothing_left(job, tree)
        assert "sending SIGKILL" in job.output()  # the stubborn child needed it
    finally:
        job.kill_leftovers()


def test_server_stops_when_whatever_started_the_launcher_is_killed(tmp_path):
    """make (or pytest) killed outright, no signal forwarded: the launcher still stops the server."""
    parent_script = textwrap.dedent("""
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-m", "pipeline.serve", "--", sys.executable, "-c",
                          "import time; time.sleep(600)"])
        time.sleep(600)
    """)
    job = Job([sys.executable, "-c", parent_script], tmp_path / "parent.log", background=True)
    try:
        tree = wait_for_tree(job, launcher_and_server)
        job.proc.kill()  # SIGKILL: the parent can forward nothing
        job.proc.wait()
        deadline = time.monotonic() + 15
        while any(alive(p) for p in tree) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert_nothing_left(job, tree)
    finally:
        job.kill_leftovers()


def test_the_warning_pattern_catches_what_the_old_make_dev_printed():
    """The lines `dagster dev` (SupersessionWarning) and dg without an active .venv printed."""
    old = [
        "/x/click/core.py:911: SupersessionWarning: Function `dev_command` is superseded and its usage is "
        "discouraged. Use 'dg dev' instead.",
        'To suppress this warning, add "project_and_activated_venv_mismatch" to the `cli.suppress_warnings` list',
        "2026-12-03 08:07:02 +0000 - dagster - WARNING - a warning",
        "BetaWarning: Parameter `backfill_policy` of asset is currently in beta",
    ]
    assert all(WARNING_LINE.search(line) for line in old)
    assert not WARNING_LINE.search(
        "2026-12-03 08:13:43 +0000 - dagster-webserver - INFO - Serving "
        "dagster-webserver on http://127.0.0.1:3917 in process 17013"
    )
