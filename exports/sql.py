"""The monthly figures' database-specific code, in one place: each function gives the same
answer on PostgreSQL and on SQLite, each the way that database plans it well. The figures'
queries themselves (``selectors.py``) are SQL both databases read alike.
``tests/exports/test_sql.py`` checks every function against a plain ORM or Python computation.
"""

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper

from archives.model_meta import history_model
from archives.models import Resident


def figures_database() -> str:
    """The database alias the figures read from: the router's choice for reads of the
    history (a read replica for reports, where one is configured; else ``default``). Raw SQL
    does not pass through routers, so it asks here."""
    return router.db_for_read(history_model(Resident))


def figures_connection() -> BaseDatabaseWrapper:
    return connections[figures_database()]


def history_table(model: type[models.Model]) -> str:
    return history_model(model)._meta.db_table


def latest_history_rows(model: type[models.Model], columns: list[str]) -> str:
    """SQL for the newest history row of each object dated before ``%(next)s``, deletions left
    out: its ``id``, ``history_id`` and ``columns``.

    PostgreSQL gets ``DISTINCT ON``: it plans it from the column's distinct count, where a
    ``row_number() = 1`` filter is guessed at a fraction of a percent of the rows and joins
    of such guesses become nested loops over a million rows (minutes instead of seconds).
    SQLite has no ``DISTINCT ON`` and plans the window function well enough.
    """
    cols = ", ".join(["id", "history_id", *columns])
    table = history_table(model)
    if figures_connection().vendor == "postgresql":
        return (
            f"SELECT {cols} FROM (SELECT DISTINCT ON (id) {cols}, history_type FROM {table} "
            "WHERE history_date < %(next)s ORDER BY id, history_date DESC, history_id DESC) AS w "
            "WHERE history_type <> '-'"
        )
    return (
        f"SELECT {cols} FROM (SELECT {cols}, history_type, ROW_NUMBER() OVER ("
        "PARTITION BY id ORDER BY history_date DESC, history_id DESC) AS rn "
        f"FROM {table} WHERE history_date < %(next)s) AS w "
        "WHERE rn = 1 AND history_type <> '-'"
    )


def fetch_all(sql: str, params: dict) -> list[tuple]:
    """The rows of a query with named parameters (``%(next)s``)."""
    # Read-only: history tables are read here, never written.
    with figures_connection().cursor() as cursor:  # history: read-only queries
        cursor.execute(sql, params)
        return cursor.fetchall()


def whole_table_joins() -> None:
    """On PostgreSQL, no nested loops for the rest of this transaction.

    Every figure's query joins month-end snapshots of whole tables. Where statistics are
    missing or stale (a city just imported, before autovacuum analyses it) the planner takes a
    snapshot for a few hundred rows and nests loops over it: 51 s instead of 1 s for the
    demo city. Hash and merge joins are right at every size, so the choice is not left to
    estimates. SQLite has no such setting, nor needs one.

    Two more settings for the same transaction. No JIT: each figure's query is costed far
    above ``jit_above_cost`` and compiled 74 functions for 1.5 s (EXPLAIN ANALYZE on the
    million-resident city) to save less than that on a single pass over the rows. A larger
    ``work_mem``: the snapshots' sorts and hashes (half a million households) spilled to disk
    at the default 4 MB.
    """
    connection = figures_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # history: planner settings, write no row
            # One statement for the three (SET LOCAL each): set_config(..., true).
            cursor.execute(
                "SELECT set_config('enable_nestloop', 'off', true), "
                "set_config('jit', 'off', true), set_config('work_mem', '128MB', true)"
            )
