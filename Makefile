# Two commands for a new user: `make run` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DBT_VENV := .venv-dbt
DBT_BIN := $(DBT_VENV)/bin
DBT_STAMP := $(DBT_VENV)/.installed
CLI_DIR := .venv-cli
CLI_STAMP := $(CLI_DIR)/.installed
MANIFEST := dbt_project/target/manifest.json
DBT_SOURCES := $(shell find dbt_project -path dbt_project/target -prune -o \( -name '*.sql' -o -name '*.yml' -o -name '*.csv' -o -name '*.md' \) -print 2>/dev/null)

export DAGSTER_HOME := $(CURDIR)/.dagster
# one planned event per asset for a run's partition range (see PLANNED_EVENTS_AS_SUBSET in pipeline/run.py)
export DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS := 1
export DBT_PROFILES_DIR := $(CURDIR)/dbt_project
# The database as every run's dbt names it, relative to its build folder (pipeline/defs/bin/dbt-in-build-dir):
# `make manifest` and `dagster dev`'s own `dbt parse` must see the same profile, or dbt re-parses fully.
export PLEDGE_DBT_DATABASE := pledge_activity.duckdb
# The published warehouse: one setting, read by the Dagster warehouse resource and pipeline/settings.py.
export PLEDGE_WAREHOUSE ?= $(CURDIR)/warehouse/pledge_activity.duckdb
export DO_NOT_TRACK := 1
# The shared deployment (README "Shared deployment", pipeline/shared/): selected by PLEDGE_POSTGRES_DSN and
# PLEDGE_LAKE_DATA_PATH in the environment. Dagster's storage reads the DSN with SQLAlchemy's psycopg2 driver
# named (see pipeline/defs/instance.py); `make dev`'s processes get it from here.
ifneq ($(strip $(PLEDGE_POSTGRES_DSN)),)
export PLEDGE_DAGSTER_POSTGRES_URL ?= postgresql+psycopg2://$(patsubst postgres://%,%,$(patsubst postgresql://%,%,$(strip $(PLEDGE_POSTGRES_DSN))))
endif
PG_PORT ?= 55432

.PHONY: prepare run test lint eval dev docs docs-serve bench manifest clean help sql mf search \
	shared-up shared-down shared-status shared-history shared-rollback shared-roles

help:
	@echo "make run    - build the warehouse from the reports in raw/ (through Dagster); make run ARGS=--full reloads every period"
	@echo "make test   - run the test suite (installs what it needs beyond Python, then lint, then pytest)"
	@echo "make lint   - ruff's lint and format check (configured in pyproject.toml)"
	@echo "make eval   - bring the warehouse up to date (make run) and score it against the gold annotations"
	@echo "make dev    - Dagster UI on http://127.0.0.1:3000 (runs, asset graph, checks); PORT=3001 to change"
	@echo "make docs   - the dbt docs site into dbt_project/target/ (builds the warehouse first if there is none)"
	@echo "make docs-serve - the dbt docs site on http://127.0.0.1:8080; PORT=8081 to change"
	@echo "make sql    - DuckDB shell on the warehouse, read-only; make sql Q=\"select count(*) from dim_event\""
	@echo "make search - find activities: make search Q=\"어르신 일자리\" (CITY=전주시 TERM=7 to limit it; FORMAT=json for a JSON array)"
	@echo "make mf     - ask for a metric (MetricFlow); make mf ARGS=\"query --metrics people_attended --group-by field\""
	@echo "make bench  - benchmark on synthetic reports (SIZE=200 adds a cold run; CITIES=10 for a small multi-city run;"
	@echo "              SHARED=0 leaves the shared one out; SHARED_CITIES=1 adds the multi-city run to it)"
	@echo "make clean  - remove the build folders, dbt's target and logs (the published warehouse stays)"
	@echo "make shared-up / shared-down - a local Postgres for the shared deployment (prints the three exports)"
	@echo "make shared-status           - the shared deployment's state"
	@echo "make shared-history          - every publish and rollback of the shared warehouse"
	@echo "make shared-roles ADMIN_DSN=... - the roles and grants on a managed Postgres (docs/shared-deployment.md)"
	@echo "make shared-rollback         - the shared warehouse back to the previous publish, as a new snapshot (TO=<snapshot>)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# dbt in its own environment (see dbt_project/requirements.txt), with the same duckdb as .venv.
$(DBT_STAMP): dbt_project/requirements.txt $(STAMP)
	test -x $(DBT_BIN)/python || $(PYTHON) -m venv $(DBT_VENV)
	$(DBT_BIN)/python -m pip install --quiet --upgrade pip
	$(DBT_BIN)/python -m pip install --quiet -r dbt_project/requirements.txt \
	  "duckdb==$$($(BIN)/python -c 'import duckdb; print(duckdb.__version__)')"
	touch $(DBT_STAMP)

