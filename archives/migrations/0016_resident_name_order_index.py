"""Residents by name then ID in one index, ``resident_name_order``, for the name search: a term
that is only a name lists its residents by name (archives/search.py), and this index answers
both the prefix (``name LIKE '王%'``) and the order, so PostgreSQL reads the page's hundred
entries and stops instead of sorting every match, and counts the matches from the index alone.

On PostgreSQL the name is indexed in the "C" collation (``archives.sql.name_order`` orders the
same way): only there does a btree serve both a LIKE prefix and an ORDER BY; and the name gets
a finer histogram (1,000 buckets), for the planner to know how many residents a surname has.
SQLite compares text by bytes already. Django's two indexes on the name (the plain one and the pattern
``_like`` one) go, and the history table's copy: the search no longer reads them, and nothing
else does. The index is not
declared on the model because SQLite has no collation named "C"."""

from django.db import migrations, models

INDEX = "resident_name_order"
STATISTICS = 1000


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON archives_resident (name, id)")
        return
    # The household rides along so that a street official's count joins the street's
    # households to the index alone (14-30 ms for 6,600 matches instead of 40-150 ms with a
    # heap read per match).
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON archives_resident (name COLLATE "C", id) '
        "INCLUDE (household_id)"
    )
    # With the default 100 histogram buckets a surname with 6,700 residents among a million
    # fell inside one bucket and was planned as 99 rows: a grid member's search then hashed
    # all its matches (26 ms) instead of reading the grid's 178 households (0.3 ms).
    schema_editor.execute(
        f"ALTER TABLE archives_resident ALTER COLUMN name SET STATISTICS {STATISTICS}"
    )


def drop_index(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE archives_resident ALTER COLUMN name SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [
        ("archives", "0014_resident_tag_residents_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="resident",
            name="name",
            field=models.CharField(max_length=50, verbose_name="name"),
        ),
        # simple-history copied the index onto the history table; no history read uses it.
        migrations.AlterField(
            model_name="historicalresident",
            name="name",
            field=models.CharField(max_length=50, verbose_name="name"),
        ),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
