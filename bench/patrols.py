"""Patrol tracks (``--only patrols``): ingestion speed, and a month's patrol figures over 30
million track points.

The figures need 2,000 grid members walking 30 days of 500 points each, not a million residents,
so they get a database of their own beside the benchmark database (``portal_bench_patrols``),
built once and reused: 2,000 grids of 20 buildings on a map (one household each), a member per
grid, a round a day each with its 500 points generated in SQL (``INSERT … SELECT
generate_series``), its distance and buildings passed worked out in SQL, and 20 visits a member
(16 on the track, 2 at a building the track did not pass then, 2 in the evening with no round).
The measuring runs in a child process on that database (``--measure-patrols``).

Ingestion writes and commits as the app server does (one transaction a batch or a request),
into the same 30-million-point table; the benchmark's own round, device and points are deleted
afterwards.
"""

import argparse
import datetime as dt
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import connection, connections, transaction
from django.db.models import Count, Sum
from django.test import Client
from django.test.utils import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.system import system_actor
from archives import services as archive_services
from archives.bulk import rows_insert
from archives.model_meta import history_manager
from archives.models import (
    Building,
    Community,
    Grid,
    GridUserObjectPermission,
    Household,
    Street,
    Visit,
)
from archives.scope import grant_codename
from bench.scratch import ROOT, DatabaseSettings, database_ensure, database_url
from bench.table import BenchFailed, Row
from patrols import services as patrol_services
from patrols.models import Patrol, PatrolBuilding, TrackingDevice, TrackPoint
from patrols.selectors import patrol_month_counts, track_check_expression
from portal.roles import GRID_MEMBER, roles_ensure

SUFFIX = "_patrols"
MEMBERS = 2_000  # the default of --patrol-members
DAYS = 30
POINTS = 500
VISITS = 20
#: The month walked: fixed, so the data is reused whatever the day the benchmark runs.
YEAR, MONTH = 2026, 11
#: Points are 30 s apart: a round lasts 4 h 10 min.
EVERY_S = 30
#: A grid is a square of about a kilometre; its 20 buildings stand in 4 rows of 5, 222 m
#: (0.002°) between rows and 163 m (0.002° of longitude here) along them.
ORIGIN = (42.70, 129.30)
CELL = 0.01
ROWS, COLUMNS, STEP = 4, 5, 0.002
#: A round walks the rows in turn, 125 points each: 110 along the row, 15 up to the next.
ALONG, PER_ROW = 110, 125
#: Members per chunk of generated points (1.5 million points), each chunk one transaction.
CHUNK = 100
USERNAME_PREFIX = "pb-"
INGEST_USERNAME = "bench-ingest"
ADMIN_USERNAME = "bench-admin"
BATCH = 20
BATCHES = 500
OSMAND_REQUESTS = 2_000
#: Processes sending at once, as ``make serve``'s gunicorn workers take phones' batches at once.
INGEST_WORKERS = 3
RUNS = 3


# --- the parent: a database of its own, measured in a child ---------------------------------


