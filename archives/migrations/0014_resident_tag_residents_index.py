"""The residents carrying a tag, read from the tags table alone: (tag, resident) for the tag
filter's subquery, a department's served residents and their count (``scope.served_tags_only``)
as an index-only scan. Django's many-to-many table has (resident, tag) unique and tag alone,
which made each of those read the table as well.

The table is Django's own (no model to declare the index on): plain SQL, the same on SQLite
and PostgreSQL."""

from django.db import migrations

INDEX = "resident_tag_residents"


class Migration(migrations.Migration):
    dependencies = [
        ("archives", "0013_department_inspection_office"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON archives_resident_tags (tag_id, resident_id)",
            f"DROP INDEX IF EXISTS {INDEX}",
            elidable=False,
        ),
    ]
