# Comptoir — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DOMAINS := stores catalog customers pricing loyalty inventory carts orders payments returns receipts storefront seller backoffice

.PHONY: run test lint typecheck contracts pytest bench bench-quick migration i18n install lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The exact versions (and their hashes) come from the lock files; the package itself is installed without
# resolving anything again. requirements.lock: what runs Comptoir, with the demo and redis extras;
# requirements-dev.lock: the same versions plus the test and lint tools.
$(STAMP): $(BIN)/python pyproject.toml requirements.lock requirements-dev.lock
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

## make lock: re-resolve both lock files after a change of dependencies in pyproject.toml
LOCK_TOOLS := var/lock-tools
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock:
	test -x $(LOCK_TOOLS)/bin/pip-compile || ($(PYTHON) -m venv $(LOCK_TOOLS) && $(LOCK_TOOLS)/bin/pip install --quiet pip-tools)
	$(LOCK_TOOLS)/bin/pip-compile $(LOCK_FLAGS) --extra demo --extra redis -o requirements.lock pyproject.toml
	$(LOCK_TOOLS)/bin/pip-compile $(LOCK_FLAGS) --extra demo --extra redis --extra dev -c requirements.lock \
		-o requirements-dev.lock pyproject.toml

## make run: install, migrate the SQLite database, load the demo retailer, serve on :8000 (PORT=… to change)
PORT ?= 8000
run: $(STAMP)
	$(BIN)/comptoir migrate
	$(BIN)/comptoir demo
	$(BIN)/comptoir serve --host 127.0.0.1 --port $(PORT)

## make test: lint, type checks, import contracts, the whole test suite
test: lint typecheck contracts pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

# The suite on every core (pytest-xdist; each worker makes its own scratch databases and, for the browser
# tests, its own live server). `make test PYTEST_WORKERS=0` runs it in one process.
PYTEST_WORKERS ?= auto
pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS)

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

bench-quick: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b --quick || exit 1; done

## make migration m="orders: add pickup deadline": autogenerate a revision from the models
migration: $(STAMP)
	rm -f var/migration-scratch.db
	COMPTOIR_DATABASE_URL=sqlite:///var/migration-scratch.db $(BIN)/comptoir migrate
	$(BIN)/python -c "import sys; from comptoir.core.migrate import revision; revision('sqlite:///var/migration-scratch.db', sys.argv[1])" "$(m)"
	rm -f var/migration-scratch.db

## make i18n: extract new message ids into every package's French catalogue (then translate them)
i18n: $(STAMP)
	$(BIN)/python -m comptoir.core.i18n $(foreach p,core $(DOMAINS),comptoir.$(p))

clean:
	rm -rf $(VENV) var/comptoir.db* .mypy_cache .ruff_cache
