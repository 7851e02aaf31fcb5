"""The monthly report's bench rows: figures, Excel and PDF for a whole city, timed, with the
figures' query count. Measured in-process on the benchmark city and, for the demo city, in a
process of its own on a scratch database (``--measure-monthly-report``)."""

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.scratch import DatabaseSettings, measured_in_child, scratch_database, seed_demo_timed
from bench.table import Row
from exports.excel import report_xlsx
from exports.pdf import register_font, report_pdf
from exports.selectors import month_figures


def monthly_report_timings(database: DatabaseSettings) -> list[Row]:
    """This month's report for the whole city: the demo city (seeded on a scratch
    database, measured in a process of its own) and the benchmark city."""
    with scratch_database(database, "report_demo") as url:
        seed_demo_timed(url)
        demo = measured_in_child("--measure-monthly-report", database_url=url)
    city = measure_monthly_report()
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


def measure_monthly_report() -> dict:
    """Seconds for this month's city-wide figures, workbook and PDF; sizes and queries."""
    register_font()  # once per process, as in a server; not part of a report's time
    month = timezone.localdate()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        figures = month_figures(month)
        figures_seconds = time.perf_counter() - started
    started = time.perf_counter()
    xlsx = report_xlsx(figures)
    xlsx_seconds = time.perf_counter() - started
    started = time.perf_counter()
    pdf = report_pdf(figures)
    pdf_seconds = time.perf_counter() - started
    return {
        "grids": len(figures.grids),
        "residents": figures.total.residents,
        "queries": len(queries),
        "figures": figures_seconds,
        "xlsx": xlsx_seconds,
        "xlsx_bytes": len(xlsx),
        "pdf": pdf_seconds,
        "pdf_bytes": len(pdf),
    }
