"""Building the patrol data once: the archive it needs, its rounds, 30 million points in SQL
and their totals."""

import datetime as dt
import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.db.models import Count, Sum

from accounts.system import system_actor
from archives import services as archive_services
from archives.bulk import rows_insert
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
from bench.patrols.layout import (
    ALONG,
    CHUNK,
    COLUMNS,
    DAYS,
    EVERY_S,
    PER_ROW,
    POINTS,
    ROWS,
    STEP,
    USERNAME_PREFIX,
    VISITS,
    building_position,
    patrol_month,
    point_passing,
    round_start,
)
from bench.table import Row
from patrols.models import Patrol, PatrolBuilding, TrackPoint
from portal.roles import GRID_MEMBER, roles_ensure


def _complete(members: int) -> bool:
    start, end = patrol_month()
    rounds = Patrol.objects.filter(
        member__username__startswith=USERNAME_PREFIX, started_at__gte=start, started_at__lt=end
    ).aggregate(n=Count("pk"), points=Sum("point_count"))
    return rounds["n"] == members * DAYS and rounds["points"] == members * DAYS * POINTS


def patrol_city_ensure(*, rebuild: bool, members: int) -> Row:
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
                latitude=round(building_position(g, b)[0], 6),
                longitude=round(building_position(g, b)[1], 6),
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
            point = point_passing(building)
            if v % 10 == 7:  # at a building the round passes two rows away at that time
                point = (point + 2 * PER_ROW) % POINTS
            at = round_start(m, day) + dt.timedelta(seconds=point * EVERY_S + 60)
            if v % 10 == 9:  # in the evening, no round open
                at = round_start(m, day).replace(hour=20)
            visits.append(
                Visit(
                    grid_member_id=member,
                    household=households[m * ROWS * COLUMNS + building],
                    visited_at=at,
                    note="巡查走访",
                )
            )
    insert(visits)


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
                    started_at=round_start(first + m, day),
                    ended_at=round_start(first + m, day)
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


def vacuum_analyze() -> None:
    """What autovacuum would have done on a running server: the visibility map for the
    index scans and the planner's statistics of freshly loaded tables."""
    tables = [Patrol, TrackPoint, PatrolBuilding, Visit, Household, Building]
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.db_table) for model in tables)
    with connection.cursor() as cursor:  # history: VACUUM reclaims dead rows, writes none
        cursor.execute(f"VACUUM (ANALYZE) {names}")
