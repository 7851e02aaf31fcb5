"""The demo city's events: four months of them across six categories, every step taken
through the chain's services (``events.services``) at the moment it happened (their ``at=``),
so lights, limits, returns, send-backs, delays and escalations are what real use would leave.

Before the first event: the departments in charge and the city's inspection office (市督查室),
the categories with their departments and time limits per urgency and stage, the work calendar
for the years covered (``work_calendar_fill``), and the people who act: a staff account for
every department in charge and for the inspection office (``EVENT_DEMO_ACCOUNTS``), a staff
account for every community and an official for every street the city's demo accounts do not
cover already.

On every working day a few events are reported by grid members (and now and then the
community's staff) across the grids. Most are settled within hours: the community accepts and
handles it, or passes it up to the street, which handles it or transfers it to a department in
charge; now and then the department returns it (not its job) and the street transfers it again,
or the community finds it unresolved and sends it back. About one in ten runs late at one stage:
its holder explains the delay, or does not and the street or the city escalates it to the
inspection office; a few are still stuck. Events of the last days are still open at every light.
Deterministic for a seed.
"""

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from archives.demo.city import CitySize
from archives.model_meta import history_manager
from archives.models import Building, Department, Grid
from archives.months import months_back
from events.calendar import WorkCalendar
from events.demo_people import (
    COMMUNITY_STAFF_PREFIX,
    STREET_OFFICIAL_PREFIX,
    EventDemoRoles,
    EventPeople,
    administrator,
)
from events.demo_photos import demo_photo
from events.models import (
    Event,
    EventCategory,
    EventPhoto,
    EventStep,
    EventTimeLimit,
    Light,
    Stage,
    Urgency,
    WorkCalendarDay,
)
from events.selectors import Action, event_action_refusal, work_calendar
from events.services import (
    event_accept,
    event_category_save,
    event_confirm,
    event_delay_explain,
    event_escalate,
    event_handle,
    event_pass_up,
    event_report,
    event_return,
    event_send_back,
    event_time_limit_save,
    event_transfer,
    work_calendar_fill,
)

#: Months of events: the four before this one, and this one's days before today.
MONTHS = 4
#: Events reported on a working day in the default city (126 grids); a smaller city has
#: fewer, at least one a day.
PER_DAY = (1, 5)
#: Shares: passed up to the street; of those, transferred to a department (else the street
#: handles it); returned by the department; sent back by the community; late at one stage;
#: late and never settled.
PASS_UP, TRANSFER, RETURN, SEND_BACK, LATE, STUCK = 0.45, 0.8, 0.08, 0.06, 0.09, 0.12
#: Events reported this close to the end are still on their way.
OPEN_DAYS = dt.timedelta(days=3)
#: Where the events of the last days stop, in turn (None: settled).
OPEN_AT = [Light.RED, Light.YELLOW, Light.BLUE, None]
#: Of the late ones: the holder explains; else escalated.
EXPLAINED, ESCALATED = 0.45, 0.8
#: Every n-th event reported comes with a photo, and its handling with one as evidence
#: (``events.demo_photos``); 0: none. Counted, not drawn by lot, so the events stay the same.
PHOTO_EVERY = 6

#: Departments the city's demo does not have (code, name, inspection office).
DEPARTMENTS = [
    ("urban-management", "城市管理局", False),
    ("transport", "交通运输局", False),
    ("inspection", "市督查室", True),
]
#: (username, full name, department code, what the account is for), as ``seed_demo`` prints.
EVENT_DEMO_ACCOUNTS = [
    ("urban", "王建军", "urban-management", "城市管理局 staff: events transferred to it"),
    ("housing", "孙丽娟", "housing", "住建局 staff: events transferred to it"),
    ("agriculture", "马志刚", "agriculture", "农业农村局 staff: events transferred to it"),
    ("transport", "周海燕", "transport", "交通运输局 staff: events transferred to it"),
    ("inspector", "吴秀英", "inspection", "inspection office (市督查室): escalated events"),
]
#: Working hours per stage (accept, handle, evaluate) by urgency.
_QUICK: dict[str, tuple[int, int, int]] = {
    Urgency.NORMAL: (4, 16, 8),
    Urgency.URGENT: (2, 8, 8),
    Urgency.CRITICAL: (1, 4, 4),
}
_SLOW: dict[str, tuple[int, int, int]] = {
    Urgency.NORMAL: (8, 24, 8),
    Urgency.URGENT: (4, 16, 8),
    Urgency.CRITICAL: (2, 8, 4),
}