# The dbt manifest is prepared here, at build time, never at import. It is parsed with the
# database path every run uses (relative to its build folder), so that its dbt build reuses this parse.
$(MANIFEST): $(STAMP) $(DBT_STAMP) $(DBT_SOURCES)
	cd dbt_project && ../$(DBT_BIN)/dbt parse --quiet --no-partial-parse
	@touch $(MANIFEST)

manifest: $(MANIFEST)

$(DAGSTER_HOME): | $(STAMP)
	$(BIN)/python -c "from pipeline.run import ensure_dagster_home; ensure_dagster_home()"

# Everything a run needs, made once: `bin/pledge-run` (the scheduler's entry point) calls it.
prepare: $(MANIFEST) | $(DAGSTER_HOME)

# make reports every failure as exit 2; bin/pledge-run gives a caller the documented codes.
run: prepare
	$(BIN)/python -m pipeline.run $(ARGS)

# The house rules: ruff's lint and format (configured in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# What the tests need beyond Python (browser, Korean font, LibreOffice, Postgres) first: bin/test-prerequisites
# installs it as root, or names it and stops. Then the house rules, then the suite, its 10 slowest tests listed.
# The suite runs the embedded deployment unless a test sets up its own (tests/test_shared.py starts its own
# Postgres): shared settings exported in the caller's shell must not turn every test's warehouse into theirs.
test: $(MANIFEST) $(CLI_STAMP)
	bin/test-prerequisites
	$(MAKE) -s lint
	env -u PLEDGE_POSTGRES_DSN -u PLEDGE_READER_DSN -u PLEDGE_LAKE_DATA_PATH -u PLEDGE_DAGSTER_POSTGRES_URL \
	  $(BIN)/python -m pytest -n auto --dist loadfile --durations=10 $(PYTEST_ARGS)

# Scores what the pipeline publishes, so the warehouse is brought up to date first (a run with nothing
# to do does nothing, in about a second).
# GOLD=PATH scores against other annotations; the run before it takes no ARGS of its own.
eval: ARGS =
eval: run
	$(BIN)/python -m pipeline.evaluate --warehouse "$(PLEDGE_WAREHOUSE)" $(if $(GOLD),--gold "$(GOLD)")

# The servers run under pipeline/serve.py, exec'd so that it is make's own child: Ctrl-C and SIGTERM
# stop the server and everything it started, also when make runs in the background (see its docstring).
# `dg dev` (dagster-dg-cli) reads the project from pyproject.toml's [tool.dg]; `dagster dev` is superseded
# in Dagster 1.13. VIRTUAL_ENV tells dg that .venv, the project's environment, is the active one.
dev: $(MANIFEST) | $(DAGSTER_HOME)
	@$(BIN)/python -c "from pipeline.run import ensure_dagster_home; ensure_dagster_home()"  # SQLite or Postgres storage
	@export VIRTUAL_ENV=$(CURDIR)/$(VENV); \
	exec $(BIN)/python -m pipeline.serve -- $(BIN)/dg dev --host 127.0.0.1 --port $(or $(PORT),3000)

# dbt docs site into dbt_project/target/, from a copy of the published warehouse
# (column types come from the database); builds the warehouse first if there is none.
docs: $(MANIFEST) | $(DAGSTER_HOME)
	$(BIN)/python -m pipeline.report.dbt_docs generate --build-if-missing

# DOCS_SITE serves another generated site (the tests serve one of their own).
DOCS_SITE ?= dbt_project/target
docs-serve: $(STAMP)
	test -f $(DOCS_SITE)/index.html -a -f $(DOCS_SITE)/catalog.json || $(MAKE) docs
	@exec $(BIN)/python -m pipeline.serve -- $(BIN)/python -m pipeline.report.dbt_docs serve \
	  --host 127.0.0.1 --port $(or $(PORT),8080) --target-path $(DOCS_SITE)

# Benchmark on synthetic reports (see bench/run_bench.py): prints a table, writes warehouse/bench.json;
# then the shared deployment beside the embedded one at 21 reports (bench/shared_bench.py, its own Postgres:
# warehouse/bench_shared.json). `make bench SIZE=200` adds a cold run at 200 reports for peak memory;
# SHARED=0 leaves the shared deployment out. The multi-city run is CITIES cities x CITY_REPORTS yearly
# reports (250 x 4; CITIES=0 leaves it out); SHARED_CITIES=1 runs it in the shared deployment too.
bench: $(MANIFEST)
	$(BIN)/python -m bench.run_bench --size $(or $(SIZE),21) \
	  --cities $(or $(CITIES),250) --city-reports $(or $(CITY_REPORTS),4) $(BENCH_ARGS)
	test "$(SHARED)" = 0 || $(BIN)/python -m bench.shared_bench --size 21 --repeat $(or $(SHARED_REPEAT),1) \
	  $(if $(filter 1,$(SHARED_CITIES)),--cities $(or $(CITIES),250) --city-reports $(or $(CITY_REPORTS),4))

