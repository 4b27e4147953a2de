"""Controlled vocabularies, read from the dbt seeds (their one source of truth).

The parser needs the same field and format vocabularies the warehouse publishes as
`dim_field` / `dim_format` (and how each city's printed field labels map onto the fields), and the
reader of report headers the mayoral terms of `dim_term`; reading the seed CSVs keeps one copy of
each list.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"


def read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


OTHER_FIELD = "other"  # the shared field of a label that maps to no other (fields seed)


def field_label_key(label: str) -> str:
    """A printed field label as the seed `field_labels` lists it, spaces and a trailing 분야 removed:
    '경 제 분 야' -> '경제', '일자리 경제' -> '일자리경제'."""
    return re.sub(r"\s+", "", label).removesuffix("분야")


@cache
def field_codes_by_label() -> dict[str, str]:
    """Every label of the seed `field_labels` -> its shared field code."""
    return {row["label"]: row["field_code"] for row in read_seed("field_labels")}


def field_code_for_label(label: str) -> str | None:
    """'경 제 분 야', '경제분야', '일자리 경제' -> 'economy'; None for a label the seed does not map
    (the parser reads it as OTHER_FIELD and says so)."""
    return field_codes_by_label().get(field_label_key(label))


@dataclass(frozen=True)
class Term:
    """A mayoral term (민선N기): elected mayors take office on July 1 after each local election."""

    number: int
    name: str
    start_date: dt.date
    end_date: dt.date


@cache
def terms() -> tuple[Term, ...]:
    return tuple(
        Term(
            int(r["term_number"]),
            r["term_name"],
            dt.date.fromisoformat(r["start_date"]),
            dt.date.fromisoformat(r["end_date"]),
        )
        for r in read_seed("terms")
    )


def term_of_date(day: dt.date) -> Term | None:
    """The term in office on `day` (None outside every term of the seed)."""
    return next((t for t in terms() if t.start_date <= day <= t.end_date), None)
