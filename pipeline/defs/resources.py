"""Resources of the code location."""
import importlib.metadata
import re
import subprocess
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version

from pipeline import settings


def dbt_core_version(dbt_executable: str) -> version.Version:
    """dbt-core's version in the environment of `dbt_executable`, from its installed metadata
    (instant), else from `dbt --version` (a few seconds)."""
    env_root = Path(dbt_executable).parent.parent
    for site in sorted(env_root.glob("lib/python*/site-packages")):
        for dist in importlib.metadata.distributions(name="dbt-core", path=[str(site)]):
            return version.parse(dist.version)
    out = subprocess.run([dbt_executable, "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"installed:\s*([0-9][0-9A-Za-z.+-]*)", out)
    if not found:
        raise RuntimeError(f"cannot tell the dbt-core version of {dbt_executable}: {out!r}")
    return version.parse(found.group(1))


class PledgeDbtCliResource(DbtCliResource):
    """dbt from its own environment (`.venv-dbt/`), started without two costly probes.

    dbt-core is not importable in the Dagster process (dagster-dbt then drives dbt through
    its command line only). dagster-dbt would ask `dbt --version` in a subprocess (about
    3 s); the version is read from the dbt environment's package metadata instead. And it
    would set up a dbt adapter inside the Dagster process, which only serves metadata
    fetches (row counts, column schemas) that this project does not request.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return dbt_core_version(settings.dbt_executable())

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - same signature as the parent
        return None
