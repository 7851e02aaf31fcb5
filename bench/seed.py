"""How long ``seed_demo`` takes a user for the full demo city, on SQLite and on PostgreSQL,
each on a scratch database of its own."""

import tempfile

from bench.scratch import DatabaseSettings, scratch_database, seed_demo_timed
from bench.table import Row


def seed_demo_timings(database: DatabaseSettings) -> list[Row]:
    """Time `seed_demo` as a user runs it, for the full demo city, on scratch databases."""
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        seconds = seed_demo_timed(f"sqlite:///{scratch}/seed.sqlite3")
        rows.append(Row("seed_demo, demo city (60,000 residents), SQLite", f"{seconds:.1f}", "s"))
    with scratch_database(database, "seed") as url:
        seconds = seed_demo_timed(url)
        rows.append(
            Row("seed_demo, demo city (60,000 residents), PostgreSQL", f"{seconds:.1f}", "s")
        )
    return rows
