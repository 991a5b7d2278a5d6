# The two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The address `make run` prints in emails, QR codes, share links and Confirmations of Entry: follows HOST and PORT.
SITE_URL ?= http://$(HOST):$(PORT)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# The real Celery worker of tests/integration takes its tasks from here (never 0, never the cache's database).
TEST_BROKER_URL ?= redis://127.0.0.1:6379/14

# Debian packages the PDFs need (WeasyPrint's HarfBuzz subsetting, fonts: DejaVu for Latin, Greek, Cyrillic and
# Arabic, Noto CJK for Chinese names) and the tests use (pdftoppm, and
# Chromium for the browser tests: Playwright drives Debian's build and never downloads one; zbarimg reads
# the QR codes printed on certificates; gettext compiles and checks the translations; faketime runs the
# suite again with the clock moved to a 29 February; pgbouncer stands in front of the database as production's
# transaction pooler in tests/test_pgbouncer.py and `make bench`).
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-noto-cjk poppler-utils chromium \
	zbar-tools gettext faketime libfaketime pgbouncer

.PHONY: run test test-browser test-integration lint lock python3-venv bench embargo-long services-check system-deps messages clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	@# Debian's own python3 makes virtualenvs only with python3-venv installed.
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || $(MAKE) --no-print-directory python3-venv
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installs come from the lock files (exact versions and their hashes), so every machine and every CI run gets
# the same packages; `make lock` refreshes them from pyproject.toml. Stamps: reinstall only when a lock changes.
$(VENV)/.installed-run: requirements/run.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements/run.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: requirements/dev.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@ $(VENV)/.installed-run

LOCK = $(VENV)/bin/pip-compile --quiet --strip-extras --generate-hashes --allow-unsafe --no-emit-index-url \
	--no-emit-find-links --upgrade
lock: $(VENV)/.installed-dev
	$(LOCK) -o requirements/run.txt pyproject.toml
	$(LOCK) --extra dev -o requirements/dev.txt pyproject.toml

# The scheduled jobs (release due, results files, document sweeps…) run beside the server in a process of
# their own, reading the same table as Celery beat in production; stopping the server stops them too.
run: $(VENV)/.installed-run
	$(PY) manage.py migrate --no-input
	SITE_URL=$(SITE_URL) $(PY) manage.py load_demo
	SITE_URL=$(SITE_URL) $(PY) manage.py run_schedule & scheduler=$$!; \
		trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
		SITE_URL=$(SITE_URL) $(PY) manage.py runserver $(HOST):$(PORT)

# Installs the Debian packages in $(1) that are missing when we are root on a Debian machine (ours and CI);
# elsewhere it names them and stops.
define apt_install
	@missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing" $$missing; \
		(apt-get install -y -q --no-install-recommends $$missing >/dev/null 2>&1 || \
		 (apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $$missing >/dev/null)); \
	else \
		echo "Please install these Debian packages:" $$missing; exit 1; \
	fi
endef

python3-venv:
	$(call apt_install,python3-venv)

system-deps:
	$(call apt_install,$(SYSTEM_PACKAGES))

services-check: $(VENV)/.installed-dev
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) scripts/check_services.py

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# axe-core for the browser tests' accessibility checks and Digital Bazaar's Data Integrity libraries for the
# credential interop test (verification/tests/test_interop.py); reinstalled only when package.json or its lock changes.
node_modules/.installed: package.json $(wildcard package-lock.json)
	@command -v npm >/dev/null || { echo "npm is needed for the browser tests (Debian: apt-get install npm)"; exit 1; }
	if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; \
	else npm install --no-audit --no-fund --loglevel=error; fi
	@touch $@

# The browser journeys run in their own pytest process after the main suite (Playwright's event loop and
# DJANGO_ALLOW_ASYNC_UNSAFE stay out of it); screenshots go to test-artifacts/screenshots/.
BROWSER_TESTS = DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	$(PY) -m pytest tests/browser

# A real Celery worker and SMTP server (tests/integration/conftest.py), in a pytest process of their own.
INTEGRATION_TESTS = DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	INTEGRATION_BROKER_URL=$${INTEGRATION_BROKER_URL:-$(TEST_BROKER_URL)} $(PY) -m pytest tests/integration

test: system-deps services-check lint node_modules/.installed
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		DJANGO_SETTINGS_MODULE=results_portal.settings.test \
		$(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) -m pytest
	@# The same suite with the clock moved to the first 29 February at least a year ahead (libfaketime).
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) scripts/moved_clock.py
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PY) -m pytest tests/faults
	$(INTEGRATION_TESTS)
	$(BROWSER_TESTS)

test-browser: system-deps services-check node_modules/.installed
	$(BROWSER_TESTS)

test-integration: system-deps services-check
	$(INTEGRATION_TESTS)

# Load tests, throughput figures and slow fault scenarios against floors measured in the same run (BENCHMARKS.md).
# Uses our own databases (bench_*) and Redis database 5 on the same servers as the tests; wrk drives the load.
# BENCH_SCALE=0.1 for a quick run; `$(PY) -m benchmarks bench_import` runs one module.
bench: system-deps services-check
	$(call apt_install,wrk redis-server)
	$(PY) -m benchmarks

# The stateful embargo test with new random sequences, many more of them (about an hour): not part of make test.
embargo-long: services-check
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		EMBARGO_RANDOM=1 EMBARGO_EXAMPLES=$${EMBARGO_EXAMPLES:-500} EMBARGO_STEPS=$${EMBARGO_STEPS:-25} EMBARGO_SHRINK=1 \
		$(PY) -m pytest tests/test_embargo_stateful.py -p no:cacheprovider

messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages --all --ignore='.venv/*' --ignore='benchmarks/*'
	$(PY) manage.py compilemessages --ignore='.venv/*'

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache staticfiles
