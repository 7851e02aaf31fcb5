"""CPU of one request to the admin's ordinary pages, per role: what a web worker spends on a page
apart from waiting for the database, the cost that limits throughput under load.

Each page is requested through django.test.Client (signed in with ``force_login``, DEBUG off),
and ``time.process_time()`` counts this process's CPU only, so a busy machine (another test run,
PostgreSQL's own work) does not inflate it as it does wall-clock time. Run alone, with a profile:

    DATABASE_URL=postgres://…/portal_bench python -m bench.page_cpu --requests 20 --profile
"""

import argparse
import cProfile
import os
import pstats
import statistics
import time

from bench.table import BenchFailed, Row

#: (account, page, url); ``{resident}`` is a resident the account may change, ``{surname}``
#: the surname of the city's newest resident.
PAGES = [
    ("admin", "resident search by surname", "/admin/archives/resident/?q={surname}"),
    ("admin", "resident list", "/admin/archives/resident/"),
    ("admin", "household list", "/admin/archives/household/"),
    ("admin", "visit list", "/admin/archives/visit/"),
    ("admin", "resident change form", "/admin/archives/resident/{resident}/change/"),
    ("admin", "index", "/admin/"),
    ("clerk", "resident list", "/admin/archives/resident/"),
    ("clerk", "household list", "/admin/archives/household/"),
    ("clerk", "visit list", "/admin/archives/visit/"),
    ("clerk", "resident change form", "/admin/archives/resident/{resident}/change/"),
    ("clerk", "index (dashboard)", "/admin/"),
    ("street", "resident list", "/admin/archives/resident/"),
    ("street", "resident search by surname", "/admin/archives/resident/?q={surname}"),
    ("street", "household list", "/admin/archives/household/"),
    ("street", "index (dashboard)", "/admin/"),
    ("department", "resident list", "/admin/archives/resident/"),
    ("department", "index", "/admin/"),
    ("official", "resident list", "/admin/archives/resident/"),
    ("official", "visit list", "/admin/archives/visit/"),
    ("official", "index (dashboard)", "/admin/"),
]


def page_cpu_timings(requests: int) -> list[Row]:
    """One row per page: median CPU per request, queries, and the database's time in them."""
    return [
        Row(
            f"page CPU as {username}: {what}",
            f"{cpu:.1f}",
            "ms CPU",
            f"median of {requests}; {queries} queries, {db:.1f} ms in the database",
        )
        for username, what, cpu, queries, db in _measure(requests)
    ]


def _measure(requests: int, profile: cProfile.Profile | None = None, only: str | None = None):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from archives import scope
    from archives.models import Resident
    from portal.web_worker import collect_request_garbage, freeze_long_lived

    users = get_user_model().objects.in_bulk(
        {username for username, _what, _url in PAGES}, field_name="username"
    )
    surname = Resident.objects.order_by("-pk").values_list("name", flat=True)[0][:1]
    results = []
    with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
        for username, what, url in PAGES:
            if only and only not in f"{username}: {what}":
                continue
            user = users[username]
            resident = None
            if "{resident}" in url:
                resident = scope.restrict(Resident.objects.order_by("pk"), user, scope.CHANGE)[0].pk
            url = url.format(resident=resident, surname=surname)
            client = Client()
            client.force_login(user)
            for _ in range(2):  # warm: templates, translations, the dashboard's cache
                client.get(url)
            freeze_long_lived()  # as a web worker does after its first request (portal/wsgi.py)
            cpu, db, queries = [], [], 0
            for _ in range(requests):
                with CaptureQueriesContext(connection) as captured:
                    if profile:
                        profile.enable()
                    started = time.process_time()
                    status = client.get(url).status_code
                    collect_request_garbage()  # a web worker's, once the response is sent
                    cpu.append((time.process_time() - started) * 1000)
                    if profile:
                        profile.disable()
                if status != 200:
                    raise BenchFailed(f"{url} as {username} answered {status}")
                db.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
                queries = len(captured)
            results.append((username, what, statistics.median(cpu), queries, statistics.median(db)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.page_cpu", description=__doc__)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--only", help="pages whose 'account: page' contains this text")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort: cumulative, tottime")
    parser.add_argument("--lines", type=int, default=60)
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    profile = cProfile.Profile() if options.profile else None
    for username, what, cpu, queries, db in _measure(options.requests, profile, options.only):
        print(
            f"{username + ': ' + what:<36} {cpu:7.1f} ms CPU  {queries:3d} queries  {db:6.1f} ms db"
        )
    if profile:
        pstats.Stats(profile).sort_stats(options.sort).print_stats(options.lines)


if __name__ == "__main__":
    main()
