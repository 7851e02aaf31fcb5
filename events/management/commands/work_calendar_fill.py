"""Fill the work calendar from the chinese_calendar library: ``manage.py work_calendar_fill``
(this year and the next) or ``--years 2025 2026``. Run it after deploying and each winter when
a new release of the library brings next year's holidays."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.system import system_actor
from events.services import work_calendar_fill


class Command(BaseCommand):
    help = "Add China's public holidays and adjusted working days to the work calendar."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, nargs="+")

    def handle(self, *args, years=None, **options):
        this_year = timezone.localdate().year
        added = work_calendar_fill(actor=system_actor(), years=years or [this_year, this_year + 1])
        for year, count in added.items():
            if count is None:
                self.stdout.write(
                    self.style.WARNING(
                        f"{year}: the library does not know this year yet; enter its holidays "
                        "in the admin (work calendar), or install a newer chinese-calendar."
                    )
                )
            else:
                self.stdout.write(f"{year}: {count} dates added")
