"""SYNTHETIC benchmark reports, derived by code from the real 2020-12-31 report.

Only `raw/jeonju_pledge_communication_2020-12-31.txt` is real. For the benchmark we need a city's
decades of yearly reports, so report number k (k >= 1) is a re-dated copy of the real one (the
year-end k years after 2020-12-31) with small, deterministic variants so that cross-period matching has real work
to do: an activity or two left out, a people count changed, one activity added, another page
layout. Each file is labelled synthetic twice: its name starts with `SYNTHETIC_bench_` and its
preamble carries the synthetic label right under the header date (see testkit/reports.py,
whose report reader and renderer this reuses). Files are only ever written to the folder the
caller gives (the bench uses a temp workspace), never to `raw/`.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from testkit.reports import (
    SEED_REPORT,
    SYNTHETIC_LABEL,
    new_activity,
    people_figures,
    read_seed,
    render,
    with_people,
)

REAL_DATE = dt.date(2020, 12, 31)
FILE_PREFIX = "SYNTHETIC_bench_jeonju_pledge_communication_"


@lru_cache(maxsize=1)
def _seed():
    return read_seed(SEED_REPORT)


def report_date(k: int) -> dt.date:
    """Period of report number k: 0 is the real report, k >= 1 the year-end k years after it."""
    return REAL_DATE.replace(year=REAL_DATE.year + k)


def synthetic_text(k: int) -> str:
    """The text of synthetic report k (k >= 1): the real report, re-dated, with small variants."""
    if k < 1:
        raise ValueError("report 0 is the real report; synthetic ones start at 1")
    preamble, seed = _seed()
    rng = random.Random(1000 + k)
    pledges = [replace(p, activities=list(p.activities)) for p in seed]
    plain = [p for p in pledges if not p.is_opaque and len(p.activities) >= 3]
    # one or two activities left out
    for p in rng.sample(plain, rng.randint(1, 2)):
        p.activities.pop(rng.randrange(1, len(p.activities)))
    # two people counts changed
    candidates = [(p, i) for p in plain for i, a in enumerate(p.activities) if len(people_figures(a)) == 1]
    for p, i in rng.sample(candidates, min(2, len(candidates))):
        p.activities[i] = with_people(p.activities[i], rng.choice((-3, 2, 5)))
    # one activity added
    target = rng.choice(plain)
    day = report_date(k)
    added = new_activity(
        f"{target.pledge_code}#bench{k}",
        f"합성 벤치마크 주민 간담회 {k}회차",
        f"'{day:%y}. {day.month}. {day.day}.",
        10 + k % 50,
        "합성 데이터: 벤치마크용 활동",
    )
    target.activities.insert(rng.randrange(0, len(target.activities) + 1), added)
    header = f"【{day.year}. {day.month}. {day.day}.】"
    label = SYNTHETIC_LABEL.format(src=f"real 2020-12-31 report (benchmark copy #{k})")
    return render(header, preamble, pledges, rows_per_page=rng.choice((4, 5, 6)), label=label, blank_lines=(1, 2))


def file_name(k: int) -> str:
    return SEED_REPORT.name if k == 0 else f"{FILE_PREFIX}{report_date(k).isoformat()}.txt"


def write_report(k: int, folder: Path) -> Path:
    """Write report k into folder (0 = a copy of the real report); returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(k)
    if k == 0:
        shutil.copyfile(SEED_REPORT, path)
    else:
        path.write_text(synthetic_text(k), encoding="utf-8")
    return path


def write_reports(folder: Path, first: int, last: int) -> list[Path]:
    """Reports first..last (inclusive) into folder."""
    return [write_report(k, folder) for k in range(first, last + 1)]
