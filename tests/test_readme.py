"""The README a new user reads top to bottom: short, the two commands first, and every command and
snippet in it run, here against the built warehouse or by the test named for it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest

from testkit.workspace import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w+)\n(.*?)```", README, re.S)
# commands a test elsewhere runs as a user would; the test named must exist
RUN_ELSEWHERE = {
    "make run": "tests/test_pipeline.py",  # make run's code path, run_main, on the real report
    "make test": ".ci/run",  # CI runs it on every submission
    "bin/pledge-run": "tests/test_reliability.py",  # test_bin_pledge_run_gives_a_caller_the_documented_exit_codes
}
RUN_HERE = ("make sql", "make mf", "make -s search", "make search")


def commands() -> list[str]:
    """Every command of the README's sh and cron blocks, comments and cron's schedule left out."""
    found = []
    for language, body in BLOCKS:
        for line in body.splitlines():
            line = line.split("  #")[0].strip()
            if language == "cron" and line:
                line = line.split("&&", 1)[1].split(">>")[0].strip()
            if language in ("sh", "cron") and line:
                found.append(line)
    return found


def test_the_readme_is_short_and_starts_with_the_two_commands():
    lines = README.splitlines()
    assert len(lines) <= 300
    assert any("make run" in line for line in lines[:40]) and any("make test" in line for line in lines[:40])


def test_every_command_is_run_here_or_by_a_named_test():
    for command in commands():
        if command.startswith(RUN_HERE):
            continue
        where = next((w for prefix, w in RUN_ELSEWHERE.items() if command.startswith(prefix)), None)
        assert where is not None, f"README command run by no test: {command}"
        assert (REPO / where).exists(), where


@pytest.mark.parametrize("command", [c for c in commands() if c.startswith(RUN_HERE)])
def test_each_query_command_answers_on_the_built_warehouse(built_warehouse, command):
    env = {**os.environ, "PLEDGE_WAREHOUSE": str(built_warehouse.warehouse)}
    argv = shlex.split(command)
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.strip(), command


def test_the_python_snippet_runs_as_printed(built_warehouse, tmp_path):
    (snippet,) = [body for language, body in BLOCKS if language == "python"]
    (tmp_path / "warehouse").symlink_to(built_warehouse.warehouse.parent, target_is_directory=True)
    done = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    activities, attended = eval(done.stdout.strip())[0]  # noqa: S307 - the snippet prints a list of tuples
    assert activities > 0 and attended > 0
