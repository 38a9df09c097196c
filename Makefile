# The front door: `make run` (demo on http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
PORT   ?= 5000
HOST   ?= 127.0.0.1
WORKERS ?= 2

.PHONY: run test test-all lint bench install install-dev db demo i18n clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt scripts/system-deps scripts/vendor-js | $(BIN)/python
	@scripts/system-deps
	@scripts/vendor-js
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt scripts/system-deps scripts/vendor-js | $(BIN)/python
	@scripts/system-deps
	@scripts/vendor-js
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

db: install
	$(FLASK) init-db

demo: db
	$(FLASK) demo

## run: set up, load the demo on first run, serve with gunicorn on $(HOST):$(PORT)
## (--timeout 120: a large campaign's dashboard is remade in the worker after its page is
## sent, 12–19 s at a million responses, which gunicorn's 30 s default leaves too little room)
run: demo
	@echo "Serving on http://$(HOST):$(PORT)  (sign in with the demo account above)"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile - \
		--timeout 120 --logger-class surveyapp.access_log.TokenMaskingLogger "app:app"

## test: everything but the slow load/crash tests (unit, integration on SQLite and PostgreSQL
## when reachable, web, browser): the one to run while working, on every core (pytest-xdist;
## each worker has its own databases), under 3 minutes
test: install-dev
	$(BIN)/pytest -m "not slow" -n auto --dist worksteal $(PYTEST_ARGS)

# the tests run with bytecode caches even where the environment turns them off
# (PYTHONDONTWRITEBYTECODE=1): without them every worker and every server a test starts
# recompiles the app, and pytest rewrites every test module's asserts again
test test-all: export PYTHONDONTWRITEBYTECODE :=

## test-all: everything, the slow load/crash tests included (what .ci/run runs)
test-all: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## bench: the load generator is Debian's wrk; installed here when missing (as root)
bench: install-dev
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; } || echo "wrk not installed: the submit benchmark will be skipped"
	$(BIN)/python -m bench

## i18n: re-extract messages and update every feature's English catalogue (compiled at
## start-up); lists the new messages to translate and fails while one has no English
i18n: install-dev
	$(BIN)/python -m surveyapp.i18n_catalogues

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
