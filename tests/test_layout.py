"""The house rules of the layout: Dagster modules only wire, the pure packages import no Dagster,
and nothing reaches into Dagster's private modules."""

import re
import subprocess
import sys

from testkit.workspace import REPO

PURE = ("raw", "parse", "load", "identity", "search", "publish", "export")


def test_the_pure_packages_import_no_dagster():
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {PURE!r}:\n"
        "    package = importlib.import_module('pipeline.' + name)\n"
        "    for m in pkgutil.iter_modules(package.__path__):\n"
        "        importlib.import_module(f'pipeline.{name}.{m.name}')\n"
        "print(sorted(m for m in sys.modules if m == 'dagster' or m.startswith(('dagster.', 'dagster_'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_dagster_modules_stay_short_and_use_only_the_public_api():
    defs = sorted((REPO / "pipeline" / "defs").rglob("*.py"))
    assert defs
    long = {str(p.relative_to(REPO)): n for p in defs if (n := len(p.read_text().splitlines())) > 150}
    assert not long, long
    private = re.compile(r"\bdagster(?:_\w+)?\._")
    offenders = [
        str(p.relative_to(REPO))
        for folder in ("pipeline", "bench", "testkit", "tests")
        for p in (REPO / folder).rglob("*.py")
        if private.search(p.read_text()) and p.name != "test_layout.py"
    ]
    assert not offenders, offenders
