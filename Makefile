# The two commands a new machine needs are `make run` and `make test`; everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench
BENCH_RESIDENTS ?= 1000000

.PHONY: install run serve test lint format bench bench-audit-draw messages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Production-style serving: gunicorn with whitenoise, against DATABASE_URL (see README,
# "Production"). Collects static files first; migrations stay an explicit, deliberate step.
BIND ?= 127.0.0.1:8000
# gunicorn's default access log with the path instead of the whole request line: query strings
# carry secrets (a tracking app's device token, patrols/osmand/?id=…) and what people searched
# for (residents' names, ID numbers), and stay out of the log.
ACCESS_LOG_FORMAT ?= '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
WORKERS ?= 3
serve: install
	@test -n "$$DATABASE_URL" || { echo "DATABASE_URL must be set (see README, Production)"; exit 1; }
	$(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/gunicorn portal.wsgi --bind $(BIND) --workers $(WORKERS) --access-logfile - \
		--access-logformat $(ACCESS_LOG_FORMAT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench --residents $(BENCH_RESIDENTS)

# Only the audit draw row (on the same benchmark city).
bench-audit-draw: install
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m bench --residents $(BENCH_RESIDENTS) --only audit-draw

# Regenerate translations after changing strings; the compiled .mo files are committed so that
# a fresh machine needs no gettext.
messages: install
	$(BIN)/python manage.py makemessages --locale zh_Hans --ignore '.venv/*' --no-obsolete
	$(BIN)/python manage.py compilemessages --locale zh_Hans --ignore '.venv/*'
