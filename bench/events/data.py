"""Building the events data once: 20 streets, 200 communities, 2,000 grids with a member each,
the departments in charge and the inspection office, and 100,000 events with their steps
written with COPY, ten thousand events at a time.

Each event goes through the chain as the services would take it (report, accept or pass up,
transfer to a department in charge of its category, now and then a return, handle, now and
then a send-back, confirm; one in a hundred escalated); events of the window's last four days
and one in a hundred older ones are still open, stopped at a random step. A stage's limit is
its start plus the default working hours counted as wall-clock hours: the lists only sort and
filter by it.
"""

import datetime as dt
import random
import sys
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.db.models import Model

from accounts.system import system_actor
from archives import services as archive_services
from archives.bulk import rows_insert
from archives.models import (
    Community,
    CommunityUserObjectPermission,
    Department,
    DepartmentUserObjectPermission,
    Grid,
    GridUserObjectPermission,
    Street,
    StreetUserObjectPermission,
)
from archives.scope import grant_codename
from bench.events.layout import (
    CATEGORIES,
    CHUNK,
    COMMUNITIES_PER_STREET,
    DEPARTMENTS,
    GRIDS,
    GRIDS_PER_COMMUNITY,
    INSPECTION,
    USERNAME_PREFIX,
    window,
)
from bench.table import Row
from events.models import Event, EventCategory, EventStep, Level, Light, Stage, Urgency
from events.services import DEFAULT_LIMIT_HOURS
from portal import roles

Action = EventStep.Action
#: The light and the stage each step leaves the event in (None: the stage goes on).
_STAGE_OF_LIGHT = {Light.RED: Stage.ACCEPT, Light.YELLOW: Stage.HANDLE, Light.BLUE: Stage.EVALUATE}


def events_data_complete(events: int) -> bool:
    return (
        Event.objects.count() == events
        and EventStep.objects.filter(action=Action.REPORT).count() == events
    )


def events_data_ensure(*, rebuild: bool, events: int) -> Row:
    what = f"events data ({events:,} events, {GRIDS:,} grids)"
    if events_data_complete(events) and not rebuild:
        steps = EventStep.objects.count()
        return Row(what, f"{steps:,}", "steps", "reused")
    _tables_emptied()
    started = time.perf_counter()
    people = _archive_built()
    built = time.perf_counter()
    steps = _events_built(events, people)
    _vacuum_analyze()
    seconds = time.perf_counter() - started
    note = (
        f"archive and people {built - started:.0f} s, {events:,} events and {steps:,} steps "
        f"{seconds - built + started:.0f} s"
    )
    return Row(f"build {what}", f"{seconds:.0f}", "s", note)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _tables_emptied() -> None:
    """Every table of this database but Django's own bookkeeping, emptied."""
    keep = {"django_migrations", "django_content_type", "auth_permission"}
    keep |= {"auth_group", "auth_group_permissions"}
    tables = [t for t in connection.introspection.django_table_names(only_existing=True)]
    tables = [t for t in tables if t not in keep]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:  # history: this database is the benchmark's alone
        cursor.execute(f"TRUNCATE {', '.join(map(quote, tables))} RESTART IDENTITY CASCADE")


class _People:
    """Who acts on the events: by grid its member, by community its staff, by street its
    official, by department its staff; the categories with their departments."""

    def __init__(self) -> None:
        self.member: dict[int, int] = {}
        self.community_staff: dict[int, int] = {}
        self.street_official: dict[int, int] = {}
        self.department_staff: dict[int, int] = {}
        self.grids: list[Grid] = []
        self.categories: list[tuple[EventCategory, list[int]]] = []
        self.city = 0


