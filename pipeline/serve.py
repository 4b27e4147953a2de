"""Run a local server so that Ctrl-C and SIGTERM stop it, and everything it started, every time.

    python -m pipeline.serve [--grace SECONDS] -- COMMAND [ARGS...]

`make dev` (`dg dev`: a webserver, a daemon and a code server with its own gRPC child) and `make docs-serve`
exec this launcher, so it is make's own child. Why a launcher, and not the command itself:

- A job that a non-interactive shell starts with `&` inherits SIGINT (and SIGQUIT) *ignored*, and
  `dagster dev` maps SIGTERM onto whatever SIGINT does (`setup_interrupt_handlers`): started that way it
  ignored SIGTERM too, so `kill` did nothing and make waited forever. The launcher catches both signals
  itself; a handled signal is reset to the default in a child it starts, so the server starts with
  SIGINT and SIGTERM at their defaults, however the launcher was started.
- GNU make passes SIGTERM on to its children, but not SIGINT (make expects Ctrl-C to reach the whole
  foreground process group). The launcher handles either.
- The server runs in a session (and process group) of its own, so a terminal's Ctrl-C reaches it only
  through the launcher, once, and then in order: the launcher signals the server's main process, which
  shuts its own children down; after a grace period the launcher sends SIGTERM, then SIGKILL, to
  whatever of the tree is left.
- Nothing outlives it: the launcher is a Linux *child subreaper*, so a process of the tree whose parent
  exited first (dagster dev's code server outlives dagster dev by a few seconds) is re-parented to the
  launcher, which finds it and stops it. Launcher and server die with their parent (PR_SET_PDEATHSIG):
  if make, or a test runner, is killed outright, the server still stops.

A second Ctrl-C or SIGTERM while stopping kills the rest at once. The exit code is 0 when the server was
stopped on request, and the server's own code when it exited by itself.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
DEFAULT_GRACE = 30.0  # dagster dev stops in about 2-3 s here; it allows its children up to 60 s each
LEFTOVER_GRACE = 3.0  # dagster dev's code server stops on its own, here within a second of dagster dev
TERM_GRACE = 5.0  # after SIGTERM to the leftovers, before SIGKILL
POLL = 0.1

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _load_libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        # the C library Python already runs on (ctypes.util.find_library would start ldconfig)
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _load_libc()  # loaded once: the child calls prctl between fork and exec, where loading is unsafe


def _prctl(option: int, value: int) -> bool:
    """Linux prctl(2); False where it is not available (the launcher then falls back to process groups)."""
    try:
        return _LIBC is not None and _LIBC.prctl(option, value, 0, 0, 0) == 0
    except AttributeError:
        return False


def _say(message: str) -> None:
    """A line on stderr; after SIGHUP the terminal may be gone, and stopping must go on regardless."""
    try:
        print(f"serve: {message}", file=sys.stderr, flush=True)
    except OSError:
        pass


def descendants(root: int) -> list[int]:
    """Every living process below `root`, from /proc (parents before children)."""
    children: dict[int, list[int]] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # the name in parentheses may hold spaces
        if fields[0] == "Z":  # a zombie is dead already: it waits for us to reap it
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


class Launcher:
    def __init__(self, command: list[str], grace: float = DEFAULT_GRACE):
        self.command = command
        self.grace = grace
        self.stop_requested: int | None = None  # the signal that asked us to stop
        self.signals_received = 0
        self.proc: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        """`dg dev`, `python -m pipeline.report.dbt_docs serve`: the command without its options."""
        words = [Path(self.command[0]).name]
        for word in self.command[1:]:
            if word.startswith("-") and word != "-m":
                break
            words.append(word)
        return " ".join(words)

    # -- signals ---------------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame) -> None:
        self.signals_received += 1
        if self.stop_requested is None:
            self.stop_requested = signum

    def install_handlers(self) -> None:
        # Installed even where SIGINT came in ignored (a background job): stopping a dev server on
        # Ctrl-C is what the user asks of it, and its children must not inherit the ignore.
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    # -- children --------------------------------------------------------------------------------
    def _reap(self) -> None:
        """Collect every exited child (the server, and any orphan re-parented to us)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.proc is not None and pid == self.proc.pid and self.proc.returncode is None:
                self.proc.returncode = os.waitstatus_to_exitcode(status)

    def _server_running(self) -> bool:
        self._reap()
        return self.proc is not None and self.proc.returncode is None

    def _tree(self) -> list[int]:
        return descendants(os.getpid())

    def _signal_all(self, signum: int) -> None:
        pids = self._tree()
        for pid in pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
        if self.proc is not None and not Path("/proc").is_dir():  # no /proc: the server's process group
            try:
                os.killpg(self.proc.pid, signum)
            except (ProcessLookupError, PermissionError):
                pass

    def _wait(self, until, timeout: float) -> bool:
        """Wait for `until()` to hold, at most `timeout` s; cut short by a further stop signal."""
        seen = self.signals_received
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._reap()
            if until():
                return True
            if self.signals_received > seen:  # asked again: stop waiting
                return False
            time.sleep(POLL)
        self._reap()
        return until()

    def start(self) -> None:
        def in_child() -> None:  # between fork and exec, in the server's process
            _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

        self.proc = subprocess.Popen(self.command, start_new_session=True, preexec_fn=in_child)

    def stop(self) -> None:
        """Stop the server: its main process first, gently; then whatever of the tree is left."""
        signum = self.stop_requested or signal.SIGTERM
        if self._server_running():
            name = signal.Signals(signum).name
            _say(f"{name} received, stopping {self.name} (pid {self.proc.pid})...")
            # SIGHUP would make a Python server die without its shutdown; SIGTERM means the same here
            self.proc.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)
            self._wait(lambda: not self._server_running(), self.grace)
        self.sweep()

    def sweep(self) -> None:
        """SIGTERM, then SIGKILL, to every process still in the tree (orphans come back to us)."""
        if self.signals_received > 1:  # asked twice: no more waiting
            self._signal_all(signal.SIGKILL)
            self._wait(lambda: not self._tree(), TERM_GRACE)
        elif not self._wait(lambda: not self._tree(), LEFTOVER_GRACE):
            left = self._tree()
            _say(f"{len(left)} process(es) of the server still running; sending SIGTERM")
            self._signal_all(signal.SIGTERM)
            if not self._wait(lambda: not self._tree(), TERM_GRACE):
                _say("still running; sending SIGKILL")
                self._signal_all(signal.SIGKILL)
                self._wait(lambda: not self._tree(), TERM_GRACE)
        self._reap()

    def run(self) -> int:
        self.install_handlers()
        parent = os.getppid()
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
        # Die with whatever started us (make, a test): PDEATHSIG fires on the parent's exit; if the
        # parent is gone already, getppid() shows it, and there is no one to serve.
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:
            return 0
        try:
            self.start()
        except OSError as error:
            _say(f"cannot start {self.command[0]}: {error}")
            return 127
        while self.stop_requested is None and self._server_running():
            time.sleep(POLL)
        if self.stop_requested is not None:
            self.stop()
            return 0
        self.sweep()  # the server exited by itself: nothing of it stays behind either
        code = self.proc.returncode
        return code if code >= 0 else 128 - code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.serve",
        description="Run a server in its own session; Ctrl-C or SIGTERM stops it and all it started.",
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_GRACE,
        help=f"seconds the server gets to stop by itself (default {DEFAULT_GRACE:g})",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    return Launcher(command, args.grace).run()


if __name__ == "__main__":
    sys.exit(main())
