"""The benchmark's phases besides the runs: parse throughput, the Dagster and dbt floors, query latency,
the Korean analysis and search latency."""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
from pathlib import Path

from bench.measure import DBT_DIR, base_env, median_of, run_child, synthetic
from pipeline import settings

TRIVIAL_DAGSTER = """\
import os, sys
from dagster import DagsterInstance, asset, define_asset_job, Definitions, in_process_executor

@asset
def one() -> int:
    return 1

job = define_asset_job("trivial", selection="*", executor_def=in_process_executor)
defs = Definitions(assets=[one], jobs=[job])
result = defs.get_job_def("trivial").execute_in_process(instance=DagsterInstance.get())
sys.exit(0 if result.success else 2)
"""


# --------------------------------------------------------------------------------------------------
# 1. Parse throughput


def parse_throughput(n_reports: int, repeat: int) -> dict:
    from lxml import etree

    from pipeline.parse.models import ParsedReport
    from pipeline.parse.report import parse_report_text
    from pipeline.parse.segment import cell_items
    from pipeline.raw.report_file import find_report_date

    texts = [(synthetic.file_name(0), synthetic.SEED_REPORT.read_text(encoding="utf-8-sig"))]
    texts += [(synthetic.file_name(k), synthetic.synthetic_text(k)) for k in range(1, n_reports)]
    jobs = [(name, text, find_report_date(text, name)[0]) for name, text in texts]
    cells = []
    for _, text, _ in jobs:  # the HTML cells exactly as the parser cuts them out of the rows
        for line in text.split("\n"):
            parts = line.rstrip("\r").split("\t")
            if len(parts) >= 5 and parts[0].strip().isdigit():
                html = "\t".join(parts[4:])
                if html.strip():
                    cells.append(html)
    text_bytes = sum(len(t.encode()) for _, t, _ in jobs)
    html_bytes = sum(len(c.encode()) for c in cells)

    def timed(fn):
        def once():
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start

        return once

    def whole():
        for name, text, day in jobs:
            parse_report_text(text, source_file=name, report_date=day)

    def html_step():
        for c in cells:
            cell_items(c)

    def lxml_floor():
        for c in cells:
            etree.HTML(c)

    # The parser's output as plain data (dicts, lists, dates): validating it into the pydantic
    # records is what any parser that keeps this contract pays on top of its reading.
    plain = [parse_report_text(text, source_file=name, report_date=day).model_dump() for name, text, day in jobs]

    def records_only():
        for data in plain:
            ParsedReport.model_validate(data)

    whole()  # warm-up: imports, regex compilation, vocabularies
    t_whole, all_whole = median_of(repeat, timed(whole))
    t_html, all_html = median_of(repeat, timed(html_step))
    t_lxml, all_lxml = median_of(repeat, timed(lxml_floor))
    t_records, all_records = median_of(repeat, timed(records_only))
    mb = 1e6
    return {
        "n_reports": len(jobs),
        "n_cells": len(cells),
        "text_mb": round(text_bytes / mb, 3),
        "html_mb": round(html_bytes / mb, 3),
        "whole_parser_s": round(t_whole, 4),
        "html_step_s": round(t_html, 4),
        "lxml_floor_s": round(t_lxml, 4),
        "whole_parser_mb_s": round(html_bytes / mb / t_whole, 3),  # on the same HTML bytes as the floor
        "whole_parser_text_mb_s": round(text_bytes / mb / t_whole, 3),
        "html_step_mb_s": round(html_bytes / mb / t_html, 3),
        "lxml_floor_mb_s": round(html_bytes / mb / t_lxml, 3),
        "whole_vs_lxml": round(t_lxml / t_whole, 4),
        "html_step_vs_lxml": round(t_lxml / t_html, 4),
        "n_records": sum(_count_records(data) for data in plain),
        "records_only_s": round(t_records, 4),
        "records_only_vs_lxml": round(t_lxml / t_records, 4),  # the ceiling of whole_vs_lxml
        "samples_s": {"whole": all_whole, "html_step": all_html, "lxml": all_lxml, "records_only": all_records},
    }


def _count_records(data) -> int:
    """Pydantic records in a dumped `ParsedReport`: the report, its rows, events, issues and what
    the events hold."""
    events = data["events"]
    return (
        1
        + len(data["rows"])
        + len(data["issues"])
        + len(events)
        + sum(len(e["details"]) + len(e["attendees"]) + len(e["dates"]) for e in events)
    )


# --------------------------------------------------------------------------------------------------
# 3. Floors


def trivial_dagster(work: Path, repeat: int, index: int = 0) -> dict:
    from pipeline.defs.instance import ensure_dagster_yaml

    folder = work / "floor_dagster"
    if folder.exists() and index == 0:
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "trivial_job.py"
    script.write_text(TRIVIAL_DAGSTER)
    runs = []
    for i in range(index, index + repeat):
        home = folder / f"dagster_home_{i}"
        ensure_dagster_yaml(home)  # the same instance configuration as `make run`
        child = run_child(
            [sys.executable, str(script)], {**base_env(), "DAGSTER_HOME": str(home)}, folder, folder / f"run_{i}.log"
        )
        if child.returncode != 0:
            raise RuntimeError(f"trivial Dagster job failed, see {child.log}")
        runs.append(child)
    return {
        "wall_s": statistics.median(r.wall_s for r in runs),
        "cpu_s": statistics.median(r.cpu_s for r in runs),
        "samples_s": [round(r.wall_s, 3) for r in runs],
        "max_rss_bytes": max(r.max_rss_bytes for r in runs),
    }


