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
"""

import archives.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archives", "0014_resident_tag_residents_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
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
    ]
