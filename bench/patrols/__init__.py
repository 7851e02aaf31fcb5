"""Patrol tracks (``--only patrols``): ingestion speed, and a month's patrol figures over 30
million track points.

The figures need 2,000 grid members walking 30 days of 500 points each, not a million residents,
so they get a database of their own beside the benchmark database (``portal_bench_patrols``),
built once and reused: 2,000 grids of 20 buildings on a map (one household each), a member per
grid, a round a day each with its 500 points generated in SQL (``INSERT … SELECT
generate_series``), its distance and buildings passed worked out in SQL, and 20 visits a member
(16 on the track, 2 at a building the track did not pass then, 2 in the evening with no round).
The measuring runs in a child process on that database (``--measure-patrols``).

Ingestion writes and commits as the app server does (one transaction a batch or a request),
into the same 30-million-point table; the benchmark's own round, device and points are deleted
afterwards.
"""

import argparse
import json
import os
import subprocess
import sys

from bench.patrols.data import patrol_city_ensure, vacuum_analyze
from bench.patrols.figures import month_figures_timings
from bench.patrols.ingestion import ingestion_timings
from bench.patrols.layout import MEMBERS, SUFFIX
from bench.scratch import ROOT, DatabaseSettings, database_ensure, database_url
from bench.table import BenchFailed, Row

# --- the parent: a database of its own, measured in a child ---------------------------------


def patrol_timings(database: DatabaseSettings, options: argparse.Namespace) -> list[Row]:
    """The patrol rows, measured in a child process on the patrols' own database."""
    name = f"{database['NAME']}{SUFFIX}"
    database_ensure({**database, "NAME": name})
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url(database, name)}
    arguments = ["--measure-patrols", "--patrol-members", str(options.patrol_members)]
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


def measure_patrols(*, rebuild: bool, members: int = MEMBERS) -> list[dict]:
    rows = [patrol_city_ensure(rebuild=rebuild, members=members)]
    rows += ingestion_timings()
    vacuum_analyze()
    rows += month_figures_timings(members)
    return [row.__dict__ for row in rows]
