# The one entry point for development commands. `make demo` and `make test` are the README's
# quick start; both create the local virtual environment (.venv) on first use.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
# Demo audit checkpoints: signed with a key kept outside the database, exported to .accord/.
DEMO_ENV := ACCORD_AUDIT__SIGNING_KEY_FILE=.accord/audit-signing-key.pem ACCORD_AUDIT__CHECKPOINT_DIR=.accord/checkpoints

.PHONY: demo serve test check lint format types imports unit migrate docs bench lock clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "Accord needs Python 3.11 (found $(PYTHON)); set PYTHON=/path/to/python3.11"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "creating the venv failed: on Debian run 'apt-get install python3.11-venv'"; exit 1; }

$(VENV)/.runtime: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime
	$(PIP) -e '.[dev]'
	@touch $@

## Run the product on the embedded SQLite database (./accord.db) with demo data, on :8000.
demo: $(VENV)/.runtime
	@test -f .accord/audit-signing-key.pem || $(BIN)/accord audit keygen --out .accord
	$(DEMO_ENV) $(BIN)/accord demo --serve

## Serve whatever ACCORD_DATABASE_URL points at (default ./accord.db).
serve: $(VENV)/.runtime
	$(BIN)/accord serve

## Apply migrations to ACCORD_DATABASE_URL.
migrate: $(VENV)/.runtime
	$(BIN)/accord db upgrade

## All checks and all tests (PostgreSQL tests run when ACCORD_TEST_POSTGRES_URL is set).
test: check unit

check: lint types imports

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: $(VENV)/.dev
	$(BIN)/mypy

imports: $(VENV)/.dev
	$(BIN)/lint-imports

unit: $(VENV)/.dev
	$(BIN)/pytest -n auto --dist loadgroup

## Regenerate docs/cli.md from the command tree.
docs: $(VENV)/.dev
	ACCORD_WRITE_DOCS=1 $(BIN)/pytest -q tests/test_docs.py

## Benchmarks (PostgreSQL): see bench/README.md.
bench: $(VENV)/.dev
	$(BIN)/python bench/agreements_lookup.py

## Re-pin every dependency after changing pyproject.toml.
lock: $(VENV)/.dev
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^accord' > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
