"""The province-sized benchmark city: built once in the benchmark database, reused after."""

import sys
import time

from django.db import connection
from django.utils import timezone

from archives.demo.city import CitySize, demo_city_exists, demo_city_reset, demo_city_seed
from archives.models import Building, Grid, Resident
from bench.table import Row
from portal.demo import demo_roles


def bench_city(residents: int, *, rebuild: bool) -> list[Row]:
    present = Resident.objects.count() if demo_city_exists() else 0
    if present and not rebuild:
        note = "reused" if present == residents else f"reused; --rebuild for {residents:,}"
        # A city built before buildings had positions (migration 0012) lacks them; the demo
        # builder places every building, so a rebuild gives them.
        if Building.objects.filter(latitude__isnull=True).exists():
            note += "; buildings without positions: --rebuild"
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
    print(f"building the benchmark city: {residents:,} residents, {grids:,} grids", file=sys.stderr)
    started = time.perf_counter()
    demo_city_seed(seed=2026, size=size, today=timezone.localdate(), roles=demo_roles())
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
