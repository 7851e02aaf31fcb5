"""A 100,000-resident insert the way an import writes it, with history: its time and how much
the history tables grow. Rolled back."""

import time

from django.db import connection

from accounts.system import system_actor
from archives import services
from archives.models import Resident
from bench.scratch import rolled_back
from bench.table import Row

HISTORY_TABLES = ["archives_historicalresident", "archives_historicalresident_tags"]


def bulk_history_size(count: int) -> list[Row]:
    """Insert ``count`` residents the way an import does, with history, and measure the
    history tables' growth; then roll it all back."""
    sources = Resident.objects.order_by("pk").prefetch_related("tags")[:count]
    copies, tag_ids = [], []
    for source in sources:
        tag_ids.append({tag.pk for tag in source.tags.all()})
        source.pk = None
        # Kept out of the active-ID constraint: these copies never become active.
        source.residency_status = Resident.ResidencyStatus.MOVED_OUT
        copies.append(source)
    before = _history_size()
    with rolled_back():
        started = time.perf_counter()
        services.residents_bulk_create(
            residents=copies, tag_ids=tag_ids, actor=system_actor(), reason="bench import"
        )
        seconds = time.perf_counter() - started
        grown = _history_size() - before
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


def _history_size() -> int:
    with connection.cursor() as cursor:  # history: reads table sizes, writes no row
        cursor.execute(
            "SELECT sum(pg_total_relation_size(t)) FROM unnest(%s::regclass[]) t", [HISTORY_TABLES]
        )
        return cursor.fetchone()[0]
