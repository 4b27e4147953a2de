"""The dbt project fingerprint that decides a full refresh of the incremental facts."""

import copy
import json

from pipeline.dbt_project import dbt_project
from pipeline.dbt_state import project_fingerprint


def _manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


def test_model_seed_and_macro_changes_change_the_fingerprint_tests_do_not():
    manifest = _manifest()
    base = project_fingerprint(manifest)
    assert base == project_fingerprint(copy.deepcopy(manifest))

    def changed(kind: str) -> str:
        m = copy.deepcopy(manifest)
        uid = next(u for u, n in m["nodes"].items() if n["resource_type"] == kind)
        m["nodes"][uid]["checksum"]["checksum"] = "edited"
        return project_fingerprint(m)

    assert changed("model") != base
    assert changed("seed") != base
    assert changed("test") == base  # tests do not change what the facts hold

    m = copy.deepcopy(manifest)
    uid = next(u for u, macro in m["macros"].items() if macro["package_name"] == m["metadata"]["project_name"])
    m["macros"][uid]["macro_sql"] += "\n-- edited"
    assert project_fingerprint(m) != base
    m = copy.deepcopy(manifest)
    uid = next(u for u, macro in m["macros"].items() if macro["package_name"] != m["metadata"]["project_name"])
    m["macros"][uid]["macro_sql"] += "\n-- edited"  # dbt's own macros: covered by the dbt version
    assert project_fingerprint(m) == base
    m = copy.deepcopy(manifest)
    m["metadata"]["dbt_version"] = "0.0.0"
    assert project_fingerprint(m) != base