def patrol_timings(database: DatabaseSettings, options: argparse.Namespace) -> list[Row]:
    """The patrol rows, measured in a child process on the patrols' own database."""
    name = f"{database['NAME']}{SUFFIX}"
    database_ensure({**database, "NAME": name})
    env = {**os.environ, "DEBUG": "1", "DATABASE_URL": database_url(database, name)}
    arguments = ["--measure-patrols", "--patrol-members", str(options.patrol_members)]
    arguments += ["--rebuild"] if options.rebuild else []
    # Progress (a first build takes minutes) goes to this terminal; the figures come back as
    # JSON on the last line of the child's output.
    done = subprocess.run(
        [sys.executable, "-m", "bench", *arguments],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    if done.returncode:
        raise BenchFailed(f"bench {' '.join(arguments)} failed (see above)")
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    return [Row(**row) for row in rows]


# --- the child ---------------------------------------------------------------------------------


def measure_patrols(*, rebuild: bool, members: int = MEMBERS) -> list[dict]:
    rows = [_patrol_city_ensure(rebuild=rebuild, members=members)]
    rows += _ingestion()
    _vacuum_analyze()
    rows += _month_figures(members)
    return [row.__dict__ for row in rows]


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _month() -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(YEAR, MONTH, 1, tzinfo=_tz())
    end = dt.datetime(YEAR + MONTH // 12, MONTH % 12 + 1, 1, tzinfo=_tz())
    return start, end


def _round_start(member_index: int, day: int) -> dt.datetime:
    """When member ``member_index`` starts walking on day ``day`` (0-based) of the month."""
    first = dt.datetime(YEAR, MONTH, 1, 8, 0, tzinfo=_tz())
    return first + dt.timedelta(days=day, minutes=member_index % 60)


def _point_passing(building: int) -> int:
    """The index of the round's point nearest building ``building`` (0–19, row by row)."""
    row, column = divmod(building, COLUMNS)
    along = round(column * (ALONG - 1) / (COLUMNS - 1))
    if row % 2:  # odd rows are walked westwards
        along = ALONG - 1 - along
    return row * PER_ROW + along


def _complete(members: int) -> bool:
    start, end = _month()
    rounds = Patrol.objects.filter(
        member__username__startswith=USERNAME_PREFIX, started_at__gte=start, started_at__lt=end
    ).aggregate(n=Count("pk"), points=Sum("point_count"))
    return rounds["n"] == members * DAYS and rounds["points"] == members * DAYS * POINTS


def _patrol_city_ensure(*, rebuild: bool, members: int) -> Row:
    what = f"patrol data ({members:,} members × {DAYS} days × {POINTS} points)"
    if _complete(members) and not rebuild:
        return Row(what, f"{members * DAYS * POINTS:,}", "points", "reused")
    _tables_emptied()
    started = time.perf_counter()
    _archive_built(members)
    built = time.perf_counter()
    _rounds_built()
    seconds = time.perf_counter() - started
    note = (
        f"archive {built - started:.0f} s, points and summaries {seconds - built + started:.0f} s"
    )
    return Row(f"build {what}", f"{seconds:.0f}", "s", note)


def _tables_emptied() -> None:
    """Every table of this database but Django's own bookkeeping, emptied."""
    keep = {"django_migrations", "django_content_type", "auth_permission"}
    keep |= {"auth_group", "auth_group_permissions"}
    tables = [t for t in connection.introspection.django_table_names(only_existing=True)]
    tables = [t for t in tables if t not in keep]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:  # history: this database is the benchmark's alone
        cursor.execute(f"TRUNCATE {', '.join(map(quote, tables))} RESTART IDENTITY CASCADE")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@transaction.atomic
def _archive_built(members: int) -> None:
    """Streets, communities, grids of 20 buildings on the map (a household each), a member per
    grid with the grid member's role and grant, and their month's visits."""
    _progress(f"building the patrol benchmark's archive: {members:,} grids and members")
    actor = system_actor()
    reason = "bench patrols"

    def insert(rows: list) -> list:
        return archive_services.rows_bulk_create(rows=rows, actor=actor, reason=reason)

    streets = insert([Street(code=f"PS{s:02d}", name=f"巡查街道{s}") for s in range(20)])
    communities = insert(
        [
            Community(street=streets[c // 10], code=f"PC{c:03d}", name=f"巡查社区{c}")
            for c in range(-(-members // 10))
        ]
    )
    grids = insert(
        [
            Grid(community=communities[g // 10], code=f"PG{g:04d}", name=f"巡查网格{g}")
            for g in range(members)
        ]
    )
    buildings = insert(
        [
            Building(
                grid=grid,
                address=f"巡查路{g}-{b}号",
                units=1,
                floors=1,
                latitude=round(_building_position(g, b)[0], 6),
                longitude=round(_building_position(g, b)[1], 6),
            )
            for g, grid in enumerate(grids)
            for b in range(ROWS * COLUMNS)
        ]
    )
    households = insert(
        [
            Household(
                building=building, unit=1, floor=1, room="101", status=Household.Status.OCCUPIED
            )
            for building in buildings
        ]
    )
    visits = []
    for m, member in enumerate(_members(grids)):
        for v in range(VISITS):
            day, building = v * 3 // 2, (v * 7 + m) % (ROWS * COLUMNS)
            point = _point_passing(building)
            if v % 10 == 7:  # at a building the round passes two rows away at that time
                point = (point + 2 * PER_ROW) % POINTS
            at = _round_start(m, day) + dt.timedelta(seconds=point * EVERY_S + 60)
            if v % 10 == 9:  # in the evening, no round open
                at = _round_start(m, day).replace(hour=20)
            visits.append(
                Visit(
                    grid_member_id=member,
                    household=households[m * ROWS * COLUMNS + building],
                    visited_at=at,
                    note="巡查走访",
                )
            )
    insert(visits)


def _building_position(grid: int, building: int) -> tuple[float, float]:
    lat0, lon0 = _grid_origin(grid)
    row, column = divmod(building, COLUMNS)
    return lat0 + STEP * (row + 1), lon0 + STEP * (column + 1)


def _grid_origin(grid: int) -> tuple[float, float]:
    return ORIGIN[0] + CELL * (grid // 50), ORIGIN[1] + CELL * 1.3 * (grid % 50)


def _members(grids: list[Grid]) -> list[int]:
    """One member per grid (IDs in grid order), in the grid member's role, with a grant."""
    User = get_user_model()
    group = roles_ensure()[GRID_MEMBER]
    password = make_password(None)
    users = User.objects.bulk_create(
        [
            User(
                username=f"{USERNAME_PREFIX}{g:04d}",
                first_name=f"巡查员{g}",
                is_staff=True,
                password=password,
            )
            for g in range(len(grids))
        ],
        batch_size=2000,
    )
    Grid.members.through.objects.bulk_create(  # history: grid membership is not historied
        [
            Grid.members.through(grid_id=g.pk, user_id=u.pk)
            for g, u in zip(grids, users, strict=True)
        ]
    )
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=group.pk) for u in users]
    )
    access_grid = Permission.objects.get(
        content_type__app_label="archives", codename=grant_codename(Grid)
    )
    GridUserObjectPermission.objects.bulk_create(
        [
            GridUserObjectPermission(user_id=u.pk, content_object_id=g.pk, permission=access_grid)
            for g, u in zip(grids, users, strict=True)
        ]
    )
    return [u.pk for u in users]


def _rounds_built() -> None:
    """A round a day for every member, its points generated in SQL a chunk of members at a
    time, then its distance, counts and buildings passed worked out in SQL."""
    members = list(
        Grid.members.through.objects.filter(user__username__startswith=USERNAME_PREFIX)
        .order_by("user_id")
        .values_list("user_id", "grid_id")
    )
    for first in range(0, len(members), CHUNK):
        started = time.perf_counter()
        with transaction.atomic():
            chunk = members[first : first + CHUNK]
            rounds = [
                Patrol(
                    member_id=member,
                    grid_id=grid,
                    state=Patrol.State.ENDED,
                    started_at=_round_start(first + m, day),
                    ended_at=_round_start(first + m, day)
                    + dt.timedelta(seconds=(POINTS - 1) * EVERY_S),
                )
                for m, (member, grid) in enumerate(chunk)
                for day in range(DAYS)
            ]
            rows_insert(rounds)  # history: generated benchmark rounds, never edited
            ids = [r.pk for r in rounds]
            _points_generated(min(ids), max(ids))
            _summaries_computed(min(ids), max(ids))
        done = first + len(chunk)
        _progress(
            f"  rounds of {done:,}/{len(members):,} members: "
            f"{len(chunk) * DAYS * POINTS:,} points in {time.perf_counter() - started:.1f} s"
        )


def _points_generated(first_round: int, last_round: int) -> None:
    """The 500 points of each round from ``first_round`` to ``last_round``: along the rows of
    its grid's buildings, a few metres of jitter, one point in 50 reported inaccurate (80 m,
    flagged). In the order the index wants them (member, time), so each index grows at its
    end. The keys are right by construction: their deferred checks (two lookups a point) are
    skipped for this bulk load."""
    sql = f"""
        INSERT INTO patrols_trackpoint
            (patrol_id, member_id, client_id, recorded_at, latitude, longitude, accuracy_m, flag)
        SELECT p.id, p.member_id, i,
            p.started_at + i * interval '{EVERY_S} seconds',
            g.lat0 + {STEP} * (1 + i / {PER_ROW})
                + {STEP} * greatest(0, i %% {PER_ROW} - {ALONG - 1}) / {PER_ROW - ALONG}.0
                + (random() - 0.5) * 0.00006,
            g.lon0 + {STEP} + {STEP * (COLUMNS - 1)} * CASE WHEN (i / {PER_ROW}) %% 2 = 0
                THEN least(i %% {PER_ROW}, {ALONG - 1}) / {ALONG - 1}.0
                ELSE 1 - least(i %% {PER_ROW}, {ALONG - 1}) / {ALONG - 1}.0 END
                + (random() - 0.5) * 0.00008,
            CASE WHEN i %% 50 = 17 THEN 80 ELSE 4 + i %% 7 END,
            CASE WHEN i %% 50 = 17 THEN 1 ELSE 0 END
        FROM patrols_patrol p
        JOIN (
            SELECT grid_id, min(latitude)::float - {STEP} AS lat0,
                min(longitude)::float - {STEP} AS lon0
            FROM archives_building GROUP BY grid_id
        ) g ON g.grid_id = p.grid_id
        CROSS JOIN generate_series(0, {POINTS - 1}) AS i
        WHERE p.id BETWEEN %s AND %s
        ORDER BY p.member_id, p.started_at, i
    """
    with connection.cursor() as cursor:  # history: track points are not historied
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, [first_round, last_round])
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


#: Haversine metres between (lat1, lon1) and (lat2, lon2), as ``patrols.geometry`` computes it
#: (mind: ``least(1, NULL)`` is 1, so a leg without a first point must be filtered out).
_HAVERSINE = """
    2 * 6371008.8 * asin(least(1, sqrt(
        sin(radians({lat2} - {lat1}) / 2) ^ 2
        + cos(radians({lat1})) * cos(radians({lat2})) * sin(radians({lon2} - {lon1}) / 2) ^ 2
    )))
"""


def _summaries_computed(first_round: int, last_round: int) -> None:
    """Each round's distance over its plausible points in time order, its counts, and the
    buildings of its grid its plausible points came within the on-track distance of."""
    metres = settings.PATROL_ON_TRACK_METRES
    legs = _HAVERSINE.format(lat1="plat", lon1="plon", lat2="latitude", lon2="longitude")
    near = _HAVERSINE.format(lat1="b.lat", lon1="b.lon", lat2="t.latitude", lon2="t.longitude")
    box = metres / 111_195 * 1.5  # degrees: a coarse box before the exact distance
    with connection.cursor() as cursor:  # history: the rounds' totals of generated points
        cursor.execute(
            f"""
            UPDATE patrols_patrol p
            SET distance_m = d.metres, point_count = c.points, flagged_count = c.flagged
            FROM (
                SELECT patrol_id,
                    round(coalesce(sum({legs}) FILTER (WHERE plat IS NOT NULL), 0)) AS metres
                FROM (
                    SELECT patrol_id, latitude, longitude,
                        lag(latitude) OVER w AS plat, lag(longitude) OVER w AS plon
                    FROM patrols_trackpoint
                    WHERE patrol_id BETWEEN %s AND %s AND flag = 0
                    WINDOW w AS (PARTITION BY patrol_id ORDER BY client_id)
                ) walked
                GROUP BY patrol_id
            ) d, (
                SELECT patrol_id, count(*) AS points, count(*) FILTER (WHERE flag <> 0) AS flagged
                FROM patrols_trackpoint
                WHERE patrol_id BETWEEN %s AND %s
                GROUP BY patrol_id
            ) c
            WHERE p.id = d.patrol_id AND p.id = c.patrol_id
            """,
            [first_round, last_round, first_round, last_round],
        )
        cursor.execute(
            f"""
            INSERT INTO patrols_patrolbuilding (patrol_id, building_id)
            SELECT DISTINCT t.patrol_id, b.id
            FROM patrols_trackpoint t
            JOIN patrols_patrol p ON p.id = t.patrol_id
            JOIN (
                SELECT id, grid_id, latitude::float AS lat, longitude::float AS lon
                FROM archives_building
            ) b ON b.grid_id = p.grid_id
                AND abs(t.latitude - b.lat) <= {box} AND abs(t.longitude - b.lon) <= {box * 1.4}
            WHERE t.patrol_id BETWEEN %s AND %s AND t.flag = 0 AND {near} <= {metres}
            """,
            [first_round, last_round],
        )


def _vacuum_analyze() -> None:
    """What autovacuum would have done on a running server: the visibility map for the
    index scans and the planner's statistics of freshly loaded tables."""
    tables = [Patrol, TrackPoint, PatrolBuilding, Visit, Household, Building]
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.db_table) for model in tables)
    with connection.cursor() as cursor:  # history: VACUUM reclaims dead rows, writes none
        cursor.execute(f"VACUUM (ANALYZE) {names}")


# --- ingestion ---------------------------------------------------------------------------------


def _ingestion() -> list[Row]:
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
    lat0, lon0 = _grid_origin(0)
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
    lat0, lon0 = _grid_origin(0)
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


# --- a month's figures -------------------------------------------------------------------------


def _month_figures(members_built: int) -> list[Row]:
    start, end = _month()
    timings = []
    for _ in range(RUNS):
        began = time.perf_counter()
        month = patrol_month_counts(start=start, end=end)
        timings.append(time.perf_counter() - began)
    members = list(month.by_member.values())
    rounds = sum(c.rounds for c in members)
    on = sum(c.visits_on_track for c in members)
    off = sum(c.visits_off_track for c in members)
    visits = sum(c.visits for c in members)
    n = members_built
    expected = (n * DAYS, n * VISITS, n * VISITS * 8 // 10, n * VISITS // 10)
    if (rounds, visits, on, off) != expected:
        raise BenchFailed(
            f"the month's figures are wrong: rounds, visits, on-track, off-track = "
            f"{rounds}, {visits}, {on}, {off}; expected {expected}"
        )
    covered = statistics.mean(c.buildings_covered for c in members)
    kilometres = statistics.mean(c.kilometres for c in members)
    note = (
        f"runs {', '.join(f'{t:.1f}' for t in timings)} s; {rounds:,} rounds, {visits:,} visits "
        f"({on:,} on-track, {off:,} off); {kilometres:.0f} km and {covered:.0f} buildings a "
        f"member; goal < 30 s"
    )
    return [
        Row(
            f"patrol month figures, {len(members):,} members, {n * DAYS * POINTS:,} points",
            f"{statistics.median(timings):.2f}",
            "s median",
            note,
        ),
        Row("  plan of its visits' on-track check", "", "", _visits_check_plan(start, end)),
    ]


def _visits_check_plan(start: dt.datetime, end: dt.datetime) -> str:
    """The top node of the plan of the visits' check, the one query that reads points (the
    same query ``patrol_month_counts`` runs)."""
    checked = (
        Visit.objects.filter(visited_at__gte=start, visited_at__lt=end)
        .annotate(track_state=track_check_expression())
        .values_list("household__building__grid_id", "grid_member_id", "track_state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    plan = checked.explain().splitlines()
    top = plan[0].strip()
    scans = [line.strip().removeprefix("-> ").split("  (")[0] for line in plan]
    used = sorted({scan for scan in scans if " using " in scan and "trackpoint" in scan})
    return f"{top}; {'; '.join(used)}"
