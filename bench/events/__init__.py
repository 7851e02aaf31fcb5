"""Events (``--only events``): the events list with its lights as each role opens it, at
100,000 events, and a month's event figures for 2,000 grids.

The rows need 100,000 events in 2,000 grids, not a million residents, so they get a database of
their own beside the benchmark database (``portal_bench_events``), built once and reused
(``bench.events.data``). The measuring runs in a child process on that database
(``--measure-events``).
"""

import argparse
import json
import os
import subprocess
import sys

from bench.events.data import events_data_ensure
from bench.events.layout import EVENTS, SUFFIX
from bench.events.rows import figures_timings, list_timings
from bench.scratch import ROOT, DatabaseSettings, database_ensure, database_url
from bench.table import BenchFailed, Row

# --- the parent: a database of its own, measured in a child ---------------------------------


def event_timings(database: DatabaseSettings, options: argparse.Namespace) -> list[Row]:
    """The events rows, measured in a child process on the events' own database."""
    name = f"{database['NAME']}{SUFFIX}"
    database_ensure({**database, "NAME": name})
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url(database, name)}
    arguments = ["--measure-events", "--events", str(options.events)]
    arguments += ["--requests", str(options.requests)]
    arguments += ["--rebuild"] if options.rebuild else []
    # Progress (a first build takes minutes) goes to this terminal; the figures come back as
    # JSON on the last line of the child's output.
    done = subprocess.run(
        [sys.executable, "-m", "bench", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    if done.returncode:
        raise BenchFailed(f"bench {' '.join(arguments)} failed (see above)")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return [Row(**row) for row in rows]


# --- the child ---------------------------------------------------------------------------------


def measure_events(*, rebuild: bool, events: int = EVENTS, requests: int = 30) -> list[dict]:
    rows = [events_data_ensure(rebuild=rebuild, events=events)]
    rows += list_timings(requests)
    rows += figures_timings()
    return [row.__dict__ for row in rows]
