"""``HouseholdTag``: the tags a household's residents carry, kept by the services, so that a
department's households (those with a resident carrying a tag it serves) are read from one
small table instead of every served resident (issue 21).

Filled from the residents' tags in one INSERT ... SELECT DISTINCT (PostgreSQL and SQLite
alike), into the new table with its indexes already built: no HOT-updated rows, so no index
is marked unusable for older transactions (see 0018)."""

import django.db.models.deletion
from django.db import migrations, models

FILL = (
    "INSERT INTO archives_householdtag (household_id, tag_id) "
    "SELECT DISTINCT archives_resident.household_id, archives_resident_tags.tag_id "
    "FROM archives_resident_tags "
    "JOIN archives_resident ON archives_resident.id = archives_resident_tags.resident_id"
)


class Migration(migrations.Migration):
    dependencies = [
        ("archives", "0019_resident_name_order_grid"),
    ]

    operations = [
        migrations.CreateModel(
            name="HouseholdTag",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "household",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="archives.household",
                        verbose_name="household",
                    ),
                ),
                (
                    "tag",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="archives.tag",
                        verbose_name="tag",
                    ),
                ),
            ],
            options={
                "verbose_name": "household tag",
                "verbose_name_plural": "household tags",
                "indexes": [
                    models.Index(fields=["household", "tag"], name="household_tag_households")
                ],
                "constraints": [
                    models.UniqueConstraint(fields=("tag", "household"), name="household_tag_unique")
                ],
            },
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=False),
    ]
