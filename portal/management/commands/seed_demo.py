import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from archives.demo.city import DEMO_ACCOUNTS, DEMO_PASSWORD, CitySize, demo_city_exists
from archives.sql import large_writes_cache
from events.demo import EVENT_DEMO_ACCOUNTS
from portal.demo import demo_reset, demo_seed
from wishes.demo import WISH_DEMO_ACCOUNTS


class Command(BaseCommand):
    # Here, in the wiring: the demo's accounts hold the portal's roles and the city's past
    # includes monthly audits, which the archive app below them may not import.
    help = (
        "Build the demo city (3 streets, 126 grids, about 60,000 residents) with six months of "
        "past (changes, visits, monthly audits) and demo logins."
    )

    def add_arguments(self, parser):
        defaults = CitySize()
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument("--residents", type=int, default=defaults.residents)
        parser.add_argument("--grids", type=int, default=defaults.grids)
        parser.add_argument("--streets", type=int, default=defaults.streets)
        parser.add_argument(
            "--months",
            type=int,
            default=defaults.history_months,
            help=f"months of past before this month (default {defaults.history_months})",
        )
        parser.add_argument(
            "--reset", action="store_true", help="remove an existing demo city first"
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing, quietly, when the database already holds a city",
        )
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (never in production)"
        )
        parser.add_argument(
            "--address",
            default="127.0.0.1:8000",
            help="the dev server's [host:]port, for the printed URL (`make run` passes RUN_ADDR)",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates accounts with the password 'demo' and refuses to run with "
                "DEBUG off. Use --force only on a database that is not production."
            )
        size = CitySize(
            residents=options["residents"],
            grids=options["grids"],
            streets=options["streets"],
            history_months=options["months"],
        )
        if size.history_months < 0:
            raise CommandError("--months cannot be negative.")
        if size.residents < 0 or size.grids < 1 or size.streets < 1 or size.streets > size.grids:
            raise CommandError("Need at least one street, at least as many grids as streets.")

        if demo_city_exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds a city; it was left as it is.")
                events = [(username, about) for username, *_n, about in EVENT_DEMO_ACCOUNTS]
                wishes = [(username, about) for username, *_n, about in WISH_DEMO_ACCOUNTS]
                self._print_logins(DEMO_ACCOUNTS + events + wishes, options["address"])
                return
            if not options["reset"]:
                self.stdout.write(
                    "The database already holds a city; nothing was changed. "
                    "Use --reset to rebuild the demo city."
                )
                return
            demo_reset()

        large_writes_cache()  # the city is written in one transaction
        started = time.perf_counter()
        summary = demo_seed(seed=options["seed"], size=size, today=timezone.localdate())
        elapsed = time.perf_counter() - started

        counts = ", ".join(f"{n:,} {what}" for what, n in summary.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo city built in {elapsed:.1f} s: {counts}."))
        self._print_logins(summary.accounts, options["address"])

    def _print_logins(self, accounts: list[tuple[str, str]], address: str) -> None:
        self.stdout.write(f"Demo logins at {admin_url(address)} (password '{DEMO_PASSWORD}'):")
        for username, about in accounts:
            self.stdout.write(f"  {username:<12} {about}")


def admin_url(address: str) -> str:
    """The admin's URL on a dev server started with ``runserver ADDRESS`` (``8001``,
    ``0.0.0.0:8001``, ``[::1]:8001``, as runserver takes it)."""
    host, _colon, port = address.rpartition(":")
    if host in ("", "0", "0.0.0.0"):
        host = "127.0.0.1"  # runserver's default, and where one listening everywhere answers
    elif host in ("[::]", "::"):
        host = "[::1]"
    return f"http://{host}:{port}/admin/"
