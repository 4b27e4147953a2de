# Two commands for a new user: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.md' \) -print 2>/dev/null)

export DAGSTER_HOME := $(CURDIR)/.dagster
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
export DO_NOT_TRACK := 1

.PHONY: run test eval dev docs docs-serve bench manifest clean help

help:
	@echo "make run    - build the warehouse from the reports in raw/ (through Dagster)"
	@echo "make test   - run the test suite"
	@echo "make eval   - score the built warehouse against the gold annotations"
	@echo "make dev    - Dagster UI on http://localhost:3000 (runs, asset graph, checks)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The dbt manifest is prepared here, at build time, never at import. It is parsed with the
# database path `make run` uses, so that run's dbt build can reuse this parse.
$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	cd dbt_project && PLEDGE_DBT_DATABASE=$(CURDIR)/warehouse/.build/pledge_activity.duckdb ../$(BIN)/dbt parse --quiet --no-partial-parse
	@touch $(MANIFEST)

manifest: $(MANIFEST)

$(DAGSTER_HOME): | $(STAMP)
	$(BIN)/python -c "from pipeline.run import ensure_dagster_home; ensure_dagster_home()"

run: $(MANIFEST) | $(DAGSTER_HOME)
	$(BIN)/python -m pipeline.run $(ARGS)

test: $(MANIFEST)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

eval: $(STAMP)
	$(BIN)/python -m pipeline.evaluate --warehouse warehouse/pledge_activity.duckdb

dev: $(MANIFEST) | $(DAGSTER_HOME)
	$(BIN)/dagster dev -m pipeline.definitions -h 127.0.0.1 -p 3000

# dbt docs site into dbt_project/target/, from a copy of the published warehouse
# (column types come from the database); builds the warehouse first if there is none.
docs: $(MANIFEST) | $(DAGSTER_HOME)
	$(BIN)/python -m pipeline.report.dbt_docs generate --build-if-missing

docs-serve: $(STAMP)
	test -f dbt_project/target/index.html -a -f dbt_project/target/catalog.json || $(MAKE) docs
	$(BIN)/python -m pipeline.report.dbt_docs serve --host 127.0.0.1 --port $(or $(PORT),8080)

# Benchmark on synthetic reports (see bench/run_bench.py): prints a table, writes warehouse/bench.json.
# `make bench SIZE=2000` adds a cold run at 2,000 reports for peak memory.
bench: $(MANIFEST)
	$(BIN)/python -m bench.run_bench --size $(or $(SIZE),200) $(BENCH_ARGS)

clean:
	rm -rf warehouse/.build warehouse/.cache dbt_project/target dbt_project/logs
