"""The monthly report's bench rows: figures, Excel and PDF for a whole city, timed, with the
figures' query count. ``bench`` runs it in-process on the benchmark city and, for the demo
city, in a process of its own on a scratch database (``--measure-monthly-report``)."""

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exports.excel import report_xlsx
from exports.pdf import register_font, report_pdf
from exports.selectors import month_figures


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
