"""The monthly report's bench rows: figures, Excel and PDF for a whole city, timed, with the
figures' query count. Measured in-process on the benchmark city and, for the demo city, in a
process of its own on a scratch database (``--measure-monthly-report``)."""

import datetime as dt
import time

import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from archives.months import month_bounds
from bench.scratch import DatabaseSettings, measured_in_child, scratch_database, seed_demo_timed
from bench.table import Row
from exports.excel import report_xlsx
from exports.kept import keep_after
from exports.pdf import register_font, report_pdf
from exports.selectors import month_figures


def monthly_report_timings(database: DatabaseSettings) -> list[Row]:
    """This month's report for the whole city, while the month runs and once it is over
    (first computed, then with its history figures kept): the demo city (seeded on a scratch
    database, measured in a process of its own) and the benchmark city."""
    with scratch_database(database, "report_demo") as url:
        seed_demo_timed(url)
        demo = measured_in_child("--measure-monthly-report", database_url=url)
    city = measure_monthly_report()
    rows = []
    for label, figures in (("demo city", demo), ("benchmark city", city)):
        size = f"{figures['residents']:,} residents, {figures['grids']:,} grids"
        running, first, kept = figures["running"], figures["first"], figures["kept"]
        rows += [
            Row(
                f"monthly report, {label}: figures, running month",
                f"{running['figures']:.2f}",
                "s",
                f"{size}; {running['queries']} queries",
            ),
            Row(
                f"monthly report, {label}: figures, month over, first",
                f"{first['figures']:.2f}",
                "s",
                f"{first['queries']} queries (history read and kept)",
            ),
            Row(
                f"monthly report, {label}: figures, month over, kept",
                f"{kept['figures']:.2f}",
                "s",
                f"{kept['queries']} queries",
            ),
            Row(
                f"monthly report, {label}: Excel",
                f"{kept['xlsx']:.2f}",
                "s",
                f"{kept['xlsx_bytes'] / 1024:,.0f} KB",
            ),
            Row(
                f"monthly report, {label}: PDF",
                f"{kept['pdf']:.2f}",
                "s",
                f"{kept['pdf_bytes'] / 1024:,.0f} KB",
            ),
        ]
        for when, part in (("running month", running), ("month over, kept", kept)):
            total = part["figures"] + part["xlsx"] + part["pdf"]
            rows.append(Row(f"monthly report, {label}: all three, {when}", f"{total:.2f}", "s"))
    return rows


def measure_monthly_report() -> dict:
    """Seconds for this month's city-wide figures, workbook and PDF, with sizes and queries:
    while the month runs, then as if it were over (the clock moved to the next month's
    morning): first computed (its history figures kept), then again (read from what was kept).
    What was kept is rolled back: the bench leaves no row behind."""
    register_font()  # once per process, as in a server; not part of a report's time
    month = timezone.localdate()
    running = _measured_report(month)
    _begins, ends = month_bounds(month)
    with transaction.atomic():
        with time_machine.travel(ends + keep_after() + dt.timedelta(minutes=1), tick=True):
            first = _measured_report(month, files=False)
            kept = _measured_report(month)
        transaction.set_rollback(True)
    return {
        "grids": running["grids"],
        "residents": running["residents"],
        "running": running,
        "first": first,
        "kept": kept,
    }


def _measured_report(month: dt.date, *, files: bool = True) -> dict:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        figures = month_figures(month)
        figures_seconds = time.perf_counter() - started
    measured = {
        "grids": len(figures.grids),
        "residents": figures.total.residents,
        "queries": len(queries),
        "figures": figures_seconds,
    }
    if files:
        started = time.perf_counter()
        xlsx = report_xlsx(figures)
        measured["xlsx"] = time.perf_counter() - started
        started = time.perf_counter()
        pdf = report_pdf(figures)
        measured["pdf"] = time.perf_counter() - started
        measured["xlsx_bytes"], measured["pdf_bytes"] = len(xlsx), len(pdf)
    return measured
