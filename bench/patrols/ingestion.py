"""Points per second through the service and through the tracking apps' endpoint."""

import datetime as dt
import multiprocessing
import time
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connections
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from archives.model_meta import history_manager
from archives.models import (
    Grid,
    GridUserObjectPermission,
)
from archives.scope import grant_codename
from bench.patrols.layout import (
    ADMIN_USERNAME,
    BATCH,
    BATCHES,
    INGEST_USERNAME,
    INGEST_WORKERS,
    OSMAND_REQUESTS,
    STEP,
    grid_origin,
)
from bench.table import BenchFailed, Row
from patrols import services as patrol_services
from patrols.models import Patrol, TrackingDevice, TrackPoint
from portal.roles import GRID_MEMBER, roles_ensure

# --- ingestion ---------------------------------------------------------------------------------


def ingestion_timings() -> list[Row]:
    """Points per second through the phone page's service (batches of 20, each its own
    transaction) and through the tracking apps' endpoint (a request a point, through Django's
    whole request handling, in this process)."""
    member, admin, grid = _ingest_accounts()
    _ingested_removed(member)
    now = timezone.now()
    started_at = now - dt.timedelta(hours=4)
    patrol = patrol_services.patrol_start(actor=member, grid=grid, at=started_at)
    batches = _batches(started_at, first=0)
    try:
        began = time.perf_counter()
        for batch in batches:
            receipt = patrol_services.patrol_points_record(
                patrol=patrol, actor=member, points=batch
            )
            if receipt.stored != BATCH:
                raise BenchFailed(f"a batch of {BATCH} stored {receipt.stored}: {receipt}")
        batch_seconds = time.perf_counter() - began
        points = BATCH * BATCHES
        rows = [
            Row(
                f"patrol points recorded, batches of {BATCH} (phone page's service)",
                f"{points / batch_seconds:,.0f}",
                "points/s",
                f"{points:,} points in {batch_seconds:.1f} s, one sender: each commit waits "
                "for its own disk flush",
            )
        ]
        rows.append(_osmand(admin, member, started_at, first=points))
    finally:
        _ingested_removed(member)
    rows.append(_ingestion_concurrent(grid))
    return rows


def _ingestion_concurrent(grid) -> Row:
    """Points per second with ``INGEST_WORKERS`` processes each sending one member's batches of
    20 at once: many phones, one app server's workers. Commits then share the disk's flushes
    (PostgreSQL's group commit), which a single sender waits for one by one."""
    members = [_ingest_member(f"{INGEST_USERNAME}-{n}", grid) for n in range(INGEST_WORKERS)]
    for member in members:
        _ingested_removed(member)
    started_at = timezone.now() - dt.timedelta(hours=4)
    patrols = [
        patrol_services.patrol_start(actor=member, grid=grid, at=started_at) for member in members
    ]
    connections.close_all()  # each process opens its own
    context = multiprocessing.get_context("fork")
    ready = context.Barrier(INGEST_WORKERS)
    results = context.Queue()
    workers = [
        context.Process(target=_ingest_worker, args=(patrol.pk, ready, results))
        for patrol in patrols
    ]
    try:
        for worker in workers:
            worker.start()
        spans = [results.get(timeout=600) for _ in workers]
        for worker in workers:
            worker.join()
    finally:
        for member in members:
            _ingested_removed(member)
    if any(span is None for span in spans):
        raise BenchFailed("a concurrent ingestion worker failed (see above)")
    points = INGEST_WORKERS * BATCH * BATCHES
    seconds = max(end for _start, end in spans) - min(start for start, _end in spans)
    return Row(
        f"patrol points recorded, {INGEST_WORKERS} senders at once (batches of {BATCH})",
        f"{points / seconds:,.0f}",
        "points/s",
        f"{points:,} points in {seconds:.1f} s, a commit a batch; goal ≥ 5,000",
    )


