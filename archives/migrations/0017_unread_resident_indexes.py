"""Indexes no query reads, dropped: each was written by every new or changed resident (an
import of 100,000 spent most of its database time keeping 14 indexes on residents and 13 on
their history).

- Residents' phone (and its pattern index): search reads the last digits through
  ``reverse(phone)`` (migration 0007); no query looks a phone up as it is stored.
- The pattern (``_like``) indexes Django keeps beside an indexed text column, for the ID number
  and the residency status: both are only ever compared whole. Their plain indexes stay,
  declared in ``Meta.indexes`` (``db_index`` would bring the pattern index back).
- Every index on the history's copies of those fields, its household and its
  ``last_verified_by``: the history is read by resident (``id``), entry and date, never by
  them, and its foreign keys have no constraint to cascade.

Kept: the partial unique ID number of active residents, the foreign keys' indexes that a
deletion of a household or user needs, and the name indexes (name search, issue 21).

The indexes are dropped by name, not by Django's ``AlterField``: taking ``db_index`` off the ID
number made Django drop every plain index on that column, the partial unique index of active
ID numbers with them. The plain indexes of the ID number and the status are renamed, not built
again.
"""

import archives.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

#: Every index dropped: (table, Django's name, column, whether a pattern index sits beside it).
DROPPED = [
    ("archives_resident", "archives_resident_phone_21f4226a", "phone", True),
    ("archives_historicalresident", "archives_historicalresident_id_number_ce689e71", "id_number", True),
    ("archives_historicalresident", "archives_historicalresident_phone_2b307bd8", "phone", True),
    ("archives_historicalresident", "archives_historicalresident_residency_status_dffb66f2", "residency_status", True),
    ("archives_historicalresident", "archives_historicalresident_household_id_8a029298", "household_id", False),
    ("archives_historicalresident", "archives_historicalresident_last_verified_by_id_385bb7f7", "last_verified_by_id", False),
]
#: Plain indexes kept under a name of their own, their pattern indexes dropped.
RENAMED = [
    ("archives_resident_id_number_92826501", "resident_id_number", "id_number"),
    ("archives_resident_residency_status_839eeda7", "resident_residency_status", "residency_status"),
]


def drop_unread(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for _table, name, _column, patterned in DROPPED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        if patterned and postgresql:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}_like")
    for old, new, column in RENAMED:
        if postgresql:
            schema_editor.execute(f"DROP INDEX IF EXISTS {old}_like")
            schema_editor.execute(f"ALTER INDEX IF EXISTS {old} RENAME TO {new}")
        else:  # SQLite renames no index
            schema_editor.execute(f"DROP INDEX IF EXISTS {old}")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {new} ON archives_resident ({column})")


def restore(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    indexes = [(t, name, c, p) for t, name, c, p in DROPPED]
    indexes += [("archives_resident", old, column, True) for old, _new, column in RENAMED]
    for old, new, _column in RENAMED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {new}")
    for table, name, column, patterned in indexes:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})")
        if patterned and postgresql:
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name}_like ON {table} ({column} varchar_pattern_ops)"
            )


class Migration(migrations.Migration):

    dependencies = [
        ('archives', '0016_resident_name_order_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_unread, restore, elidable=False)],
            state_operations=[
        migrations.AlterField(
            model_name="historicalresident",
            name="household",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="archives.household",
                verbose_name="household",
            ),
        ),
        migrations.AlterField(
            model_name="historicalresident",
            name="id_number",
            field=models.CharField(
                max_length=18,
                validators=[archives.validators.validate_id_number],
                verbose_name="resident ID number",
            ),
        ),
        migrations.AlterField(
            model_name="historicalresident",
            name="last_verified_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="last verified by",
            ),
        ),
        migrations.AlterField(
            model_name="historicalresident",
            name="phone",
            field=models.CharField(
                blank=True,
                max_length=20,
                validators=[archives.validators.validate_phone],
                verbose_name="phone",
            ),
        ),
        migrations.AlterField(
            model_name="historicalresident",
            name="residency_status",
            field=models.CharField(
                choices=[
                    ("registered", "registered"),
                    ("floating", "floating"),
                    ("moved_out", "moved out"),
                    ("deceased", "deceased"),
                ],
                default="registered",
                max_length=12,
                verbose_name="residency status",
            ),
        ),
        migrations.AlterField(
            model_name="resident",
            name="id_number",
            field=models.CharField(
                max_length=18,
                validators=[archives.validators.validate_id_number],
                verbose_name="resident ID number",
            ),
        ),
        migrations.AlterField(
            model_name="resident",
            name="phone",
            field=models.CharField(
                blank=True,
                max_length=20,
                validators=[archives.validators.validate_phone],
                verbose_name="phone",
            ),
        ),
        migrations.AlterField(
            model_name="resident",
            name="residency_status",
            field=models.CharField(
                choices=[
                    ("registered", "registered"),
                    ("floating", "floating"),
                    ("moved_out", "moved out"),
                    ("deceased", "deceased"),
                ],
                default="registered",
                max_length=12,
                verbose_name="residency status",
            ),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["id_number"], name="resident_id_number"),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["residency_status"], name="resident_residency_status"),
        ),
            ],
        ),
    ]
