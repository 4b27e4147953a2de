"""Controlled vocabularies, read from the dbt seeds (their one source of truth).

The parser needs the same field and format vocabularies the warehouse publishes as
`dim_field` / `dim_format`; reading the seed CSVs keeps one copy of each list.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"


def read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def field_codes_by_name() -> dict[str, str]:
    return {row["field_name_ko"]: row["field_code"] for row in read_seed("fields")}


def field_code_for_label(label: str) -> str | None:
    """'경 제 분 야', '경제분야', '경제' -> 'economy'; None for an unknown label."""
    compact = re.sub(r"\s+", "", label)
    compact = compact.removesuffix("분야")
    return field_codes_by_name().get(compact)
