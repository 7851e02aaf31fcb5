"""``manage.py patrol_points_purge``: delete the track points of rounds that ended more than
``PATROL_POINT_RETENTION_DAYS`` (default 400) ago; the rounds keep their distance, counts,
line and buildings passed, so monthly figures do not change. Meant for cron, once a night."""

from django.conf import settings
from django.core.management.base import BaseCommand

from patrols.services import patrol_points_purge


class Command(BaseCommand):
    help = (
        "Delete the track points of rounds ended more than PATROL_POINT_RETENTION_DAYS ago, "
        "keeping each round's totals (for cron)."
    )

    def handle(self, *args, **options):
        rounds, points = patrol_points_purge()
        self.stdout.write(
            f"{points} point(s) of {rounds} round(s) ended over "
            f"{settings.PATROL_POINT_RETENTION_DAYS} days ago deleted."
        )
