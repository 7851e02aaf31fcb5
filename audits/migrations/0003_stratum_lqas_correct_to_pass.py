from django.db import migrations


class Migration(migrations.Migration):
    """The stratum's LQAS decision rule is named for what it holds: the correct records its
    grid needs to pass. A rename: the stored rules are kept."""

    dependencies = [
        ("audits", "0002_campaign_close_reason"),
    ]

    operations = [
        migrations.RenameField(
            model_name="auditstratum",
            old_name="lqas_threshold",
            new_name="lqas_correct_to_pass",
        ),
    ]