def bare_dbt_build(work: Path, warehouse: Path, repeat: int) -> dict:
    """`dbt build` of dbt_project/ on a copy of a built warehouse, as dagster-dbt starts it: with the
    project's partial-parse file copied into a fresh target folder. The floor is the median of the
    builds after the first (the first may differ: it writes the target folder's parse state)."""
    folder = work / "floor_dbt"
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "target").mkdir(parents=True)
    db = folder / warehouse.name  # same file stem: same DuckDB catalog name as the pipeline's
    shutil.copyfile(warehouse, db)
    partial = DBT_DIR / "target" / "partial_parse.msgpack"
    if partial.exists():
        shutil.copyfile(partial, folder / "target" / partial.name)
    # Started as the pipeline starts it: from the database's folder, with the database named
    # relative to it (pipeline/defs/bin/dbt-in-build-dir), so the project's parse is reused.
    env = {
        **base_env(),
        "PLEDGE_DBT_DATABASE": db.name,
        "DBT_PROJECT_DIR": str(DBT_DIR),
        "DBT_PROFILES_DIR": str(DBT_DIR),
    }
    from pipeline.defs.assets.dbt import BUILD_ARGS  # the pipeline's own dbt command

    argv = [
        settings.dbt_executable(),
        *BUILD_ARGS,
        "--target-path",
        str(folder / "target"),
        "--log-path",
        str(folder / "logs"),
    ]
    runs = []
    for i in range(repeat + 1):
        child = run_child(argv, env, folder, folder / f"build_{i}.log")
        if child.returncode != 0:
            raise RuntimeError(f"bare dbt build failed, see {child.log}")
        runs.append(child)
    warm = runs[1:]
    return {
        "wall_s": statistics.median(r.wall_s for r in warm),  # the floor: parse state reused
        "cpu_s": statistics.median(r.cpu_s for r in warm),
        "first_wall_s": round(runs[0].wall_s, 3),
        "samples_s": [round(r.wall_s, 3) for r in runs],
        "max_rss_bytes": max(r.max_rss_bytes for r in runs),
    }


# --------------------------------------------------------------------------------------------------
# 5. Example queries


def query_latency(work: Path, warehouse: Path, repeat: int) -> dict:
    import duckdb

    folder = work / "analyses"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    env = {**base_env(), "PLEDGE_DBT_DATABASE": str(folder / warehouse.name)}  # compiled refs name the catalog
    child = run_child(
        [
            settings.dbt_executable(),
            "compile",
            "--quiet",
            "--no-partial-parse",
            "--select",
            "resource_type:analysis",
            "--target-path",
            str(folder / "target"),
            "--log-path",
            str(folder / "logs"),
        ],
        env,
        DBT_DIR,
        folder / "compile.log",
    )
    if child.returncode != 0:
        raise RuntimeError(f"dbt compile of the analyses failed, see {child.log}")
    compiled = sorted((folder / "target" / "compiled").glob("*/analyses/*.sql"))
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for path in compiled:
            sql = path.read_text()
            rows = len(con.execute(sql).fetchall())  # warm-up

            def once():
                start = time.perf_counter()
                con.execute(sql).fetchall()
                return time.perf_counter() - start

            median, samples = median_of(repeat, once)
            out[path.stem] = {
                "ms": round(median * 1000, 2),
                "rows": rows,
                "samples_ms": [round(s * 1000, 2) for s in samples],
            }
    return out


# --------------------------------------------------------------------------------------------------
# 8. Search (docs/search.md): the Korean analysis a run adds, and how fast a search answers

KOREAN_ANALYSIS = """\
import json, sys, time
from pipeline.load.staging import _event_tokens
from pipeline.parse.report import parse_report_text
from pipeline.raw.report_file import find_report_date

path = sys.argv[1]
text = open(path, encoding="utf-8-sig").read()
day = find_report_date(text, path)[0]
parsed = parse_report_text(text, source_file=path, report_date=day)
start = time.perf_counter()  # Kiwi's import, model and first analysis included, as in a run's parse
tokens = _event_tokens(parsed, {"municipality": "전주시", "term": 7, "report_date": day, "source_file": path})
print(json.dumps({"s": time.perf_counter() - start, "tokens": tokens.num_rows}))
"""


def korean_analysis(work: Path, repeat: int) -> dict:
    """The real report's texts analysed as its parse analyses them, in a fresh process each time (so
    with Kiwi's start): what the search costs a run of the real report, to compare with T1."""
    folder = work / "analysis"
    folder.mkdir(parents=True, exist_ok=True)
    samples, tokens = [], None
    for i in range(repeat):
        log = folder / f"analysis_{i}.log"
        child = run_child(
            [sys.executable, "-c", KOREAN_ANALYSIS, str(synthetic.SEED_REPORT)], base_env(), DBT_DIR.parent, log
        )
        if child.returncode != 0:
            raise RuntimeError(f"the Korean analysis failed, see {log}")
        found = json.loads(Path(log).read_text().strip().splitlines()[-1])
        samples.append(round(found["s"], 3))
        tokens = found["tokens"]
    return {"s": statistics.median(samples), "samples_s": samples, "tokens": tokens}


def search_latency(warehouse: Path) -> dict:
    """Every judged query of tests/search_judgements.jsonl searched once (every match, as `make search`
    gives it), after one search that starts Kiwi (which `make search` pays once per call): the median and the
    slowest, in ms."""
    import duckdb

    from bench.search_quality import JUDGEMENTS, timed_search

    queries = [json.loads(line)["query"] for line in JUDGEMENTS.read_text(encoding="utf-8").splitlines()[1:] if line]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        timed_search(con, queries[0])  # Kiwi's first analysis
        took = [timed_search(con, q)[1] * 1000 for q in queries]
    return {"queries": len(took), "median_ms": round(statistics.median(took), 1), "max_ms": round(max(took), 1)}
