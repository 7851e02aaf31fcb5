"""The patrols app's SQL: the one statement that takes a batch of points.

PostgreSQL and SQLite (3.35 and later) both answer ``INSERT … ON CONFLICT DO NOTHING
RETURNING``, so one text serves both; ``tests/patrols/test_sql.py`` checks it against the ORM.
"""

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.db import connection

from patrols.models import TrackPoint

#: Rows per statement: 8 parameters each stays well under SQLite's 32,766.
_CHUNK = 500


class PointRow(NamedTuple):
    patrol_id: int
    member_id: int
    client_id: int
    recorded_at: dt.datetime
    latitude: float
    longitude: float
    accuracy_m: float | None
    flag: int


_COLUMNS = PointRow._fields
_AT = _COLUMNS.index("recorded_at")


def track_points_insert(rows: Sequence[PointRow]) -> set[int]:
    """Insert the points whose (round, client id) is new, in one statement per few hundred;
    returns the client ids inserted. A point already stored is left as it was (the first copy
    wins), without a query to look for it first: the phone sends 20 points a batch, many
    times a second across a city, and every round trip counts."""
    table = connection.ops.quote_name(TrackPoint._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    adapt = connection.ops.adapt_datetimefield_value
    inserted: set[int] = set()
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        values = ", ".join(["(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"] * len(chunk))
        parameters: list[Any] = []
        for row in chunk:
            parameters.extend(row)
            parameters[-len(_COLUMNS) + _AT] = adapt(row.recorded_at)
        sql = (
            f"INSERT INTO {table} ({columns}) VALUES {values} "
            f'ON CONFLICT ("patrol_id", "client_id") DO NOTHING RETURNING "client_id"'
        )
        with connection.cursor() as cursor:  # history: points are not historied; rounds are
            cursor.execute(sql, parameters)
            inserted.update(client_id for (client_id,) in cursor.fetchall())
    return inserted