@transaction.atomic
def _archive_built() -> _People:
    _progress(f"building the events benchmark's archive: {GRIDS:,} grids and their people")
    actor = system_actor()
    reason = "bench events"

    def insert(rows: list) -> list:
        return archive_services.rows_bulk_create(rows=rows, actor=actor, reason=reason)

    communities_n = GRIDS // GRIDS_PER_COMMUNITY
    streets = insert(
        [
            Street(code=f"ES{s:03d}", name=f"事件街道{s}")
            for s in range(communities_n // COMMUNITIES_PER_STREET)
        ]
    )
    communities = insert(
        [
            Community(
                street=streets[c // COMMUNITIES_PER_STREET], code=f"EC{c:04d}", name=f"事件社区{c}"
            )
            for c in range(communities_n)
        ]
    )
    grids = insert(
        [
            Grid(
                community=communities[g // GRIDS_PER_COMMUNITY], code=f"EG{g:04d}", name=f"网格{g}"
            )
            for g in range(GRIDS)
        ]
    )
    departments = insert(
        [Department(code=code, name=name, serves_whole_city=True) for code, name, _c in DEPARTMENTS]
        + [
            Department(
                code=INSPECTION[0],
                name=INSPECTION[1],
                serves_whole_city=True,
                is_inspection_office=True,
            )
        ]
    )
    people = _People()
    people.grids = grids
    by_code = {d.code: d for d in departments}
    for code, name in CATEGORIES:
        category = EventCategory.objects.create(code=code, name=name)
        in_charge = [by_code[d] for d, _n, cats in DEPARTMENTS if code in cats]
        category.departments.set(in_charge)
        people.categories.append((category, [d.pk for d in in_charge]))
    groups = roles.roles_ensure()
    people.member = _accounts(groups[roles.GRID_MEMBER], "member", grids, Grid)
    people.community_staff = _accounts(
        groups[roles.COMMUNITY_STAFF], "community", communities, Community
    )
    people.street_official = _accounts(groups[roles.STREET_OFFICIAL], "street", streets, Street)
    people.department_staff = _accounts(
        groups[roles.DEPARTMENT_STAFF], "department", departments, Department
    )
    Grid.members.through.objects.bulk_create(  # history: grid membership is not historied
        [Grid.members.through(grid_id=g, user_id=u) for g, u in people.member.items()]
    )
    User = get_user_model()
    city = User.objects.create(
        username=f"{USERNAME_PREFIX}city", first_name="市级领导", is_staff=True
    )
    city.groups.add(groups[roles.MUNICIPAL_OFFICIAL])
    people.city = city.pk
    User.objects.create(
        username=f"{USERNAME_PREFIX}admin", first_name="管理员", is_staff=True, is_superuser=True
    )
    return people


_GRANTS: dict[type[Model], type[Model]] = {
    Grid: GridUserObjectPermission,
    Community: CommunityUserObjectPermission,
    Street: StreetUserObjectPermission,
    Department: DepartmentUserObjectPermission,
}


def _accounts(group, role: str, units: list, unit_model: type[Model]) -> dict[int, int]:
    """An account in ``group`` with a grant on each of ``units``: {unit ID: user ID}."""
    User = get_user_model()
    password = make_password(None)
    width = 4 if unit_model is not Street else 3
    users = User.objects.bulk_create(
        [
            User(
                username=f"{USERNAME_PREFIX}{role}-"
                + (unit.code if unit_model is Department else f"{n:0{width}d}"),
                first_name=f"{unit.name}工作人员",
                is_staff=True,
                password=password,
            )
            for n, unit in enumerate(units)
        ],
        batch_size=2000,
    )
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=u.pk, group_id=group.pk) for u in users]
    )
    permission = Permission.objects.get(
        content_type__app_label="archives", codename=grant_codename(unit_model)
    )
    _GRANTS[unit_model]._default_manager.bulk_create(
        [
            _GRANTS[unit_model](user_id=u.pk, content_object_id=unit.pk, permission=permission)
            for unit, u in zip(units, users, strict=True)
        ]
    )
    return {unit.pk: u.pk for unit, u in zip(units, users, strict=True)}


# --- the events -------------------------------------------------------------------------------


def _events_built(events: int, people: _People) -> int:
    start, end = window()
    span = (end - start).total_seconds()
    steps = 0
    for first in range(0, events, CHUNK):
        began = time.perf_counter()
        rng = random.Random(f"bench-events:{first}")
        rows, chains = [], []
        for i in range(first, min(events, first + CHUNK)):
            reported = start + dt.timedelta(seconds=span * i / events)
            reported = reported.replace(hour=8 + rng.randrange(10), minute=rng.randrange(60))
            event, chain = _event(rng, i, reported, end, people)
            rows.append(event)
            chains.append(chain)
        with transaction.atomic():
            with connection.cursor() as cursor:  # history: generated benchmark rows
                # The keys are right by construction: their deferred checks are skipped.
                cursor.execute("SET LOCAL session_replication_role = replica")
            rows_insert(rows)  # history: generated benchmark events, never edited
            written = []
            for event, chain in zip(rows, chains, strict=True):
                for step in chain:
                    step.event_id = event.pk
                written += chain
            rows_insert(written)  # history: steps are written once, never historied
            with connection.cursor() as cursor:  # history: back to checking keys
                cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        steps += len(written)
        _progress(
            f"  events {first + len(rows):,}/{events:,}: {len(written):,} steps in "
            f"{time.perf_counter() - began:.1f} s"
        )
    return steps