@dataclass(frozen=True)
class _Category:
    code: str
    name: str
    departments: tuple[str, ...]
    limits: dict[str, tuple[int, int, int]]
    #: Weights of normal, urgent and critical.
    urgencies: tuple[int, int, int]
    descriptions: tuple[str, ...]


CATEGORIES = [
    _Category(
        "rubbish",
        "建筑垃圾",
        ("urban-management",),
        _QUICK,
        (8, 2, 0),
        ("{place}楼道内堆放装修建筑垃圾，影响通行", "{place}旁空地倾倒建筑垃圾约两车"),
    ),
    _Category(
        "manhole",
        "井盖缺失",
        ("transport", "housing"),
        _QUICK,
        (2, 5, 3),
        ("{place}门前人行道井盖缺失，已设临时警示", "{place}附近雨水井盖破损下陷"),
    ),
    _Category(
        "carcass",
        "动物尸体",
        ("agriculture",),
        _QUICK,
        (3, 6, 1),
        ("{place}后空地发现死亡家禽，有异味", "{place}附近路边有流浪犬尸体"),
    ),
    _Category(
        "illegal-building",
        "违章搭建",
        ("urban-management", "housing"),
        _SLOW,
        (9, 1, 0),
        ("{place}一楼住户私自扩建院墙", "{place}楼顶新建彩钢板房"),
    ),
    _Category(
        "sanitation",
        "环境卫生",
        ("urban-management",),
        _QUICK,
        (9, 1, 0),
        ("{place}垃圾箱满溢未清运", "{place}周边生活垃圾乱堆放"),
    ),
    _Category(
        "road",
        "道路破损",
        ("transport",),
        _SLOW,
        (6, 3, 1),
        ("{place}门前路面坑洼积水", "{place}附近人行道砖松动破损"),
    ),
]
_URGENCIES = [Urgency.NORMAL, Urgency.URGENT, Urgency.CRITICAL]
_STAGES = [Stage.ACCEPT, Stage.HANDLE, Stage.EVALUATE]


def demo_events_reset() -> None:
    """Remove every event with its steps, photos and history, the categories, the work
    calendar and the accounts the events demo created: demo data only, before the city
    (events hold on to its grids, departments and people)."""
    for photo in EventPhoto.objects.only("image").iterator():
        photo.image.delete(save=False)  # the file; the rows go below
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        EventPhoto.objects.all().delete()
        EventStep.objects.all().delete()
        Event.objects.all().delete()
        EventTimeLimit.objects.all().delete()
        EventCategory.objects.all().delete()
        WorkCalendarDay.objects.all().delete()
    departments = EventCategory._meta.get_field("departments")
    EventCategory.history_records.m2m_models[departments].objects.all().delete()
    for model in (Event, EventTimeLimit, EventCategory, WorkCalendarDay):
        history_manager(model).all().delete()
    User = get_user_model()
    User.objects.filter(username__in=[a[0] for a in EVENT_DEMO_ACCOUNTS]).delete()
    User.objects.filter(username__startswith=COMMUNITY_STAFF_PREFIX).delete()
    User.objects.filter(username__startswith=STREET_OFFICIAL_PREFIX).delete()


