"""A fingerprint of the parser: parsed output is cached by (file sha256, this).

Any change to the parsing code, the vocabulary seeds, the staging layout or search's analyser makes
cached results stale, so all of them go into the hash.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def parser_fingerprint() -> str:
    digest = hashlib.sha256()
    sources = sorted((_PACKAGE / "parse").glob("*.py")) + [
        _PACKAGE / "load" / "staging.py",
        _PACKAGE / "vocab.py",
        _PACKAGE / "raw" / "report_file.py",
        _PACKAGE / "search" / "analyse.py",
    ]
    sources += sorted((_PACKAGE.parent / "dbt_project" / "seeds").glob("*.csv"))
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    from pipeline.search.analyse import version

    digest.update(version().encode())  # a new analyser or model analyses the texts anew
    return digest.hexdigest()[:16]
