# One task runner: the README and CI call these targets verbatim.
#   make run    install, build the PWA, seed demo data, serve on http://localhost:8000
#   make test   install everything the tests need on a bare machine, then run pytest
#   make lint   ruff
#   make bench  the benchmarks under bench/ (figures go to bench/RESULTS.md by hand)
#   make test-faults  the slow fault tests left out of `make test` (marker `faults`: Patroni fail-over)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM := /usr/lib/chromium/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-faults lint bench install install-test pwa interop push-testing a11y chromium servers clean

# `make run` installs what serving needs; the tests' extras (pytest, playwright, schemathesis, ruff)
# come with `make test`, `make lint` and `make bench` only.
install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

pwa/node_modules/.installed: pwa/package.json pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund --loglevel=error
	touch $@

pwa: pwa/node_modules/.installed
	cd pwa && npm run --silent build

tests/interop/node_modules/.installed: tests/interop/package.json tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	touch $@

interop: tests/interop/node_modules/.installed

# The mock push service (npm web-push-testing) the push tests and bench start.
tests/push/node_modules/.installed: tests/push/package.json tests/push/package-lock.json
	cd tests/push && npm ci --no-audit --no-fund --loglevel=error
	touch $@

push-testing: tests/push/node_modules/.installed

# axe-core, injected into the pages of the accessibility tests (tests/test_a11y.py).
tests/a11y/node_modules/.installed: tests/a11y/package.json tests/a11y/package-lock.json
	cd tests/a11y && npm ci --no-audit --no-fund --loglevel=error
	touch $@

a11y: tests/a11y/node_modules/.installed

# Browser tests drive Debian's chromium through playwright; `playwright install` cannot download here.
chromium:
	@test -x $(CHROMIUM) || ( $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium fonts-noto-core )

# The scale-out tests start a real PostgreSQL and HAProxy themselves (tests/pg.py, tests/cluster.py),
# the point-in-time recovery test pgBackRest (tests/test_pitr.py), the fail-over test etcd and
# Patroni (tests/patroni.py); they need only the Debian packages. `make run` needs none of them:
# SQLite is the embedded default.
servers:
	@( ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v haproxy >/dev/null && \
		command -v pgbackrest >/dev/null && command -v patroni >/dev/null && command -v etcd >/dev/null ) || \
		( $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q postgresql haproxy pgbackrest patroni etcd-server )

run: install pwa
	$(BIN)/sos seed-demo
	@echo "Serving on http://localhost:$(PORT)  (citizen /, officer /officer/, command center /center/)"
	@echo "Another port or address: make run PORT=9000 HOST=0.0.0.0"
	$(BIN)/sos serve --host $(HOST) --port $(PORT)

# Two passes, side by side, each test once where once is enough (`--side-by-side`, tests/conftest.py):
# the SQLite pass runs the browser and fuzz tests and what reaches a database; the PostgreSQL pass
# runs what reaches a database, the multi-process tests (they always use PostgreSQL), what never
# touches a database and needs no browser, and the browser tests of a few modules
# (BROWSER_ON_POSTGRESQL), so that the two passes end together. The SQLite pass prints as it goes;
# the PostgreSQL pass's output is kept in .pytest-postgresql.log and shown at the end.
PG_PASS := SOS_TEST_BACKEND=postgresql $(BIN)/pytest -p no:cacheprovider \
	-m "not fuzz and not faults" --side-by-side

test: install-test pwa interop push-testing a11y chromium servers
	@$(PG_PASS) > .pytest-postgresql.log 2>&1 & pg=$$!; \
	$(BIN)/pytest -m "not faults and not multiprocess" --side-by-side; sqlite=$$?; \
	wait $$pg; postgresql=$$?; \
	echo; echo "=== the PostgreSQL pass (SOS_TEST_BACKEND=postgresql), run beside the SQLite one ==="; \
	cat .pytest-postgresql.log; \
	echo "SQLite pass: exit $$sqlite; PostgreSQL pass: exit $$postgresql"; \
	test $$sqlite = 0 && test $$postgresql = 0

# The fault tests (marker `faults`): the primary's PostgreSQL SIGKILLed under Patroni + etcd while
# two web processes take reports; ~50 s, figures in bench/RESULTS.md ("Automatic fail-over").
test-faults: install-test servers
	$(BIN)/pytest -p no:cacheprovider -m faults -s

lint: install-test
	$(BIN)/ruff check .

bench: install-test pwa interop push-testing servers
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) pwa/node_modules pwa/dist tests/interop/node_modules tests/push/node_modules tests/a11y/node_modules
