"""Writing many rows at once: PostgreSQL's COPY and arrays where the archive runs on it,
one prepared statement over all rows on SQLite, Django's ``bulk_create`` elsewhere. Writes no
history: the services that call it copy the history entries themselves (see
``services.residents_bulk_create``).

For 100,000 residents Django's ``bulk_create`` spent 16 s compiling INSERT statements and
9 s more while psycopg rewrote their placeholders; COPY streams the same rows in about a
second. The primary keys come from the table's own sequence first, so the caller gets its
rows back with their IDs, as from ``bulk_create``.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import Any, TypeVar

from django.db import connection, connections, models
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone
from psycopg import postgres

from archives.model_meta import concrete_field

M = TypeVar("M", bound=models.Model)

#: Fields whose Python value psycopg writes as it is: no conversion by Django needed.
_PLAIN_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}
#: The same for SQLite's driver, less dates and times: Django writes those as text of its own
#: format (naive, in UTC), which the driver's own adapters would not.
_SQLITE_PLAIN_TYPES = _PLAIN_TYPES - {"DateField", "DateTimeField"}


def rows_built(model: type[M], values: Iterable[Mapping[str, Any]]) -> list[M]:
    """Unsaved rows of ``model``, one per mapping of attribute names (``household_id``, not
    ``household``) to values, as ``model(**mapping)`` would make them: the fields a mapping
    leaves out take their defaults. ``Model.__init__`` works out each field's value one at a
    time: for an import of 100,000 residents it took a fifth of the Python time; here the
    defaults are worked out once. Only for models nothing listens to the creation of
    (``pre_init``/``post_init``), which this does not announce."""
    meta = model._meta
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return [model(**row) for row in values]
    fields = meta.concrete_fields
    called = [f for f in fields if f.has_default() and callable(f.default)]
    fixed = {f.attname: f.get_default() for f in fields if f not in called}
    attnames = frozenset(f.attname for f in fields)
    rows = []
    for row_values in values:
        if not row_values.keys() <= attnames:
            unknown = sorted(row_values.keys() - attnames)
            raise TypeError(f"{model.__name__} has no fields {unknown}")
        row = model.__new__(model)
        row._state = ModelState()
        state = row.__dict__
        state.update(fixed)
        for field in called:
            state[field.attname] = field.get_default()
        state.update(row_values)
        rows.append(row)
    return rows


def rows_insert(rows: list[M], *, batch_size: int = 2000) -> list[M]:
    """Insert ``rows`` (all of one model) and give each its primary key."""
    if not rows:
        return rows
    model = type(rows[0])
    if connection.vendor == "postgresql":
        _postgresql_copy(model, rows)
    elif connection.vendor == "sqlite":
        _sqlite_insert(model, rows)
    else:
        return model._default_manager.bulk_create(rows, batch_size=batch_size)  # history: caller's
    alias = connection.alias  # once: each use of the proxy looks up this thread's connection
    for row in rows:
        row._state.adding = False
        row._state.db = alias
    return rows


def _postgresql_copy(model: type[models.Model], rows: list[M]) -> None:
    """PostgreSQL: the rows streamed with COPY, their new IDs taken from the table's sequence
    first."""
    meta = model._meta
    _assign_primary_keys(model, [row for row in rows if row.pk is None])
    fields = [meta.pk, *(f for f in meta.concrete_fields if f is not meta.pk)]
    values_of = _row_values(fields)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    types = _copy_types(fields)
    binary = " (FORMAT BINARY)" if types else ""
    sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN{binary}"
    # history: written by the caller, see the docstring
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:  # history: caller's
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(values_of(row))


def _copy_types(fields: Sequence[models.Field]) -> list[str] | None:
    """The PostgreSQL type of each field's column, for COPY's binary format, which the server
    stores without parsing text; None if one is not a type psycopg knows by name."""
    types = []
    for field in fields:
        db_type = field.db_type(connection)
        info = postgres.types.get(db_type.split("(")[0].strip()) if db_type else None
        if info is None:
            return None
        types.append(info.name)
    return types


def _sqlite_insert(model: type[models.Model], rows: list[M]) -> None:
    """SQLite: one prepared INSERT run over every row (``executemany``). ``bulk_create``
    compiled a statement for every few hundred rows (SQLite's 999 parameters) and took most
    of the demo city's seeding time. New rows get the IDs after the highest the table ever
    gave (its AUTOINCREMENT counter included, so a deleted row's ID, which its history still
    names, is never reused); the writing transaction holds SQLite's write lock, so no other
    writer can take them meanwhile.
    """
    meta = model._meta
    quote = connection.ops.quote_name
    new = [row for row in rows if row.pk is None]
    if new:
        with connection.cursor() as cursor:  # history: reads IDs only
            cursor.execute(f"SELECT MAX({quote(meta.pk.column)}) FROM {quote(meta.db_table)}")
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [meta.db_table])
            counter = cursor.fetchone()
        top = max(top, counter[0] if counter else 0)
        for offset, row in enumerate(new, start=1):
            row.pk = top + offset
    fields = meta.concrete_fields
    columns = ", ".join(quote(f.column) for f in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    )
    # Converting every value through get_db_prep_save took half of the demo city's seeding.
    values_of = _row_values(fields, plain=_SQLITE_PLAIN_TYPES)
    values: list[Sequence[Any]] = [values_of(row) for row in rows]
    with connection.cursor() as cursor:  # history: written by the caller
        cursor.executemany(sql, values)


def _assign_primary_keys(model: type[models.Model], rows: list[models.Model]) -> None:
    if not rows:
        return
    with connection.cursor() as cursor:  # history: reads IDs only
        # The sequence named first: in the statement below PostgreSQL would look it up again
        # for every ID (0.6 s instead of 0.1 s for 100,000).
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column]
        )
        [sequence] = cursor.fetchone()
        sql = "SELECT nextval(%s::regclass) FROM generate_series(1, %s)"
        cursor.execute(sql, [sequence, len(rows)])
        for row, (pk,) in zip(rows, cursor.fetchall(), strict=True):
            row.pk = pk


def _row_values(
    fields: Sequence[models.Field], *, plain: set[str] = _PLAIN_TYPES
) -> Callable[[models.Model], Sequence[Any]]:
    """How to read the database values of ``fields`` off a row, as ``bulk_create`` would: an
    ``auto_now``/``auto_now_add`` field stamped with the time first (as its save would), a
    field of a ``plain`` type written as its Python value, any other converted by the field.
    The plain values are read in one ``attrgetter`` call: a value at a time took seconds of
    a 100,000-row import.

    Every row is stamped with the same moment, taken once: the rows go in together, in one
    transaction. (Each field's ``pre_save`` asked the clock for each row: 200,000 calls for
    100,000 residents.)"""
    stamped = [
        f.attname
        for f in fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    now = timezone.now()
    converted = [(i, f) for i, f in enumerate(fields) if f.get_internal_type() not in plain]
    read = attrgetter(*(f.attname for f in fields))
    one = len(fields) == 1  # attrgetter of one name answers the value, not a tuple
    db = connections[connection.alias]  # the connection itself, not the per-thread proxy

    def values_of(row: models.Model) -> Sequence[Any]:
        if stamped:
            state = row.__dict__  # stamped fields are dates and times: no descriptor to run
            for attname in stamped:
                state[attname] = now
        values: tuple[Any, ...] = (read(row),) if one else read(row)
        if not converted:
            return values
        prepared = list(values)
        for i, field in converted:
            prepared[i] = field.get_db_prep_save(prepared[i], db)
        return prepared

    return values_of


def rows_update(
    rows: list[M], attnames: list[str], *, batch_size: int = 2000, versioned: str | None = None
) -> set[Any] | None:
    """Write the fields ``attnames`` of ``rows`` (all of one model, all stored).

    ``versioned`` names a version field among ``attnames`` that each row carries raised by
    one: a row is then written only where its stored version is still the one it was read
    at (one less), and the answer is the primary keys of the rows written, so that the caller
    can refuse the others (a concurrent edit). The UPDATE checks and locks each row itself; a
    SELECT ... FOR UPDATE of the rows first took a tenth of 100,000 updates' database time.

    Django's ``bulk_update`` builds a CASE expression per field and row: for 2,000 residents
    it spent nine seconds compiling SQL. Here a batch is one UPDATE ... FROM: on PostgreSQL
    from one array per column (a statement with a few parameters, whatever the rows), on
    SQLite from a VALUES list.
    """
    if not rows:
        return set() if versioned else None
    model = type(rows[0])
    meta = model._meta
    fields = [meta.pk, *(concrete_field(model, name) for name in attnames)]
    quote = connection.ops.quote_name
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    condition, returning = "", ""
    written: set[Any] = set()
    if versioned:
        version = quote(concrete_field(model, versioned).column)
        condition = f" AND {table}.{version} = v.{version} - 1"
        returning = f" RETURNING {table}.{pk}"
    names = ", ".join(quote(f.column) for f in fields)
    assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields[1:])
    arrays = connection.vendor == "postgresql"
    if not arrays and connection.features.max_query_params:
        # A parameter per value: as many rows as the database takes parameters for.
        batch_size = min(batch_size, connection.features.max_query_params // len(fields))
    # As for inserts: a plain type's Python value is written as it is, one attrgetter call a
    # row; converting every value through get_db_prep_save took 4.6 s of 100,000 updates.
    plain = _PLAIN_TYPES if arrays else _SQLITE_PLAIN_TYPES
    converted = [(i, f) for i, f in enumerate(fields) if f.get_internal_type() not in plain]
    read = attrgetter(*(f.attname for f in fields))  # at least two: the key and a field
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        columns = [list(column) for column in zip(*map(read, batch), strict=True)]
        for i, field in converted:
            columns[i] = [field.get_db_prep_save(value, connection) for value in columns[i]]
        if arrays:  # PostgreSQL: one array parameter per column
            types = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
            values, params = f"SELECT * FROM unnest({types})", columns
        else:  # SQLite and others: a VALUES list
            row_of = f"({', '.join(['%s'] * len(fields))})"
            values = f"VALUES {', '.join([row_of] * len(batch))}"
            params = [value for row_values in zip(*columns, strict=True) for value in row_values]
        sql = (
            f"WITH v ({names}) AS ({values}) "
            f"UPDATE {table} SET {assignments} FROM v WHERE {table}.{pk} = v.{pk}{condition}"
            f"{returning}"
        )
        with connection.cursor() as cursor:  # history: written by the caller
            cursor.execute(sql, params)
            if versioned:
                written.update(pk for (pk,) in cursor.fetchall())
    return written if versioned else None
