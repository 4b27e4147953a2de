"""SYNTHETIC reports of other mayoral terms and other cities, derived by code from the real 2020-12-31 report.

Only the 2020-12-31 Jeonju report is real. To test reports of several municipalities and terms, these
builders change only the header of the real text: the date line, the term line (`민선7기 공약사업`) and
the municipality line (`전 주 시`). The activities stay word for word those of the real report, the
worst case for keeping series apart: only the header, or the date, tells them apart. Each file is
labelled synthetic in its name and in its preamble (right under the header date), and is written only
to the folder the caller gives.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from pipeline import vocab
from testkit.reports import SEED_REPORT, SYNTHETIC_LABEL

REAL_DATE_LINE = "【2020. 12. 31.】"
REAL_TERM_LINE = "민선7기 공약사업  "
REAL_CITY_LINE = "전 주 시"

# Municipalities for fixtures and the benchmark, printed as the reports print a name (spaced out)
CITY_NAMES = ("군산시", "익산시", "정읍시", "남원시", "김제시", "완주군", "진안군", "무주군", "장수군", "임실군")


def _spaced(name: str) -> str:
    return " ".join(name)


def synthetic_report(report_date: dt.date, municipality: str = "전주시", term: int | None = 7, what: str = "") -> str:
    """The real report's text under another header: `report_date`, `municipality` (printed spaced out,
    `군 산 시`), the term line `민선{term}기` (None: no term printed, the date decides)."""
    text = SEED_REPORT.read_text(encoding="utf-8-sig")
    for line in (REAL_DATE_LINE, REAL_TERM_LINE, REAL_CITY_LINE):
        if text.count(f"\n{line}\n") != 1:
            raise ValueError(f"the real report's header line {line!r} is not where the fixtures expect it")
    label = SYNTHETIC_LABEL.format(src=f"real 2020-12-31 report ({what or 'another header'})")
    date_line = f"【{report_date.year}. {report_date.month:02d}. {report_date.day:02d}.】\n\n{label}"
    text = text.replace(f"\n{REAL_DATE_LINE}\n", f"\n{date_line}\n", 1)
    term_line = "공약사업" if term is None else f"민선{term}기 공약사업"
    text = text.replace(f"\n{REAL_TERM_LINE}\n", f"\n{term_line}\n", 1)
    return text.replace(f"\n{REAL_CITY_LINE}\n", f"\n{_spaced(municipality)}\n", 1)


def file_name(report_date: dt.date, municipality: str, term: int | None) -> str:
    term_part = f"term{term}" if term is not None else "termless"
    return f"SYNTHETIC_{municipality}_{term_part}_{report_date.isoformat()}.txt"


def write_report(
    folder: Path, report_date: dt.date, municipality: str = "전주시", term: int | None = 7, what: str = ""
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(report_date, municipality, term)
    path.write_text(synthetic_report(report_date, municipality, term, what), encoding="utf-8")
    return path


def write_four_series(folder: Path) -> dict[str, Path]:
    """The issue's four reports: the real one, a Jeonju 민선8기 report (2023-12-31), a later Jeonju report
    whose header prints no term (2024-12-31: 민선8기 by its date) and another city's 2020-12-31 report."""
    folder.mkdir(parents=True, exist_ok=True)
    real = folder / SEED_REPORT.name
    real.write_bytes(SEED_REPORT.read_bytes())
    return {
        "real": real,
        "term8": write_report(folder, dt.date(2023, 12, 31), "전주시", 8, "Jeonju under 민선8기"),
        "term8_later": write_report(folder, dt.date(2024, 12, 31), "전주시", None, "Jeonju, no term printed"),
        "other_city": write_report(folder, dt.date(2020, 12, 31), "군산시", 7, "another city's name"),
    }


# --------------------------------------------------------------------------------------------------
# The multi-city benchmark (bench/run_bench.py): many cities, each with a few yearly reports

# Syllables of Korean place names; two distinct ones and 시, 군 or 구 make a plausible, made-up name.
# Neither 전 nor 주 is among them: no benchmark city is named 전주시, the real report's city.
_NAME_SYLLABLES = "가강고광금남단대동명보부서성송안양영용청"
BENCH_FIRST_REPORT = dt.date(2020, 12, 31)


def bench_city_names(n: int) -> list[str]:
    """`n` distinct synthetic municipality names (`가강시`, `가고군`, ...), always the same ones in the
    same order: the first `n` of a fixed list of 1,140."""
    pairs = [a + b for a in _NAME_SYLLABLES for b in _NAME_SYLLABLES if a != b]
    names = [pair + "시군구"[(i + j) % 3] for j in range(3) for i, pair in enumerate(pairs)]
    if n > len(names):
        raise ValueError(f"at most {len(names)} benchmark city names, not {n}")
    return names[:n]


def bench_report_dates(n: int) -> list[dt.date]:
    """A benchmark city's `n` yearly reports: 2020-12-31, 2021-12-31, ..."""
    return [BENCH_FIRST_REPORT.replace(year=BENCH_FIRST_REPORT.year + k) for k in range(n)]


def _term_in_office(day: dt.date) -> int:
    """The term a report of `day` prints: the one in office on that date (민선8기 from 2022-07-01)."""
    return vocab.term_of_date(day).number


def write_bench_cities(folder: Path, n_cities: int, n_reports: int = 4) -> list[Path]:
    """The real report and `n_cities` x `n_reports` synthetic ones: each benchmark city's yearly reports, each
    the real report under that city's name, its date and the term in office on that date."""
    folder.mkdir(parents=True, exist_ok=True)
    real = folder / SEED_REPORT.name
    shutil.copyfile(SEED_REPORT, real)
    return [real] + [
        write_report(folder, day, city, _term_in_office(day), "benchmark city")
        for city in bench_city_names(n_cities)
        for day in bench_report_dates(n_reports)
    ]


def write_new_bench_city(folder: Path, n_cities: int) -> Path:
    """The first report of the city after the first `n_cities` (a city new to the warehouse)."""
    city = bench_city_names(n_cities + 1)[-1]
    return write_report(folder, BENCH_FIRST_REPORT, city, _term_in_office(BENCH_FIRST_REPORT), "a new city")
