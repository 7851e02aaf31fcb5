"""What every benchmark leaves behind: nothing. Measured writes are rolled back, scratch
databases dropped, and a figure that needs a process of its own gets one.

The benchmark database is the one DATABASE_URL names; scratch databases live on the same
server, named after it (``portal_bench_seed``, ``portal_bench_report_demo``).
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import transaction

from bench.table import BenchFailed

ROOT = Path(settings.BASE_DIR)

#: A DATABASES entry, as settings.DATABASES holds it.
DatabaseSettings = Mapping[str, Any]


@contextmanager
def rolled_back() -> Iterator[None]:
    """A transaction for a measured write that is always rolled back: the benchmark database
    stays as it was, whatever was measured inside."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _server_params(database: DatabaseSettings) -> dict:
    params = {
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
    }
    return {k: v for k, v in params.items() if v}


def database_url(database: DatabaseSettings, name: str) -> str:
    """The URL of database ``name`` on the server of ``database`` (a ``DATABASES`` entry)."""
    params = _server_params(database)
    auth = params.get("user", "")
    if params.get("password"):
        auth += f":{params['password']}"
    return f"postgres://{auth}@{params.get('host', '')}:{params.get('port', 5432)}/{name}"


@contextmanager
def _server(database: DatabaseSettings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(**_server_params(database), dbname="postgres") as server:
        server.autocommit = True
        yield server


def database_ensure(database: DatabaseSettings) -> None:
    """Create the benchmark database if the server has none of that name."""
    with _server(database) as server:
        exists = server.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]
        ).fetchone()
        if not exists:
            print(f"creating database {database['NAME']}", file=sys.stderr)
            server.execute(f'CREATE DATABASE "{database["NAME"]}"')


@contextmanager
def scratch_database(database: DatabaseSettings, suffix: str) -> Iterator[str]:
    """A new, empty database beside the benchmark database for the time of the block (its
    URL), dropped afterwards even while a process still holds it."""
    name = f"{database['NAME']}_{suffix}"
    with _server(database) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
        try:
            yield database_url(database, name)
        finally:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_demo_timed(database_url: str) -> float:
    """Migrate the database at ``database_url``, then time ``seed_demo`` as a user runs it."""
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    started = time.perf_counter()
    subprocess.run([*manage, "seed_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measured_in_child(*arguments: str, database_url: str | None = None) -> dict:
    """Run ``python -m bench ARGUMENTS`` in a fresh process (on ``database_url``, or on this
    process's database) and return the figures it prints as JSON on its last line."""
    env = {**os.environ, "DEBUG": "1"} if database_url else dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    done = subprocess.run(
        [sys.executable, "-m", "bench", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise BenchFailed(f"bench {' '.join(arguments)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