@transaction.atomic
def demo_events_seed(
    *, seed: int, today: dt.date, roles: EventDemoRoles, password: str
) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Four months of events up to ``today``; returns counts and the accounts made
    (username, what for), which log in with ``password``."""
    rng = random.Random(f"{seed}:events")
    start = dt.datetime.combine(months_back(today, MONTHS), dt.time(0))
    end = timezone.make_aware(dt.datetime.combine(today, dt.time(0)))
    start = timezone.make_aware(start)
    work_calendar_fill(actor=administrator(), years=sorted({start.year, today.year}))
    calendar = work_calendar(start.date() - dt.timedelta(days=7), today + dt.timedelta(days=60))
    people = EventPeople.create(rng, roles, EVENT_DEMO_ACCOUNTS, DEPARTMENTS, password)
    categories = _categories(people.departments)
    grids = list(Grid.objects.select_related("community__street").order_by("code"))
    buildings = _buildings()
    seeder = _Seeder(rng, calendar, people, end)
    share = min(1.0, len(grids) / CitySize().grids)
    day = start.date()
    while day < today:
        if calendar.is_workday(day):
            for _n in range(max(1, round(rng.randint(*PER_DAY) * share))):
                grid = rng.choice(grids)
                spec = rng.choices(CATEGORIES, weights=[4, 2, 1, 1, 4, 2])[0]
                at = timezone.make_aware(dt.datetime.combine(day, dt.time(8)))
                at += dt.timedelta(minutes=rng.randrange(9 * 60 + 30))
                places = buildings.get(grid.pk, [])
                seeder.live(grid, categories[spec.code], spec, places, at)
        day += dt.timedelta(days=1)
    _history_dated()
    counts = {"events": Event.objects.count(), "event steps": EventStep.objects.count()}
    return counts, people.accounts


def _categories(departments: dict[str, Department]) -> dict[str, EventCategory]:
    actor = administrator()
    saved = {}
    for spec in CATEGORIES:
        category = event_category_save(
            actor=actor,
            category=EventCategory(code=spec.code, name=spec.name),
            departments=[departments[code] for code in spec.departments],
        )
        for urgency in _URGENCIES:
            for stage, hours in zip(_STAGES, spec.limits[urgency], strict=True):
                event_time_limit_save(
                    actor=actor,
                    limit=EventTimeLimit(
                        category=category, urgency=urgency, stage=stage, working_hours=hours
                    ),
                )
        saved[spec.code] = category
    return saved


def _buildings() -> dict[int, list[Building]]:
    by_grid: dict[int, list[Building]] = {}
    for building in Building.objects.order_by("pk").only("pk", "grid_id", "address"):
        by_grid.setdefault(building.grid_id, []).append(building)
    return by_grid


class _Seeder:
    """Takes each event through the chain, step by step, at the moments chosen here; stops
    where the next step would come after ``end`` (the event stays open)."""

    def __init__(self, rng: random.Random, calendar: WorkCalendar, people, end: dt.datetime):
        self.rng, self.calendar, self.people, self.end = rng, calendar, people, end
        self.opened = 0
        self.reported = 0

    def _quick(self, event: Event, at: dt.datetime) -> dt.datetime:
        """A moment well within the current stage's limit."""
        due = event.stage_due_at or event.stage_started_at
        limit = self.calendar.working_hours_between(event.stage_started_at, due)
        hours = self.rng.uniform(0.1, min(1.5, 0.6 * limit) if limit else 1.0)
        return self.calendar.add_working_hours(max(at, event.stage_started_at), hours)

    def _late(self, event: Event) -> dt.datetime:
        assert event.stage_due_at is not None
        return self.calendar.add_working_hours(event.stage_due_at, self.rng.uniform(3, 30))

    def live(
        self, grid: Grid, category: EventCategory, spec: _Category, places: list, at: dt.datetime
    ) -> None:
        rng, people = self.rng, self.people
        community = people.community[grid.community_id]
        street = people.street[grid.community.street_id]
        reporter = people.member_of(grid) if rng.random() < 0.8 else community
        building = rng.choice(places) if places and rng.random() < 0.7 else None
        urgency = rng.choices(_URGENCIES, weights=spec.urgencies)[0]
        self.reported += 1
        pictured = bool(PHOTO_EVERY) and self.reported % PHOTO_EVERY == 0

        def photos(*, handled: bool) -> list:
            return [demo_photo(spec.code, handled=handled)] if pictured else []

        event = event_report(
            actor=reporter,
            category=category,
            description=rng.choice(spec.descriptions).format(
                place=building.address if building else grid.name
            ),
            grid=grid,
            urgency=urgency,
            building=building,
            photos=photos(handled=False),
            at=at,
        )
        late_stage = rng.choice(["accept", "handle", "evaluate"]) if rng.random() < LATE else None
        stuck = late_stage is not None and rng.random() < STUCK
        # Reported in the last days: still on its way, stopped at red, yellow or blue in turn
        # (or settled already).
        stop = None
        if self.end - at < OPEN_DAYS:
            stop, self.opened = OPEN_AT[self.opened % len(OPEN_AT)], self.opened + 1

        def step(action: Callable[..., Event], actor, holder, stage: str, **kw) -> bool:
            """Take ``action`` (late if this is the late stage); False once past the end."""
            nonlocal event, at
            if event.light == stop:
                return False
            if stage == late_stage:
                self._run_late(event, holder, street)
                if stuck:
                    return False
                at = max(at, self._late(event))
            else:
                at = self._quick(event, at)
            if at >= self.end:
                return False
            event = action(actor=actor, event=event, at=at, **kw)
            return True

        handler = community
        if rng.random() < PASS_UP:
            if not step(event_pass_up, community, community, "", note="本社区无法处置，请街道协调"):
                return
            handler = street
            if rng.random() < TRANSFER:
                handler = self._transfer(event, spec, street, step)
                if handler is None:
                    return
        if not step(event_accept, handler, handler, "accept"):
            return
        note, evidence = "已到现场处置完毕，附处置说明", photos(handled=True)
        if not step(event_handle, handler, handler, "handle", note=note, photos=evidence):
            return
        if rng.random() < SEND_BACK:
            if not step(event_send_back, community, community, "", reason="复查发现仍未处理干净"):
                return
            if not step(event_handle, handler, handler, "", note="已重新处置，现场已清理"):
                return
        step(event_confirm, community, community, "evaluate", note="经核实已处理")

    def _transfer(self, event: Event, spec: _Category, street, step) -> object | None:
        rng, people = self.rng, self.people
        codes = list(spec.departments)
        code = rng.choice(codes)
        department = people.departments[code]
        if not step(event_transfer, street, street, "", department=department, note="请依职责处置"):
            return None
        if rng.random() < RETURN:
            staff = people.department_staff[code]
            reason = "不属于本部门职责范围，请核实后转办"
            if not step(event_return, staff, staff, "", reason=reason):
                return None
            others = [c for c in codes if c != code] or codes
            code = rng.choice(others)
            department = people.departments[code]
            if not step(event_transfer, street, street, "", department=department, note="改派"):
                return None
        return people.department_staff[code]

    def _run_late(self, event: Event, holder, street) -> None:
        """The stage runs past its limit: its holder explains why, or the street (or the city)
        escalates the event to the inspection office, unless that moment is past the end."""
        rng = self.rng
        assert event.stage_due_at is not None
        at = self.calendar.add_working_hours(event.stage_due_at, rng.uniform(0.5, 2))
        if at >= self.end:
            return
        if rng.random() < EXPLAINED:
            event_delay_explain(
                actor=holder, event=event, at=at, reason="需协调相关单位并采购材料，预计延后处理"
            )
        elif rng.random() < ESCALATED:
            city = self.people.city
            who = city if city is not None and rng.random() >= 0.7 else street
            # Only what the chain's rule allows: a handled (blue) event waits for its
            # evaluation, which is not the handler's delay, and is not escalated.
            if event_action_refusal(who, event, Action.ESCALATE, now=at) is None:
                event_escalate(actor=who, event=event, at=at, reason="超时未处理且未说明原因")


def _history_dated() -> None:
    """Each event's history entries dated when their steps were taken (the services date them
    now, the moment the demo was seeded): an event's n-th entry is its n-th step's."""
    entries = history_manager(Event).order_by("id", "history_id").values_list("id", "history_id")
    steps = EventStep.objects.order_by("event_id", "at", "id").values_list("event_id", "at")
    by_event: dict[int, list[dt.datetime]] = {}
    for event_id, at in steps:
        by_event.setdefault(event_id, []).append(at)
    dated = []
    seen: dict[int, int] = {}
    for event_id, history_id in entries:
        n = seen.get(event_id, 0)
        seen[event_id] = n + 1
        times = by_event.get(event_id, [])
        if n < len(times):
            dated.append((history_id, times[n]))
    model = history_manager(Event).model
    rows = [model(history_id=h, history_date=at) for h, at in dated]
    history_manager(Event).bulk_update(rows, ["history_date"], batch_size=500)  # history: dated
