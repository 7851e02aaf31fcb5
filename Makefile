# The two commands a new machine needs are `make run` and `make test`; everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench
BENCH_RESIDENTS ?= 1000000

.PHONY: install run worker serve loadtest test lint format bench bench-audit-draw messages

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Background jobs (README, "Background jobs") go through Redis to a Celery worker. `make run`
# starts a local Redis where it is installed and not running (unless REDIS_URL or
# CELERY_BROKER_URL names another), and one worker beside the dev server (stopped with it; it
# does not reload on code changes: stop and start again), with Celery beat in it (-B), which
# sends the periodic work (the dashboards' figures, portal/tasks.py). With Redis, the
# cache is Redis too (CACHE_URL), so that the job's page sees the worker's progress. Without
# Redis, jobs run inside the request that starts them (JOBS_IN_REQUEST=1).
RUN_ADDR ?= 127.0.0.1:8000
WORKER_CONCURRENCY ?= 1
REDIS_PING := $(BIN)/python -c "import os, redis; redis.Redis.from_url(os.environ.get('CELERY_BROKER_URL') or os.environ.get('REDIS_URL') or 'redis://127.0.0.1:6379/0', socket_connect_timeout=1).ping()" 2>/dev/null

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty --address $(RUN_ADDR)
	@if [ -z "$$REDIS_URL$$CELERY_BROKER_URL" ] && ! $(REDIS_PING) \
			&& command -v redis-server >/dev/null 2>&1; then \
		echo "--- starting Redis (redis-server --daemonize yes)"; \
		redis-server --daemonize yes --save '' --appendonly no >/dev/null; \
		for i in 1 2 3 4 5 6 7 8 9 10; do $(REDIS_PING) && break; sleep 0.5; done; \
	fi; \
	if $(REDIS_PING); then \
		export CACHE_URL="$${CACHE_URL:-$${REDIS_URL:-redis://127.0.0.1:6379/1}}"; \
		$(BIN)/celery -A portal worker -B --loglevel INFO --concurrency $(WORKER_CONCURRENCY) & \
		worker=$$!; \
		trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
		trap 'exit 130' INT TERM; \
		$(BIN)/python manage.py runserver $(RUN_ADDR); \
	else \
		echo "--- Redis is not available: jobs run inside the request (JOBS_IN_REQUEST=1)"; \
		JOBS_IN_REQUEST=1 $(BIN)/python manage.py runserver $(RUN_ADDR); \
	fi

# One Celery worker for background jobs, against DATABASE_URL and REDIS_URL (production runs
# one or more of these beside the app servers; see README, "Production"). It runs Celery beat,
# the periodic work's clock, unless BEAT=0: exactly one beat must run, so with several workers
# start all but one with BEAT=0.
BEAT ?= 1
BEAT_FLAG = $(if $(filter-out 0,$(BEAT)),-B)
worker: install
	$(BIN)/celery -A portal worker $(BEAT_FLAG) --loglevel INFO --concurrency $(WORKER_CONCURRENCY)

# Production-style serving on one machine: Redis (started here when it is installed and does
# not answer), gunicorn with whitenoise and one Celery worker, against DATABASE_URL (see README,
# "Production"). Ctrl-C stops both; so does either one ending. Collects static files first;
# migrations stay an explicit, deliberate step. With WORKER=0 the worker runs elsewhere; the
# worker runs Celery beat unless BEAT=0 (exactly one beat: see `worker` above).
BIND ?= 127.0.0.1:8000
# gunicorn's default access log with the path instead of the whole request line: query strings
# carry secrets (a tracking app's device token, patrols/osmand/?id=…) and what people searched
# for (residents' names, ID numbers), and stay out of the log.
ACCESS_LOG_FORMAT ?= '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s"'
WORKERS ?= 3
# Two threads a process: while one request waits for PostgreSQL the other uses the CPU, and a
# slow download holds a thread, not a whole process. More threads only contend for the GIL.
THREADS ?= 2
WORKER ?= 1
# Seconds an idle keep-alive connection stays open. Longer than the proxy's own idle timeout
# for its upstream connections (nginx: 60 s), so the proxy, not gunicorn, closes idle ones:
# with gunicorn's default of 2 s a request sent on a connection gunicorn was closing that
# instant failed as "connection reset" (the load test's people, reading a page for 1-5 s,
# hit it 32 times in 12,000 requests). gthread keeps idle connections in its poller, not a thread.
KEEPALIVE ?= 75
# The shared cache on the local Redis (its database 1; Celery's broker uses database 0).
serve: export CACHE_URL ?= redis://127.0.0.1:6379/1
# `wait -n` (either process ending stops the other) is bash's.
serve: SHELL := /bin/bash
serve: install
	@test -n "$$DATABASE_URL" || { echo "DATABASE_URL must be set (see README, Production)"; exit 1; }
	$(BIN)/python manage.py check --deploy --fail-level WARNING
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@redis-cli -u "$$CACHE_URL" ping >/dev/null 2>&1 || ! command -v redis-server >/dev/null \
		|| redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save '' >/dev/null
	@set -m; trap 'kill $$pids 2>/dev/null; wait' EXIT INT TERM; pids=; \
	if [ "$(WORKER)" != 0 ]; then \
		$(BIN)/celery -A portal worker $(BEAT_FLAG) --concurrency 1 --loglevel INFO & pids="$$!"; \
	fi; \
	$(BIN)/gunicorn portal.wsgi --bind $(BIND) --workers $(WORKERS) \
		--worker-class gthread --threads $(THREADS) --keep-alive $(KEEPALIVE) --access-logfile - \
		--access-logformat $(ACCESS_LOG_FORMAT) & pids="$$pids $$!"; \
	wait -n $$pids

# A load test of a running `make serve` (loadtest/locustfile.py): LOADTEST_USERS simulated
# people for LOADTEST_DURATION, then requests/s, p50/p95/p99 per page and errors, and whether
# every accepted write is in the history exactly once (loadtest/check_writes.py, which reads
# the same DATABASE_URL the server uses). Never against a production database: it edits residents.
LOADTEST_HOST ?= http://127.0.0.1:8000
LOADTEST_USERS ?= 50
# People start one a second, as an office fills in the morning: each sign-in checks a password
# hash on purpose slowly (PBKDF2, 1,000,000 rounds, 223 ms of CPU), so 50 sign-ins in 10 s
# (a rate of 5) held both cores for about 6 s and every page waited behind them.
LOADTEST_SPAWN_RATE ?= 1
LOADTEST_DURATION ?= 10m
LOADTEST_WRITES ?= loadtest/writes.jsonl
loadtest: install
	@test -n "$$DATABASE_URL" || { echo "DATABASE_URL must be set: the server's database"; exit 1; }
	test -x $(BIN)/locust || $(BIN)/python -m pip install --quiet -e '.[load]'
	rm -f $(LOADTEST_WRITES)
	LOADTEST_WRITES=$(LOADTEST_WRITES) $(BIN)/locust -f loadtest/locustfile.py --headless \
		--host $(LOADTEST_HOST) --users $(LOADTEST_USERS) --spawn-rate $(LOADTEST_SPAWN_RATE) \
		--run-time $(LOADTEST_DURATION) --stop-timeout 30 --only-summary; \
	status=$$?; $(BIN)/python -m loadtest.check_writes $(LOADTEST_WRITES) && exit $$status

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
