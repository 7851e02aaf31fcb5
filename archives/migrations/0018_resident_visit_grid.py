"""``grid`` on residents and visits: the household's building's grid, kept on the row so that
scope and per-grid counts stop joining households and buildings (issue 21).

The column is added nullable and without its foreign key, filled by one UPDATE ... FROM join
per table (a million residents in one statement, PostgreSQL and SQLite alike), then made NOT
NULL with its foreign key, which PostgreSQL checks in one pass.

The indexes come before the UPDATE, not after: built after it, over rows the UPDATE had
rewritten in place (HOT), PostgreSQL marks an index unusable by any transaction older than
it (``pg_index.indcheckxmin``), and on the benchmark copy one idle transaction elsewhere kept
every count on a sequential scan (220 ms for one grid's residents)."""

import django.db.models.deletion
from django.db import migrations, models


def _backfill(table: str) -> str:
    return (
        f"UPDATE {table} SET grid_id = archives_building.grid_id "
        "FROM archives_household "
        "JOIN archives_building ON archives_building.id = archives_household.building_id "
        f"WHERE archives_household.id = {table}.household_id"
    )


def _grid(**options) -> models.ForeignKey:
    return models.ForeignKey(
        blank=True,
        db_index=False,
        editable=False,
        on_delete=django.db.models.deletion.PROTECT,
        related_name="+",
        to="archives.grid",
        verbose_name="grid",
        **options,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("archives", "0017_unread_resident_indexes"),
    ]

    operations = [
        migrations.AddField("resident", "grid", _grid(null=True, db_constraint=False)),
        migrations.AddField("visit", "grid", _grid(null=True, db_constraint=False)),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["grid", "household", "id"], name="resident_grid_household"),
        ),
        migrations.AddIndex(
            model_name="visit",
            index=models.Index(fields=["grid", "-visited_at", "-id"], name="visit_grid_time"),
        ),
        migrations.RunSQL(_backfill("archives_resident"), migrations.RunSQL.noop, elidable=False),
        migrations.RunSQL(_backfill("archives_visit"), migrations.RunSQL.noop, elidable=False),
        migrations.AlterField("resident", "grid", _grid()),
        migrations.AlterField("visit", "grid", _grid()),
        migrations.AlterModelOptions(
            name="resident",
            options={
                "ordering": ["grid", "household", "id"],
                "permissions": [
                    ("view_resident_id_number", "Can see full ID numbers"),
                    ("view_resident_medical_history", "Can see medical histories"),
                ],
                "verbose_name": "resident",
                "verbose_name_plural": "residents",
            },
        ),
    ]
