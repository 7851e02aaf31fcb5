"""The archive's database-specific code, in one place: each function gives the same answer on
PostgreSQL (where the archive runs) and on SQLite (the demo and the tests), each the way that
database does it fast. ``tests/archives/test_sql.py`` checks every function against a plain
ORM or Python computation on whichever database the suite runs on.

``bulk.py`` beside it writes many rows at once (COPY on PostgreSQL); everything else that
branches on the database, or sends it SQL of its own, is here.
"""

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import connection, models
from django.db.models import QuerySet
from django.db.models.expressions import OrderBy, RawSQL
from django.db.models.functions import Collate, Reverse

from archives.model_meta import concrete_field, history_model
from archives.models import Resident

#: SQLite's page cache while a whole city is written: 256 MB (negative: in KiB).
_LARGE_WRITES_CACHE_KIB = 262144


def estimated_rows(table: str) -> int | None:
    """PostgreSQL's planner estimate of a table's rows (``pg_class.reltuples``, kept by
    autovacuum and ANALYZE); None where there is none (SQLite, or a table never analysed)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:  # history: a catalogue read, no archive rows
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    if row is None or row[0] < 0:
        return None
    return int(row[0])


def phone_suffix_ids(digits: str) -> QuerySet[Resident, Any]:
    """Residents whose phone ends with ``digits``. On PostgreSQL as a prefix of the reversed
    number, which the functional index answers; SQLite (demo and tests) scans."""
    if connection.vendor == "postgresql":
        reversed_phone = Resident.objects.annotate(phone_reversed=Reverse("phone"))
        ending = reversed_phone.filter(phone_reversed__startswith=digits[::-1])
        return ending.order_by().values("pk")
    return Resident.objects.filter(phone__endswith=digits).order_by().values("pk")


#: The index that serves both: migration 0016.
NAME_ORDER_INDEX = "resident_name_order"


def name_order() -> list[OrderBy]:
    """Residents by name, then ID: the order of index ``resident_name_order``, so a list in
    this order, narrowed to names starting with a term, reads the first rows of that index and
    stops. Names compare as their characters' code points: on PostgreSQL in the "C"
    collation, which the index has (a prefix search reads an index only in that collation or
    with a pattern operator class, and ORDER BY only in the index's collation: "C" serves both;
    the database's C.UTF-8 orders the same but the planner cannot know it); SQLite compares
    text that way by default."""
    name = Collate("name", "C") if connection.vendor == "postgresql" else models.F("name")
    return [name.asc(), models.F("id").asc()]


#: Values a query names at most where they are not one array parameter (``values_among``'s
#: chunks off PostgreSQL): within SQLite's limit of 999 parameters.
ID_CHUNK = 900


def values_among(
    queryset: QuerySet[Any, Any], field: str, values: list, *, chunk: int
) -> Iterator[QuerySet[Any, Any]]:
    """``queryset`` filtered to the rows whose ``field`` is one of ``values``, as querysets
    that together hold them all, each row in one of them. On PostgreSQL one queryset, the
    values one array parameter: the chunks of a few thousand values this takes elsewhere each
    made the planner scan a million residents, and psycopg rewrote every placeholder (an
    import's 100,000 ID numbers spent 3 s in 20 such queries, 0.6 s in one). Elsewhere
    chunks of ``chunk`` values, within SQLite's parameter limit."""
    if not values:
        return
    if connection.vendor == "postgresql":
        quote, model = connection.ops.quote_name, queryset.model
        column = f"{quote(model._meta.db_table)}.{quote(concrete_field(model, field).column)}"
        one_of = RawSQL(f"{column} = ANY(%s)", [values], output_field=models.BooleanField())
        yield queryset.filter(one_of)
        return
    for start in range(0, len(values), chunk):
        yield queryset.filter(**{f"{field}__in": values[start : start + chunk]})


def history_entries_copy(
    model: type[models.Model], pks: list[int], *, stamp: dt.datetime, columns: dict[str, object]
) -> dict[int, int]:
    """Copy the rows ``pks`` of ``model``, as they now stand, into its history table: one entry
    each, dated ``stamp``, with the history ``columns`` given (reason, type, user). Answers
    each row's entry ID.

    One INSERT ... SELECT: on PostgreSQL with the IDs as one array parameter (psycopg rewrites
    every placeholder of a statement, which for 100,000 rows took seconds); on SQLite in
    chunks of its parameter limit, the entry IDs read back by their date.
    """
    history = history_model(model)
    tracked = [f.column for f in history.tracked_fields]
    date = concrete_field(history, "history_date").get_db_prep_value(stamp, connection)
    meta = {"history_date": date, **columns}
    quote = connection.ops.quote_name
    pk = quote(model._meta.pk.column)
    insert = (
        f"INSERT INTO {quote(history._meta.db_table)} "
        f"({', '.join(quote(c) for c in [*tracked, *meta])}) "
        f"SELECT {', '.join(quote(c) for c in tracked)}, {', '.join(['%s'] * len(meta))} "
        f"FROM {quote(model._meta.db_table)} "
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # history: this is the history write
            cursor.execute(
                f"{insert} WHERE {pk} = ANY(%s) RETURNING {pk}, history_id", [*meta.values(), pks]
            )
            return dict(cursor.fetchall())
    entry_of = {}
    size = (connection.features.max_query_params or 10_000) - len(meta)
    for start in range(0, len(pks), size):
        chunk = pks[start : start + size]
        with connection.cursor() as cursor:  # history: this is the history write
            cursor.execute(
                f"{insert} WHERE {pk} IN ({', '.join(['%s'] * len(chunk))})",
                [*meta.values(), *chunk],
            )
        entry_of.update(
            history.objects.filter(history_date=stamp, id__in=chunk).values_list("id", "history_id")
        )
    return entry_of


def large_writes_cache() -> None:
    """Before writing a whole city in one transaction. Its six months of changes land on pages
    all over the tables, and SQLite's default 2 MB page cache then reads the same pages back
    from disk again and again (18 minutes instead of one): SQLite gets 256 MB for this
    connection. PostgreSQL's shared buffers need nothing per connection."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # history: a cache setting, writes no row
            cursor.execute(f"PRAGMA cache_size = -{_LARGE_WRITES_CACHE_KIB}")
