"""The audit draw over the whole benchmark city (LQAS, 19 per grid), its commit's key checks
and its verification; each draw rolled back."""

import time

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts.types import Actor
from archives.models import Resident
from audits import services as audit_services
from audits.models import AuditCampaign, AuditItem, AuditStratum
from bench.scratch import rolled_back
from bench.table import BenchFailed, Row, median_and_p95


def audit_draw_timings(draws: int) -> list[Row]:
    """Draw 19 residents from every grid of the whole city, then verify the draw; each
    rolled back, ``draws`` times, and the medians printed (a shared machine is noisy)."""
    User = get_user_model()
    actor = User.objects.filter(is_superuser=True, is_active=True).order_by("pk")[0]
    auditor = User.objects.get(username="auditor")
    _vacuum_for_audit_draw()
    timings: dict[str, list[float]] = {"draw": [], "commit checks": [], "verify": []}
    for _ in range(max(1, draws)):
        figures = _time_one_audit_draw(actor, auditor, timings)
    population, items, packed = figures
    draw, draw_p95 = median_and_p95(timings["draw"])
    verify, _p95 = median_and_p95(timings["verify"])
    checks, _p95 = median_and_p95(timings["commit checks"])
    spread = ", ".join(f"{t:.2f}" for t in timings["draw"])
    note = f"{population:,} eligible, {items:,} items, population stored in {packed:,} bytes"
    return [
        Row("audit draw, whole city, LQAS n=19 per grid", f"{draw:.2f}", "s median", note),
        Row(f"  the {len(timings['draw'])} draws", f"{draw_p95:.2f}", "s slowest", spread),
        Row("  foreign-key checks at its commit", f"{checks:.2f}", "s median"),
        Row("audit verify draw (re-run and compare)", f"{verify:.2f}", "s median"),
    ]


def _vacuum_for_audit_draw() -> None:
    """What autovacuum does on a running server, which a benchmark server may not run:
    every rolled-back draw leaves 38,000 dead items behind (2.3 million after 60 draws,
    478 MB, and each later draw slower), and the draw's index-only scan of residents
    needs the visibility map that only a vacuum sets."""
    models = [Resident, AuditCampaign, AuditStratum, AuditItem]
    tables = [model._meta.db_table for model in models]
    tables += [AuditStratum.members.through._meta.db_table]
    tables += [AuditCampaign.grids.through._meta.db_table]
    with connection.cursor() as cursor:  # history: VACUUM reclaims dead rows, writes none
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(map(connection.ops.quote_name, tables))}")


def _time_one_audit_draw(
    actor: Actor, auditor: Actor, timings: dict[str, list[float]]
) -> tuple[int, int, int]:
    with rolled_back():
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
        # The items' foreign keys are checked at commit (deferred), which the rolled back
        # draw never reaches: fire those checks here to time them too.
        started = time.perf_counter()
        with connection.cursor() as cursor:  # history: checks constraints, writes no row
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        timings["commit checks"].append(time.perf_counter() - started)
        started = time.perf_counter()
        check = audit_services.audit_campaign_verify_draw(campaign=campaign, actor=actor)
        timings["verify"].append(time.perf_counter() - started)
        if not check.ok:
            raise BenchFailed(f"the bench draw does not verify: {check.problems}")
        population = bytes(campaign.population or b"")
        return campaign.population_size or 0, campaign.items.count(), len(population)
