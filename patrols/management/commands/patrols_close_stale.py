"""``manage.py patrols_close_stale``: close the rounds left open longer than
``PATROL_AUTO_CLOSE_HOURS`` (default 12), each at its last point, as the system account.
Meant for cron, every quarter of an hour or so."""

from django.conf import settings
from django.core.management.base import BaseCommand

from patrols.services import patrols_close_stale


class Command(BaseCommand):
    help = (
        "Close the patrol rounds left open longer than PATROL_AUTO_CLOSE_HOURS, each at its "
        "last point (for cron)."
    )

    def handle(self, *args, **options):
        closed = patrols_close_stale()
        self.stdout.write(
            f"{closed} round(s) left open over {settings.PATROL_AUTO_CLOSE_HOURS} h closed."
        )
