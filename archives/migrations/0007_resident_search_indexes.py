"""Indexes for clerks' searches (archives/search.py): building addresses by prefix, and on
PostgreSQL the last digits of a phone number as a prefix of the reversed number."""

from django.db import migrations, models

PHONE_INDEX = "resident_phone_reversed"


def create_phone_index(apps, schema_editor):
    # PostgreSQL only: SQLite has no reverse() of its own (Django registers one per
    # connection, which another client opening the file would not have).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {PHONE_INDEX} "
            "ON archives_resident (reverse(phone) text_pattern_ops)"
        )


def drop_phone_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {PHONE_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("archives", "0006_export_record"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="building",
            index=models.Index(
                fields=["address"],
                name="building_address_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
        migrations.RunPython(create_phone_index, drop_phone_index, elidable=False),
    ]