def _ingest_worker(patrol_id: int, ready, results) -> None:
    try:
        patrol = Patrol.objects.select_related("member").get(pk=patrol_id)
        batches = _batches(patrol.started_at, first=0)
        ready.wait(timeout=120)
        began = time.time()
        for batch in batches:
            patrol_services.patrol_points_record(patrol=patrol, actor=patrol.member, points=batch)
        results.put((began, time.time()))
    except Exception:
        results.put(None)
        raise
    finally:
        connections.close_all()


def _batches(started_at: dt.datetime, *, first: int) -> list[list[patrol_services.RawPoint]]:
    lat0, lon0 = grid_origin(0)
    return [
        [
            patrol_services.RawPoint(
                client_id=n,
                recorded_at=started_at + dt.timedelta(seconds=n),
                latitude=lat0 + STEP + n * 1e-6,
                longitude=lon0 + STEP,
                accuracy_m=5,
            )
            for n in range(first + b * BATCH, first + (b + 1) * BATCH)
        ]
        for b in range(BATCHES)
    ]


def _osmand(admin, member, started_at: dt.datetime, *, first: int) -> Row:
    what = "patrol points from a tracking app (OsmAnd endpoint, a request a point)"
    try:
        url = reverse("patrols:osmand")
    except NoReverseMatch:
        return Row(what, "—", "points/s", "the OsmAnd endpoint is not on this branch")
    _device, token = patrol_services.tracking_device_issue(actor=admin, member=member, name="bench")
    client = Client(HTTP_HOST="localhost")
    lat0, lon0 = grid_origin(0)
    requests = [
        {
            "id": token,
            "lat": f"{lat0 + STEP + (first + n) * 1e-6:.6f}",
            "lon": f"{lon0 + STEP:.6f}",
            "timestamp": str(int((started_at + dt.timedelta(seconds=first + n)).timestamp())),
            "accuracy": "5",
        }
        for n in range(OSMAND_REQUESTS)
    ]
    began = time.perf_counter()
    for params in requests:
        response = client.post(f"{url}?{urlencode(params)}")  # as Traccar Client sends
        if response.status_code != 200 or response.content != b"OK":
            raise BenchFailed(
                f"the OsmAnd endpoint answered {response.status_code}: {response.content[:200]!r}"
            )
    seconds = time.perf_counter() - began
    return Row(
        what,
        f"{OSMAND_REQUESTS / seconds:,.0f}",
        "points/s",
        f"{OSMAND_REQUESTS:,} POSTs in {seconds:.1f} s through the test client, one process",
    )


def _ingest_accounts():
    """The benchmark's own member (in the first grid) and an administrator to issue a device."""
    User = get_user_model()
    grid = Grid.objects.order_by("code").first()
    if grid is None:
        raise BenchFailed("no grid: the patrol data was not built")
    member = _ingest_member(INGEST_USERNAME, grid)
    admin, _created = User.objects.get_or_create(
        username=ADMIN_USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    return member, admin, grid


def _ingest_member(username: str, grid: Grid):
    """A grid member of the benchmark's own, granted ``grid``."""
    member, created = get_user_model().objects.get_or_create(
        username=username, defaults={"first_name": "测速员", "is_staff": True}
    )
    if created:
        member.groups.add(roles_ensure()[GRID_MEMBER])
        grid.members.add(member)
        access_grid = Permission.objects.get(
            content_type__app_label="archives", codename=grant_codename(Grid)
        )
        GridUserObjectPermission.objects.create(
            user=member, content_object=grid, permission=access_grid
        )
    return member


def _ingested_removed(member) -> None:
    """The benchmark's own rounds, points and devices, with their history: gone."""
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        rounds = Patrol.objects.filter(member=member)
        history_manager(Patrol).filter(member_id=member.pk).delete()
        TrackPoint.objects.filter(patrol__in=rounds).delete()
        rounds.delete()
        history_manager(TrackingDevice).filter(member_id=member.pk).delete()
        TrackingDevice.objects.filter(member=member).delete()