def _event(
    rng: random.Random, i: int, reported: dt.datetime, end: dt.datetime, people: _People
) -> tuple[Event, list[EventStep]]:
    grid = people.grids[i % len(people.grids)]
    community, street = grid.community_id, grid.community.street_id
    category, in_charge = people.categories[i % len(people.categories)]
    urgency = Urgency.NORMAL if rng.random() < 0.8 else Urgency.URGENT
    member = people.member[grid.pk]
    staff = people.community_staff[community]
    official = people.street_official[street]
    # (action, actor, light after, level after, department); the report first.
    plan: list[tuple[str, int, str, str, int | None]] = [
        (Action.REPORT, member if rng.random() < 0.8 else staff, Light.RED, Level.COMMUNITY, None)
    ]
    handler, level, department = staff, Level.COMMUNITY, None
    returns = send_backs = 0
    if rng.random() < 0.35:
        plan.append((Action.PASS_UP, staff, Light.RED, Level.STREET, None))
        department = rng.choice(in_charge)
        handler, level = people.department_staff[department], Level.DEPARTMENT
        if rng.random() < 0.05:
            plan.append((Action.TRANSFER, official, Light.RED, level, department))
            plan.append((Action.RETURN, handler, Light.RED, Level.STREET, department))
            returns = 1
        plan.append((Action.TRANSFER, official, Light.RED, level, department))
    plan.append((Action.ACCEPT, handler, Light.YELLOW, level, department))
    if rng.random() < 0.01:
        plan.append((Action.ESCALATE, official, Light.YELLOW, level, department))
    plan.append((Action.HANDLE, handler, Light.BLUE, level, department))
    if rng.random() < 0.05:
        plan.append((Action.SEND_BACK, staff, Light.YELLOW, level, department))
        plan.append((Action.HANDLE, handler, Light.BLUE, level, department))
        send_backs = 1
    plan.append((Action.CONFIRM, staff, Light.GREEN, level, department))
    if end - reported < dt.timedelta(days=4) or rng.random() < 0.01:
        plan = plan[: rng.randrange(1, len(plan))]
        returns = min(returns, sum(1 for p in plan if p[0] == Action.RETURN))
        send_backs = min(send_backs, sum(1 for p in plan if p[0] == Action.SEND_BACK))
    event = Event(
        category=category,
        description=f"{category.name}：{grid.name}第{i % 97 + 1}号楼附近",
        urgency=urgency,
        grid_id=grid.pk,
        community_id=community,
        street_id=street,
        reporter_id=plan[0][1],
        reported_at=reported,
        returns=returns,
        send_backs=send_backs,
        version=len(plan),
        transferred_by=Level.STREET if department else "",
    )
    return event, _steps(rng, event, plan)


def _steps(
    rng: random.Random, event: Event, plan: list[tuple[str, int, str, str, int | None]]
) -> list[EventStep]:
    at = event.reported_at
    steps: list[EventStep] = []
    stage_step: EventStep | None = None
    for action, actor, light, level, department in plan:
        if steps:
            at += dt.timedelta(minutes=rng.randrange(10, 600))
        starts_stage = action not in (Action.ESCALATE, Action.EXPLAIN_DELAY)
        step = EventStep(
            action=action,
            actor_id=actor,
            at=at,
            note="" if action in (Action.ACCEPT, Action.CONFIRM) else "已处理" + action,
            light=light,
            level=level,
            department_id=department
            if level == Level.DEPARTMENT or action == Action.RETURN
            else None,
        )
        if action == Action.ESCALATE:
            event.escalated_at = at
        if action == Action.HANDLE:
            event.handled_at = at
        if action == Action.SEND_BACK:
            event.handled_at = None
        if starts_stage:
            if stage_step is not None:
                stage_step.stage_ended_at = at
            stage = _STAGE_OF_LIGHT.get(Light(light))
            if stage is not None:
                hours = DEFAULT_LIMIT_HOURS[event.urgency][stage]
                step.stage_due_at = at + dt.timedelta(hours=hours)
                stage_step = step
            event.stage_started_at = at
            event.stage_due_at = step.stage_due_at
        steps.append(step)
        event.light, event.level = light, level
        event.department_id = department if level == Level.DEPARTMENT else None
    if event.light == Light.GREEN:
        event.closed_at = at
    return steps


def _vacuum_analyze() -> None:
    """What autovacuum would have done on a running server: the visibility map and the
    planner's statistics of freshly loaded tables."""
    quote = connection.ops.quote_name
    tables = ", ".join(quote(m._meta.db_table) for m in (Event, EventStep))
    with connection.cursor() as cursor:  # history: VACUUM reclaims dead rows, writes none
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
