"""Which rows ``python -m bench`` measures for its options, and its two child-process modes."""

import argparse
import json

from django.conf import settings
from django.core.management import call_command

from archives.demo.city import demo_grants_ensure
from bench.admin_pages import changelist_timings, dashboard_timings, save_timings
from bench.audit_draw import audit_draw_timings
from bench.bulk_history import bulk_history_size
from bench.city import bench_city
from bench.events import event_timings, measure_events
from bench.monthly_report import measure_monthly_report, monthly_report_timings
from bench.page_cpu import page_cpu_timings
from bench.patrols import measure_patrols, patrol_timings
from bench.scratch import DatabaseSettings, database_ensure
from bench.seed import seed_demo_timings
from bench.spreadsheets import import_export_timings, measure_import
from bench.table import BenchFailed, Row, table_print
from portal.roles import roles_ensure


def run(options: argparse.Namespace) -> str | None:
    """Measure and print; a message (the process's exit status) when the benchmark cannot run
    or a measured step failed."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return "bench runs on PostgreSQL: set DATABASE_URL (make bench does)."
    try:
        if options.measure_import:
            print(json.dumps(measure_import(*options.measure_import)))
        elif options.measure_monthly_report:
            print(json.dumps(measure_monthly_report()))
        elif options.measure_events:
            call_command("migrate", verbosity=0)
            print(
                json.dumps(
                    measure_events(
                        rebuild=options.rebuild, events=options.events, requests=options.requests
                    )
                )
            )
        elif options.measure_patrols:
            call_command("migrate", verbosity=0)
            print(
                json.dumps(measure_patrols(rebuild=options.rebuild, members=options.patrol_members))
            )
        else:
            database_ensure(database)
            call_command("migrate", verbosity=0)
            table_print(_rows(options, database))
    except BenchFailed as failure:
        return str(failure)
    return None


def _rows(options: argparse.Namespace, database: DatabaseSettings) -> list[Row]:
    if options.only == "spreadsheets":
        return import_export_timings(100_000)
    if options.only == "patrols":  # a database of their own: no million-resident city needed
        return patrol_timings(database, options)
    if options.only == "events":  # a database of their own too
        return event_timings(database, options)
    rows = []
    if options.only is None and not options.skip_seed_timing:
        rows += seed_demo_timings(database)
    rows += bench_city(options.residents, rebuild=options.rebuild)
    if options.only == "monthly-report":
        return rows + monthly_report_timings(database)
    roles_ensure()  # a reused city's role groups follow the role table as it is now
    demo_grants_ensure()  # a city built before grants existed gets them now
    if options.only == "audit-draw":
        return rows + audit_draw_timings(options.draws)
    if options.only == "admin-pages":  # changelists, searches and dashboards
        return rows + changelist_timings(options.requests)
    if options.only == "dashboards":  # the dashboards and their figures' refresh alone
        return rows + dashboard_timings(options.requests)
    if options.only == "page-cpu":  # a web worker's CPU per ordinary page, per role
        return rows + page_cpu_timings(options.requests)
    rows += changelist_timings(options.requests)
    rows += save_timings(options.requests)
    rows += page_cpu_timings(options.requests)
    rows += bulk_history_size(100_000)
    rows += import_export_timings(100_000)
    rows += audit_draw_timings(options.draws)
    rows += monthly_report_timings(database)
    rows += patrol_timings(database, options)
    rows += event_timings(database, options)
    return rows
