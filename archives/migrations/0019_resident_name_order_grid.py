"""The name index carries the resident's grid instead of its household (PostgreSQL).

Since migration 0018 every scope reaches a resident's grid on the resident itself, so a street
official's or a grid member's name search filters the index's entries on the grid they carry:
no heap read and no household join per match to find the few in scope. SQLite's index (name,
id) stays as it was: it has no INCLUDE.
"""

from django.db import migrations

INDEX = "resident_name_order"


def _recreate(schema_editor, carried: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(
        f'CREATE INDEX {INDEX} ON archives_resident (name COLLATE "C", id) INCLUDE ({carried})'
    )


def carry_grid(apps, schema_editor):
    _recreate(schema_editor, "grid_id")


def carry_household(apps, schema_editor):
    _recreate(schema_editor, "household_id")


class Migration(migrations.Migration):
    dependencies = [
        ("archives", "0018_resident_visit_grid"),
    ]

    operations = [
        migrations.RunPython(carry_grid, carry_household, elidable=False),
    ]
