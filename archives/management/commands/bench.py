"""Benchmarks printed as one table. Figures live here, never in timed tests.

``make bench`` points DATABASE_URL at a PostgreSQL benchmark database (created if missing), fills
it once with a province-sized city and reuses it afterwards.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from accounts.system import system_actor
from archives import scope, services
from archives.demo.city import (
    CitySize,
    demo_city_exists,
    demo_city_reset,
    demo_city_seed,
    demo_grants_ensure,
)
from archives.management.commands import _monthly_report_bench as monthly_report_bench
from archives.management.commands import _spreadsheet_bench as spreadsheet_bench
from archives.models import Grid, Resident

ROOT = Path(settings.BASE_DIR)


def _median_and_p95(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[
        min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))
    ]


class _RollBack(Exception):
    """Leaves a measured write out of the benchmark database."""


@dataclass
class Row:
    what: str
    value: str
    unit: str
    note: str = ""


class Command(BaseCommand):
    help = "Print benchmark figures for the portal (run through `make bench`)."
    requires_system_checks = []  # the benchmark database may not exist yet

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, default=1_000_000)
        parser.add_argument("--requests", type=int, default=20)
        parser.add_argument(
            "--draws",
            type=int,
            default=5,
            help="audit draws to time (each rolled back); the median is printed",
        )
        parser.add_argument("--rebuild", action="store_true", help="rebuild the benchmark city")
        # Internal: ``bench`` runs each measured import in a fresh process of its own.
        parser.add_argument("--measure-import", nargs=2, metavar=("WHAT", "FILE"))
        # Internal: the monthly report measured on the database DATABASE_URL names.
        parser.add_argument("--measure-monthly-report", action="store_true")
        parser.add_argument(
            "--skip-seed-timing",
            action="store_true",
            help="skip timing seed_demo for the demo city on scratch databases",
        )
        parser.add_argument(
            "--only",
            choices=["audit-draw", "spreadsheets", "admin-pages", "monthly-report"],
            help="build or reuse the benchmark city and print only these rows",
        )

    def handle(self, *args, **options):
        database = settings.DATABASES["default"]
        if database["ENGINE"] != "django.db.backends.postgresql":
            raise CommandError("bench runs on PostgreSQL: set DATABASE_URL (make bench does).")
        if options["measure_import"]:
            figures = spreadsheet_bench.measure_import(*options["measure_import"])
            self.stdout.write(json.dumps(figures))
            return
        if options["measure_monthly_report"]:
            self.stdout.write(json.dumps(monthly_report_bench.measure_monthly_report()))
            return
        self._ensure_database(database)
        call_command("migrate", verbosity=0)

        rows: list[Row] = []
        if options["only"] == "spreadsheets":
            self._print(self._import_export_timings(100_000))
            return
        if options["only"] == "monthly-report":
            rows += self._bench_city(options["residents"], rebuild=options["rebuild"])
            rows += self._monthly_report_timings(database)
            self._print(rows)
            return
        if options["only"] == "audit-draw":
            rows += self._bench_city(options["residents"], rebuild=options["rebuild"])
            demo_grants_ensure()
            rows += self._audit_draw_timings(options["draws"])
            self._print(rows)
            return
        if options["only"] == "admin-pages":  # changelists, searches and dashboards
            rows += self._bench_city(options["residents"], rebuild=options["rebuild"])
            demo_grants_ensure()
            rows += self._changelist_timings(options["requests"])
            self._print(rows)
            return
        if not options["skip_seed_timing"]:
            rows += self._seed_demo_timings(database)
        rows += self._bench_city(options["residents"], rebuild=options["rebuild"])
        demo_grants_ensure()  # a city built before grants existed gets them now
        rows += self._changelist_timings(options["requests"])
        rows += self._save_timings(options["requests"])
        rows += self._bulk_history_size(100_000)
        rows += self._import_export_timings(100_000)
        rows += self._audit_draw_timings(options["draws"])
        rows += self._monthly_report_timings(database)
        self._print(rows)

    # --- setup --------------------------------------------------------------------------

    def _ensure_database(self, database: dict) -> None:
        with psycopg.connect(**self._server_params(database), dbname="postgres") as server:
            server.autocommit = True
            exists = server.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]
            ).fetchone()
            if not exists:
                self.stderr.write(f"creating database {database['NAME']}")
                server.execute(f'CREATE DATABASE "{database["NAME"]}"')

    @staticmethod
    def _server_params(database: dict) -> dict:
        params = {
            "host": database.get("HOST") or None,
            "port": database.get("PORT") or None,
            "user": database.get("USER") or None,
            "password": database.get("PASSWORD") or None,
        }
        return {k: v for k, v in params.items() if v}

    # --- seed_demo ----------------------------------------------------------------------

    def _seed_demo_timings(self, database: dict) -> list[Row]:
        """Time `seed_demo` as a user runs it, for the full demo city, on scratch databases."""
        rows = []
        with tempfile.TemporaryDirectory() as scratch:
            sqlite_url = f"sqlite:///{scratch}/seed.sqlite3"
            seconds = self._time_seed_demo(sqlite_url)
            rows.append(
                Row("seed_demo, demo city (60,000 residents), SQLite", f"{seconds:.1f}", "s")
            )
        scratch_name = f"{database['NAME']}_seed"
        with psycopg.connect(**self._server_params(database), dbname="postgres") as server:
            server.autocommit = True
            server.execute(f'DROP DATABASE IF EXISTS "{scratch_name}"')
            server.execute(f'CREATE DATABASE "{scratch_name}"')
            try:
                params = self._server_params(database)
                auth = params.get("user", "")
                if params.get("password"):
                    auth += f":{params['password']}"
                host = f"{params.get('host', '')}:{params.get('port', 5432)}"
                pg_url = f"postgres://{auth}@{host}/{scratch_name}"
                seconds = self._time_seed_demo(pg_url)
                rows.append(
                    Row(
                        "seed_demo, demo city (60,000 residents), PostgreSQL", f"{seconds:.1f}", "s"
                    )
                )
            finally:
                server.execute(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
        return rows

    def _scratch_url(self, database: dict, name: str) -> str:
        params = self._server_params(database)
        auth = params.get("user", "")
        if params.get("password"):
            auth += f":{params['password']}"
        return f"postgres://{auth}@{params.get('host', '')}:{params.get('port', 5432)}/{name}"

    def _time_seed_demo(self, database_url: str) -> float:
        env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1"}
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
        started = time.perf_counter()
        subprocess.run([*manage, "seed_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started

    # --- the province-sized city -------------------------------------------------------

    def _bench_city(self, residents: int, *, rebuild: bool) -> list[Row]:
        present = Resident.objects.count() if demo_city_exists() else 0
        if present and not rebuild:
            note = "reused" if present == residents else f"reused; --rebuild for {residents:,}"
            grids = Grid.objects.count()
            return [Row(f"benchmark city ({grids:,} grids)", f"{present:,}", "residents", note)]
        if present:
            demo_city_reset()
        grids = max(126, round(residents / 500))
        # No past for the benchmark city: a million residents' six months of daily changes
        # would keep their objects in memory and add minutes to a city built once.
        size = CitySize(
            residents=residents, grids=grids, streets=max(3, grids // 100), history_months=0
        )
        self.stderr.write(f"building the benchmark city: {residents:,} residents, {grids:,} grids")
        started = time.perf_counter()
        demo_city_seed(seed=2026, size=size, today=timezone.localdate())
        seconds = time.perf_counter() - started
        # Planner statistics only (writes no rows): a freshly bulk-loaded table is otherwise
        # planned as if it were empty until autovacuum catches up.
        with connection.cursor() as cursor:  # history: ANALYZE reads statistics, writes no row
            cursor.execute("ANALYZE")
        return [
            Row(
                f"seed the benchmark city ({residents:,} residents, {grids:,} grids)",
                f"{seconds:.1f}",
                "s",
                f"{residents / seconds:,.0f} residents/s",
            )
        ]

    # --- admin changelist --------------------------------------------------------------

    def _changelist_timings(self, requests: int) -> list[Row]:
        grid = Grid.objects.order_by("pk").first()
        sample = Resident.objects.order_by("pk").only("id_number", "name", "phone").last()
        residents = "/admin/archives/resident/"
        # (account, what, url); each account sees the list through its own scope.
        cases = [
            ("admin", "resident changelist, first page", residents),
            ("admin", "resident changelist, one grid", f"{residents}?grid={grid.pk}"),
            ("admin", "resident search by ID number", f"{residents}?q={sample.id_number}"),
            # archives/search.py: each through its index (a UNION of IDs for name and address).
            ("admin", "resident search by surname", f"{residents}?q={sample.name[:1]}"),
            ("admin", "resident search by phone last 4", f"{residents}?q={sample.phone[-4:]}"),
            ("clerk", "grid member: search by surname", f"{residents}?q={sample.name[:1]}"),
            ("admin", "visit changelist, first page", "/admin/archives/visit/"),
            ("clerk", "grid member: resident changelist", residents),
            ("street", "street official: resident changelist", residents),
            ("street", "street official: visit changelist", "/admin/archives/visit/"),
            ("department", "department (health): resident changelist", residents),
            ("official", "municipal official: resident changelist", residents),
            # The index with each role's dashboard (portal/dashboard.py).
            ("clerk", "grid member: dashboard", "/admin/"),
            ("street", "street official: dashboard", "/admin/"),
            ("official", "municipal official: dashboard", "/admin/"),
        ]
        accounts = get_user_model().objects.in_bulk(
            {username for username, _what, _url in cases}, field_name="username"
        )
        rows = []
        with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
            for username, what, url in cases:
                client = Client()
                client.force_login(accounts[username])
                median, p95, queries = self._time_get(client, url, requests)
                rows.append(
                    Row(
                        f"admin as {username}: {what}",
                        f"{median:.0f}",
                        "ms median",
                        f"p95 {p95:.0f} ms, {queries} queries",
                    )
                )
        return rows

    # --- history ------------------------------------------------------------------------

    def _save_timings(self, requests: int) -> list[Row]:
        """A clerk saves a resident through the admin: form load, then the timed POST."""
        clerk = get_user_model().objects.get(username="clerk")
        resident = scope.restrict(Resident.objects.order_by("pk"), clerk, scope.CHANGE).first()
        url = f"/admin/archives/resident/{resident.pk}/change/"
        timings, queries = [], 0
        with override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False):
            client = Client()
            client.force_login(clerk)
            resident_admin = admin.site._registry[Resident]
            request = RequestFactory().get(url)
            request.user = clerk
            for n in range(requests + 1):
                client.get(url)  # the clerk opens the file ...
                obj = resident_admin.get_object(request, str(resident.pk))
                form = resident_admin.get_form(request, obj)(instance=obj)
                data = {name: form[name].value() for name in form.fields}
                data = {k: v for k, v in data.items() if v is not None}
                data.update(phone=f"139{n:08d}", change_reason="bench")
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.post(url, data)
                    elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 302:
                    raise CommandError(f"saving {url} answered {response.status_code}")
                if n:  # the first save warms caches
                    timings.append(elapsed)
                    queries = len(captured)
        median, p95 = _median_and_p95(timings)
        return [
            Row(
                "admin as clerk: save a resident (with history)",
                f"{median:.0f}",
                "ms median",
                f"p95 {p95:.0f} ms, {queries} queries",
            )
        ]

    def _bulk_history_size(self, count: int) -> list[Row]:
        """Insert ``count`` residents the way an import does, with history, and measure the
        history tables' growth; then roll it all back."""
        tables = ["archives_historicalresident", "archives_historicalresident_tags"]

        def size() -> int:
            with connection.cursor() as cursor:  # history: reads table sizes, writes no row
                cursor.execute(
                    "SELECT sum(pg_total_relation_size(t)) FROM unnest(%s::regclass[]) t", [tables]
                )
                return cursor.fetchone()[0]

        sources = Resident.objects.order_by("pk").prefetch_related("tags")[:count]
        copies, tag_ids = [], []
        for source in sources:
            tag_ids.append({tag.pk for tag in source.tags.all()})
            source.pk = None
            # Kept out of the active-ID constraint: these copies never become active.
            source.residency_status = Resident.ResidencyStatus.MOVED_OUT
            copies.append(source)
        before = size()
        try:
            with transaction.atomic():
                started = time.perf_counter()
                services.residents_bulk_create(
                    residents=copies, tag_ids=tag_ids, actor=system_actor(), reason="bench import"
                )
                seconds = time.perf_counter() - started
                grown = size() - before
                raise _RollBack
        except _RollBack:
            pass
        return [
            Row(
                f"import {count:,} residents with history (bulk)",
                f"{seconds:.1f}",
                "s",
                f"{count / seconds:,.0f} residents/s",
            ),
            Row(
                f"history tables' growth for {count:,} residents",
                f"{grown / 2**20:.0f}",
                "MB",
                f"{grown / count:.0f} bytes per resident, tags and indexes included",
            ),
        ]

    # --- spreadsheets --------------------------------------------------------------------

    def _import_export_timings(self, count: int) -> list[Row]:
        """Import a generated ``count``-row workbook through the admin's read, plan and apply
        steps, then the same file the library's default way, each in a process of its own;
        then export ``count`` residents to .xlsx."""
        data = spreadsheet_bench.generated_workbook(count)
        ours = spreadsheet_bench.measure_in_child("ours", data)
        library = spreadsheet_bench.measure_in_child("library", data)
        export = spreadsheet_bench.measure_export(count)
        updates = spreadsheet_bench.measure_in_child(
            "ours", spreadsheet_bench.edited_export(export["xlsx"])
        )
        ours_rate = ours["rows"] / ours["seconds"]
        library_rate = library["rows"] / library["seconds"]
        return [
            Row(
                f"import a {count:,}-row .xlsx (validate, plan, write with history)",
                f"{ours_rate:,.0f}",
                "rows/s",
                f"{ours['seconds']:.1f} s, peak memory {ours['peak_mb']:,.0f} MB"
                f" ({len(data) / 2**20:.1f} MB file)",
            ),
            Row(
                "the same file, django-import-export defaults",
                f"{library_rate:,.0f}",
                "rows/s",
                f"ours is {ours_rate / library_rate:,.0f}x; read {library['read_seconds']:.1f} s,"
                f" {library['sample_rows']:,} rows imported in {library['sample_seconds']:.1f} s,"
                f" peak memory {library['peak_mb']:,.0f} MB",
            ),
            Row(
                f"import that export with every phone changed ({updates['rows']:,} updates)",
                f"{updates['rows'] / updates['seconds']:,.0f}",
                "rows/s",
                f"{updates['seconds']:.1f} s, peak memory {updates['peak_mb']:,.0f} MB",
            ),
            Row(
                f"export {count:,} residents to .xlsx",
                f"{export['seconds']:.1f}",
                "s",
                f"{count / export['seconds']:,.0f} rows/s, {export['megabytes']:.1f} MB",
            ),
        ]

    @staticmethod
    def _time_get(client: Client, url: str, requests: int) -> tuple[float, float, int]:
        client.get(url)  # warm caches, as a user's second page load would be
        timings = []
        for _ in range(requests):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}")
        median, p95 = _median_and_p95(timings)
        return median, p95, len(queries)

    # --- audits -------------------------------------------------------------------------

    def _audit_draw_timings(self, draws: int) -> list[Row]:
        """Draw 19 residents from every grid of the whole city, then verify the draw; each
        rolled back, ``draws`` times, and the medians printed (a shared machine is noisy)."""
        User = get_user_model()
        actor = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        auditor = User.objects.get(username="auditor")
        self._vacuum_for_audit_draw()
        timings: dict[str, list[float]] = {"draw": [], "commit checks": [], "verify": []}
        for _ in range(max(1, draws)):
            figures = self._time_one_audit_draw(actor, auditor, timings)
        population, items, packed = figures
        draw, draw_p95 = _median_and_p95(timings["draw"])
        verify, _p95 = _median_and_p95(timings["verify"])
        checks, _p95 = _median_and_p95(timings["commit checks"])
        spread = ", ".join(f"{t:.2f}" for t in timings["draw"])
        note = f"{population:,} eligible, {items:,} items, population stored in {packed:,} bytes"
        return [
            Row("audit draw, whole city, LQAS n=19 per grid", f"{draw:.2f}", "s median", note),
            Row(f"  the {len(timings['draw'])} draws", f"{draw_p95:.2f}", "s slowest", spread),
            Row("  foreign-key checks at its commit", f"{checks:.2f}", "s median"),
            Row("audit verify draw (re-run and compare)", f"{verify:.2f}", "s median"),
        ]

    @staticmethod
    def _vacuum_for_audit_draw() -> None:
        """What autovacuum does on a running server, which a benchmark server may not run:
        every rolled-back draw leaves 38,000 dead items behind (2.3 million after 60 draws,
        478 MB, and each later draw slower), and the draw's index-only scan of residents
        needs the visibility map that only a vacuum sets."""
        from audits.models import AuditCampaign, AuditItem, AuditStratum

        models = [Resident, AuditCampaign, AuditStratum, AuditItem]
        tables = [model._meta.db_table for model in models]
        tables += [AuditStratum.members.through._meta.db_table]
        tables += [AuditCampaign.grids.through._meta.db_table]
        with connection.cursor() as cursor:  # history: VACUUM reclaims dead rows, writes none
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(map(connection.ops.quote_name, tables))}")

    @staticmethod
    def _time_one_audit_draw(actor, auditor, timings: dict[str, list[float]]):
        from audits import services as audit_services
        from audits.models import AuditCampaign

        try:
            with transaction.atomic():
                campaign = audit_services.audit_campaign_save(
                    campaign=AuditCampaign(
                        name="bench",
                        period=timezone.localdate(),
                        whole_city=True,
                        plan=AuditCampaign.Plan.LQAS,
                        per_grid=19,
                        lqas_benchmark=80,
                    ),
                    actor=actor,
                    auditors=[auditor],
                )
                started = time.perf_counter()
                campaign = audit_services.audit_campaign_draw(campaign=campaign, actor=actor)
                timings["draw"].append(time.perf_counter() - started)
                # The items' foreign keys are checked at commit (deferred), which the rolled
                # back draw never reaches: fire those checks here to time them too.
                started = time.perf_counter()
                with connection.cursor() as cursor:  # history: checks constraints, writes no row
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                timings["commit checks"].append(time.perf_counter() - started)
                started = time.perf_counter()
                check = audit_services.audit_campaign_verify_draw(campaign=campaign, actor=actor)
                timings["verify"].append(time.perf_counter() - started)
                if not check.ok:
                    raise CommandError(f"the bench draw does not verify: {check.problems}")
                figures = campaign.population_size, campaign.items.count()
                figures += (len(bytes(campaign.population)),)
                raise _RollBack
        except _RollBack:
            pass
        return figures

    # --- monthly report ------------------------------------------------------------------

    def _monthly_report_timings(self, database: dict) -> list[Row]:
        """This month's report for the whole city: the demo city (seeded on a scratch
        database, measured in a process of its own) and the benchmark city."""
        scratch_name = f"{database['NAME']}_report_demo"
        with psycopg.connect(**self._server_params(database), dbname="postgres") as server:
            server.autocommit = True
            server.execute(f'DROP DATABASE IF EXISTS "{scratch_name}"')
            server.execute(f'CREATE DATABASE "{scratch_name}"')
            try:
                url = self._scratch_url(database, scratch_name)
                self._time_seed_demo(url)
                env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
                manage = [sys.executable, str(ROOT / "manage.py")]
                output = subprocess.run(
                    [*manage, "bench", "--measure-monthly-report"],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
                demo = json.loads(output.strip().splitlines()[-1])
            finally:
                server.execute(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
        city = monthly_report_bench.measure_monthly_report()
        rows = []
        for label, figures in (("demo city", demo), ("benchmark city", city)):
            size = f"{figures['residents']:,} residents, {figures['grids']:,} grids"
            total = figures["figures"] + figures["xlsx"] + figures["pdf"]
            rows += [
                Row(
                    f"monthly report, {label}: figures",
                    f"{figures['figures']:.2f}",
                    "s",
                    f"{size}; {figures['queries']} queries",
                ),
                Row(
                    f"monthly report, {label}: Excel",
                    f"{figures['xlsx']:.2f}",
                    "s",
                    f"{figures['xlsx_bytes'] / 1024:,.0f} KB",
                ),
                Row(
                    f"monthly report, {label}: PDF",
                    f"{figures['pdf']:.2f}",
                    "s",
                    f"{figures['pdf_bytes'] / 1024:,.0f} KB",
                ),
                Row(f"monthly report, {label}: all three", f"{total:.2f}", "s"),
            ]
        return rows

    # --- output -------------------------------------------------------------------------

    def _print(self, rows: list[Row]) -> None:
        width = max(len(r.what) for r in rows)
        self.stdout.write(f"{'benchmark':<{width}}  {'value':>10}  unit         note")
        for r in rows:
            self.stdout.write(f"{r.what:<{width}}  {r.value:>10}  {r.unit:<11}  {r.note}")