clean:
	rm -rf warehouse/.build warehouse/.cache dbt_project/target dbt_project/logs

# The DuckDB command-line client (PyPI duckdb-cli, the same version as the duckdb in .venv), in its own
# folder: `pip install --target` puts it outside .venv's site-packages, so .venv keeps exactly the
# dependencies of pyproject.toml and the 60 MB binary is no part of the Dagster environment.
# The binary is .venv-cli/duckdb_cli/duckdb; pipeline/sql_shell.py starts it.
$(CLI_STAMP): $(STAMP)
	rm -rf $(CLI_DIR)
	$(BIN)/python -m pip install --quiet --no-deps --target $(CLI_DIR) \
	  "duckdb-cli==$$($(BIN)/python -c 'import duckdb; print(duckdb.__version__)')"
	echo '*' > $(CLI_DIR)/.gitignore
	touch $(CLI_STAMP)

# Read-only SQL shell on the published warehouse, `marts` on the search path; Q="..." runs one query.
# In the shared deployment it connects as the read-only role when PLEDGE_READER_DSN is set.
# The query goes through the environment, never through the shell, so any quotes in it are fine.
sql: export PLEDGE_SQL_QUERY = $(value Q)
sql: $(CLI_STAMP)
	@$(BIN)/python -m pipeline.sql_shell

# Korean search over the published warehouse's activities (pipeline/search/, docs/search.md): best first,
# with why each matched; FORMAT=json prints one JSON array; CITY=군산시 and TERM=7 limit it to one
# municipality and one mayoral term. The query and the limits go through the environment. TERM counts only
# on make's command line: in the environment it is the terminal's (TERM=xterm), not a mayoral term.
search: export PLEDGE_SEARCH_QUERY = $(value Q)
search: export PLEDGE_SEARCH_FORMAT = $(FORMAT)
search: export PLEDGE_SEARCH_CITY = $(value CITY)
search: export PLEDGE_SEARCH_TERM = $(if $(filter command line,$(origin TERM)),$(value TERM))
search: $(STAMP)
	@$(BIN)/python -m pipeline.search

# MetricFlow on the published warehouse, read-only (dbt_project/bin/mf; metrics in dbt_project/models/marts/
# _metrics.yml): make mf ARGS="query --metrics activities --group-by metric_time__month". It reads the
# semantic manifest that `make manifest` writes. In the shared deployment it reads the lake, as the read-only
# role when PLEDGE_READER_DSN is set.
mf: $(MANIFEST)
	@$(DBT_BIN)/python dbt_project/bin/mf $(or $(ARGS),list metrics)

# The shared deployment on one machine (pipeline/shared/cluster.py): a Postgres cluster from the Debian server
# binaries in .shared/pg (git-ignored), run as the postgres user, on 127.0.0.1:$(PG_PORT) only, TLS and SCRAM
# passwords only (generated at first start, in owner-only passfiles in .shared/pg/secrets); the lake's files
# in .shared/lake. shared-up prints the three export lines on stdout: `eval "$$(make -s shared-up)"`
# (docs/shared-deployment.md).
shared-up: $(STAMP)
	@$(BIN)/python -m pipeline.shared --port $(PG_PORT) up

# A managed Postgres set up the same way: pipeline/shared/roles.sql run as its administrator, the roles'
# passwords generated into owner-only passfiles in .shared/secrets, the export lines printed on stdout.
# ADMIN_DSN=postgresql://admin@db.example.org:5432/pledge?sslmode=require (its password in ~/.pgpass).
shared-roles: $(STAMP)
	@$(BIN)/python -m pipeline.shared --lake "$(or $(LAKE),$(CURDIR)/.shared/lake)" roles --admin-dsn "$(ADMIN_DSN)"

shared-down: $(STAMP)
	@$(BIN)/python -m pipeline.shared down

shared-status: $(STAMP)
	@$(BIN)/python -m pipeline.shared status

# Every publish and rollback of the shared warehouse: snapshot, time, run id, periods changed.
shared-history: $(STAMP)
	@$(BIN)/python -m pipeline.shared history

# The previous publish's tables become current again, as a new snapshot (TO=<snapshot> for another one).
shared-rollback: $(STAMP)
	@$(BIN)/python -m pipeline.shared rollback $(if $(TO),--to $(TO))
