"""The dbt docs site: generated the way `make docs` does it (against a copy of the
warehouse the real pipeline built), served on 127.0.0.1 on a free port, and
opened in headless Chromium (started here) to check that the overview, the
model pages with their columns, a source, an exposure and an analysis render."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from pipeline.report import dbt_docs

from .analyst_fixtures import chromium, serve_directory

PROJECT = "pledge_warehouse"


@pytest.fixture(scope="module")
def site(built_warehouse, tmp_path_factory):
    target = tmp_path_factory.mktemp("dbt_docs") / "target"
    published_before = built_warehouse.warehouse.stat().st_mtime_ns
    dbt_docs.generate(built_warehouse.warehouse, target)
    assert built_warehouse.warehouse.stat().st_mtime_ns == published_before  # docs read a copy
    return target


@pytest.fixture(scope="module")
def manifest(site) -> dict:
    return json.loads((site / "manifest.json").read_text())


@pytest.fixture(scope="module")
def catalog(site) -> dict:
    return json.loads((site / "catalog.json").read_text())


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory):
    with serve_directory(site) as base, chromium(tmp_path_factory.mktemp("docs_browser")) as page:
        page.navigate(f"{base}/index.html#!/overview")
        page.wait_for("document.body.innerText.includes('Reading the numbers')", timeout=60)
        yield page


def show(page, route: str, expect: str, timeout: float = 20) -> str:
    """Switch the single-page app to a route and return the page text once `expect` shows."""
    page.evaluate(f"window.location.hash = {json.dumps('#!/' + route)}")
    page.wait_for(f"document.body.innerText.includes({json.dumps(expect)})", timeout=timeout)
    return page.evaluate("document.body.innerText")


def mart_models(manifest: dict) -> list[dict]:
    return sorted(
        (
            n
            for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["package_name"] == PROJECT and n["fqn"][1] == "marts"
        ),
        key=lambda n: n["name"],
    )


def test_overview_page_explains_grains_dates_and_counts(browser):
    text = show(browser, "overview", "Grains and join keys")
    for phrase in (
        "marts.fct_events",
        "activity per reporting period",
        "precision",
        "attendee_is_approx",
        "Example queries",
        "warehouse/parquet/",
    ):
        assert phrase in text, phrase


def test_overview_grains_table_renders_as_a_table(browser, manifest):
    """The "Grains and join keys" table is an HTML table (not `|` text), and it lists every mart."""
    show(browser, "overview", "Grains and join keys")
    tables = json.loads(
        browser.evaluate("""JSON.stringify([...document.querySelectorAll('table')].map(t =>
        [...t.rows].map(r => [...r.cells].map(c => c.textContent.trim()))))""")
    )
    grains = [t for t in tables if t and t[0] == ["table", "one row per", "keys"]]
    assert len(grains) == 1, tables
    listed = {row[0] for row in grains[0][1:]}
    assert {f"marts.{m['name']}" for m in mart_models(manifest)} <= listed
    assert all(len(row) == 3 and all(row) for row in grains[0][1:])
    text = browser.evaluate("document.body.innerText")
    assert "|---|" not in text and "| table |" not in text


# A column description reads "<English meaning> — <Korean term>. <more>": the English meaning, short, first.
DESCRIPTION_HEAD = re.compile(r"^(?P<english>[^\uac00-\ud7a3]{2,40}?) — (?P<korean>[\uac00-\ud7a3])")


def test_every_column_description_reads_english_meaning_first(manifest):
    wrong = []
    for kind in ("nodes", "sources"):
        for unique_id, node in manifest[kind].items():
            if node.get("package_name") != PROJECT or node["resource_type"] not in ("model", "seed", "source"):
                continue
            for name, column in node["columns"].items():
                description = " ".join(column["description"].split())
                if not DESCRIPTION_HEAD.match(description):
                    wrong.append(f"{unique_id}.{name}: {description[:60]}")
    assert not wrong, f"{len(wrong)} column descriptions do not start with a short English meaning:\n" + "\n".join(
        wrong
    )


def test_column_list_shows_the_english_meaning(browser, manifest):
    """The docs' column list cuts each description to the width of its cell: the first word of the
    English meaning must be in view, before the cut."""
    for model in mart_models(manifest):
        columns = list(model["columns"])
        show(browser, f"model/{model['unique_id']}", columns[-1])
        rows = json.loads(
            browser.evaluate("""JSON.stringify([...document.querySelectorAll('tr.column-row')].map(tr => {
            const cell = tr.cells[2], span = cell.querySelector('span');
            const node = [...span.childNodes].find(n => n.nodeType === 3 && n.textContent.trim());
            if (!node) return [tr.cells[0].textContent.trim(), '', false];
            const start = node.textContent.search(/\\S/), word = node.textContent.slice(start).split(' ')[0];
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + word.length);
            const inView = range.getBoundingClientRect().right <= cell.getBoundingClientRect().right;
            return [tr.cells[0].textContent.trim(), span.textContent.trim(), inView];
        }))""")
        )
        assert [r[0] for r in rows] == columns or set(r[0] for r in rows) >= set(columns), model["name"]
        for name, text, in_view in rows:
            if name not in model["columns"]:
                continue
            english = DESCRIPTION_HEAD.match(" ".join(model["columns"][name]["description"].split()))
            assert english and text.startswith(english["english"]), f"{model['name']}.{name}: {text[:60]}"
            assert in_view, f"{model['name']}.{name}: the English meaning is cut off in the column list"


def test_every_mart_model_page_shows_its_columns_with_types(browser, manifest, catalog):
    models = mart_models(manifest)
    assert {
        "fct_events",
        "fct_attendees",
        "fct_event_dates",
        "dim_period",
        "dim_pledge",
        "dim_field",
        "dim_format",
        "dim_venue",
    } <= {m["name"] for m in models}
    for model in models:
        columns = catalog["nodes"].get(model["unique_id"], {}).get("columns", {})
        assert columns, f"{model['name']} is not in the catalog: is it built in the warehouse?"
        last = list(columns)[-1]
        text = show(browser, f"model/{model['unique_id']}", last)
        assert model["name"] in text
        for name, column in columns.items():
            assert name in text, f"{model['name']}.{name} missing on its page"
            assert column["type"] in text, f"{model['name']}.{name}: type {column['type']} not shown"
        for name, column in model["columns"].items():
            first_words = column["description"].split("{{")[0].split("`")[0].strip()[:12]
            if first_words:
                assert first_words in text, f"{model['name']}.{name}: description not shown"


def test_fct_events_page_renders_korean_descriptions(browser):
    text = show(browser, f"model/model.{PROJECT}.fct_events", "attendee_is_approx")
    assert "참여 인원" in text and "인원 근사 여부" in text and "활동 (fact)" in text


def test_source_exposure_and_analysis_pages_render(browser):
    text = show(browser, f"source/source.{PROJECT}.staging.parse_issues", "파싱 문제")
    assert "parse_issues" in text
    text = show(browser, f"exposure/exposure.{PROJECT}.analyst_report", "warehouse/report/index.html")
    assert "fct_events" in text
    text = show(browser, f"analysis/analysis.{PROJECT}.monthly_activity_timeline", "월별 활동 추이")
    assert "span_precision" in text  # the query's code is shown


def test_example_queries_are_exposures(manifest):
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    analyses = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "analysis"}
    assert analyses <= set(exposures)
    assert "analyst_report" in exposures
    for exposure in exposures.values():
        assert exposure["description"].strip() and exposure["depends_on"]["nodes"], exposure["name"]


def test_every_model_seed_and_source_column_is_described(manifest, catalog):
    """The issue's bar: an analyst who reads no code understands every table and column."""
    missing = []
    for kind in ("nodes", "sources"):
        for unique_id, built in catalog[kind].items():
            node = manifest[kind].get(unique_id)
            if node is None or node["package_name"] != PROJECT:
                continue
            if not node["description"].strip():
                missing.append(unique_id)
            described = {name.lower() for name, c in node["columns"].items() if c["description"].strip()}
            missing += [f"{unique_id}.{col}" for col in built["columns"] if col.lower() not in described]
    assert not missing, f"{len(missing)} tables/columns without a description:\n" + "\n".join(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_docs_serve_command_serves_the_site(site, tmp_path):
    """`make docs-serve` runs this command, under pipeline/serve.py as make does: the launcher dies with
    pytest (PR_SET_PDEATHSIG), so even a test run killed midway leaves no server behind."""
    port = _free_port()
    log = tmp_path / "docs_serve.log"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.serve",
            "--",
            sys.executable,
            "-m",
            "pipeline.report.dbt_docs",
            "serve",
            "--port",
            str(port),
            "--target-path",
            str(site),
        ],
        stdin=subprocess.DEVNULL,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/catalog.json", timeout=2) as response:
                    assert response.status == 200 and json.loads(response.read())["nodes"]
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=5) as response:
            assert b"dbt" in response.read(2000).lower() or response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode == 0, log.read_text()  # the launcher stopped the server on request
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the docs server still listens"
