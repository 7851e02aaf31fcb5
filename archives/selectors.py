"""Reads of the archive for pages that are not plain lists: building plans and dashboards.

Every function takes the user and reads through ``archives.scope``; each runs a fixed number of
queries whatever the number of rows, grids or buildings.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.names import person_name
from archives import scope
from archives.model_meta import concrete_field
from archives.models import (
    Building,
    Grid,
    Household,
    HouseholdTag,
    Resident,
    Street,
    Tag,
    Visit,
)
from archives.months import first_day, month_bounds

# Building plans --------------------------------------------------------------------------------

#: Tags that make a household one to look out for at the door.
CARE_TAGS = {"elderly-alone", "empty-nest", "key-care", "disabled"}


@dataclass(frozen=True)
class TagMark:
    code: str
    name: str

    @property
    def short(self) -> str:
        """Two characters fit a square: 独居, 空巢, 重点 …"""
        return self.name[:2]


@dataclass
class HouseholdSquare:
    pk: int
    unit: int
    floor: int
    room: str
    status: str
    status_label: str
    tags: list[TagMark] = field(default_factory=list)

    @property
    def needs_care(self) -> bool:
        return any(tag.code in CARE_TAGS for tag in self.tags)

    @property
    def description(self) -> str:
        return " · ".join([self.room, self.status_label, *(tag.name for tag in self.tags)])


@dataclass
class FloorRow:
    floor: int
    units: list[list[HouseholdSquare]]  # one list of rooms per unit, unit 1 first


@dataclass
class BuildingPlan:
    building: Building
    unit_numbers: list[int]
    floors: list[FloorRow]  # the top floor first, as the building stands

    @property
    def households(self) -> int:
        return sum(len(rooms) for row in self.floors for rooms in row.units)


def building_plans(user, buildings: QuerySet[Building]) -> list[BuildingPlan]:
    """Each of ``buildings`` that ``user`` may see, as floors × units of household squares with
    their status and the tags of the residents ``user`` may see in them. Three queries."""
    visible = list(scope.restrict(buildings, user, scope.VIEW).order_by("address"))
    households = scope.restrict(
        Household.objects.filter(building__in=[b.pk for b in visible]), user, scope.VIEW
    )
    labels = dict(Household.Status.choices)
    squares: dict[int, HouseholdSquare] = {}
    by_building: dict[int, list[HouseholdSquare]] = defaultdict(list)
    rows = households.order_by("unit", "floor", "room").values_list(
        "building_id", "pk", "unit", "floor", "room", "status"
    )
    for building_id, pk, unit, floor, room, status in rows:
        square = HouseholdSquare(
            pk=pk,
            unit=unit,
            floor=floor,
            room=room,
            status=status,
            status_label=str(labels.get(status, "")),
        )
        squares[square.pk] = square
        by_building[building_id].append(square)
    for household_id, tag in _tags_of_households(user, households):
        if tag not in squares[household_id].tags:
            squares[household_id].tags.append(tag)
    return [_plan(building, by_building[building.pk]) for building in visible]


def _tags_of_households(user, households: QuerySet[Household]) -> list[tuple[int, TagMark]]:
    residents = scope.restrict(Resident.objects.all(), user, scope.VIEW).filter(
        household__in=households.values("pk"), residency_status__in=Resident.ACTIVE_STATUSES
    )
    rows = (
        Resident.tags.through.objects.filter(resident__in=residents.values("pk"))
        .values_list("resident__household_id", "tag__code", "tag__name")
        .order_by("tag__code")
        .distinct()
    )
    return [(household_id, TagMark(code, name)) for household_id, code, name in rows]


def _plan(building: Building, squares: list[HouseholdSquare]) -> BuildingPlan:
    units = sorted({*range(1, building.units + 1), *(s.unit for s in squares)})
    floors = sorted({*range(1, building.floors + 1), *(s.floor for s in squares)}, reverse=True)
    cells: dict[tuple[int, int], list[HouseholdSquare]] = defaultdict(list)
    for square in squares:
        cells[square.floor, square.unit].append(square)
    rows = [FloorRow(floor, [cells[floor, unit] for unit in units]) for floor in floors]
    return BuildingPlan(building=building, unit_numbers=units, floors=rows)


# The household page and its printable register -----------------------------------------------


@dataclass
class RegisterRow:
    """One resident of a household as ``user`` may read it: sensitive values masked."""

    resident: Resident
    id_number: str
    born: str  # the birth date, or an age where the ID number is masked
    shows_id_number: bool
    tags: list[str]
    verified_by: str


@dataclass
class HouseholdRegister:
    household: Household
    residents: list[RegisterRow]  # active residents first, the head of household first
    visits: list[Visit]  # newest first, at most ``VISITS_SHOWN``
    visit_count: int

    @property
    def active(self) -> list[RegisterRow]:
        return [row for row in self.residents if row.resident.is_active]

    @property
    def former(self) -> list[RegisterRow]:
        return [row for row in self.residents if not row.resident.is_active]

    def full_id_numbers_shown(self) -> dict[int, set[str]]:
        """{resident ID: fields shown in full}, for the sensitive read log."""
        return {row.resident.pk: {scope.ID_NUMBER} for row in self.residents if row.shows_id_number}


VISITS_SHOWN = 20


def household_register(user, household: Household, *, today: dt.date | None = None):
    """``household``'s residents and latest visits as ``user`` may see them (a department
    sees only the residents it serves and no visits). ID numbers and birth dates are masked
    row by row through ``archives.scope``; medical histories are not part of it. Four queries.
    """
    today = today or timezone.localdate()
    residents = scope.with_sensitive_flags(
        scope.restrict(Resident.objects.filter(household=household), user, scope.VIEW), user
    ).select_related("last_verified_by")
    order = {value: index for index, value in enumerate(Resident.Relation.values)}
    rows = []
    for resident in residents.prefetch_related("tags"):
        shows = resident.shows_id_number
        rows.append(
            RegisterRow(
                resident=resident,
                id_number=resident.id_number if shows else scope.mask_id_number(resident.id_number),
                born=formats.date_format(resident.birth_date)
                if shows
                else _("%(age)d years") % {"age": resident.age_on(today)},
                shows_id_number=shows,
                tags=[tag.name for tag in resident.tags.all()],
                verified_by=person_name(resident.last_verified_by),
            )
        )
    rows.sort(
        key=lambda row: (
            not row.resident.is_active,
            order.get(row.resident.relation_to_head, len(order)),
            row.resident.pk,
        )
    )
    visits = scope.restrict(Visit.objects.filter(household=household), user, scope.VIEW)
    shown = list(visits.select_related("grid_member").order_by("-visited_at", "-pk")[:VISITS_SHOWN])
    count = len(shown) if len(shown) < VISITS_SHOWN else visits.count()
    return HouseholdRegister(household=household, residents=rows, visits=shown, visit_count=count)


# Completeness ----------------------------------------------------------------------------------

#: The fields a complete resident file has filled in, in form order. A file's completeness is
#: the share of these present: the audit's figure for the version it checked and the monthly
#: report's count of complete files both read this list.
RESIDENT_REQUIRED_FIELDS = [
    "name",
    "id_number",
    "sex",
    "birth_date",
    "ethnicity",
    "phone",
    "household",
    "relation_to_head",
    "residency_status",
]


@dataclass(frozen=True)
class Completeness:
    present: int
    required: int


def resident_completeness(record: Any) -> Completeness:
    """How many of ``RESIDENT_REQUIRED_FIELDS`` a resident file (or a history entry of one)
    has filled in: a field counts when it is neither empty nor None."""
    present = sum(
        getattr(record, concrete_field(Resident, name).attname) not in (None, "")
        for name in RESIDENT_REQUIRED_FIELDS
    )
    return Completeness(present=present, required=len(RESIDENT_REQUIRED_FIELDS))


# Dashboards ------------------------------------------------------------------------------------

#: A file not confirmed for this long is due for verification; one confirmed within it counts
#: as verified. The one definition: the dashboard's "verified in 180 days", the clerk's list of
#: files due and the monthly report's timeliness all read it (through ``verified_since``).
VERIFY_EVERY = dt.timedelta(days=180)


def figures_as_of(month: dt.date, now: dt.datetime) -> dt.datetime:
    """The moment a month's figures describe: its end once it is over, else ``now``. The
    dashboard (today) and the report (this month) then count the same files as verified."""
    _begins, ends = month_bounds(month)
    return min(ends, now)


def verified_since(as_of: dt.datetime) -> dt.datetime:
    """Files confirmed at or after this moment count as verified at ``as_of``."""
    return as_of - VERIFY_EVERY


def new_files(residents: QuerySet[Resident], begins: dt.datetime, ends: dt.datetime):
    """Those of ``residents`` whose file was created in [``begins``, ``ends``): its "created"
    history entry falls in the period. Counted where they live now, as the monthly report counts
    them where they live at the month's end (``exports.selectors._grid_counts``)."""
    created = Resident.history.filter(
        history_type="+", history_date__gte=begins, history_date__lt=ends
    )
    return residents.filter(pk__in=created.values("id"))


@dataclass
class GridCountsNow:
    """A grid's files as they stand now: the clerk's dashboard. (The monthly report's counts,
    as at a month's end, are ``exports.figures.MonthCounts``.)"""

    grid: Grid
    buildings: int = 0
    households: int = 0
    residents: int = 0


def grid_counts_now(user: scope.User) -> list[GridCountsNow]:
    """Buildings, households and active residents of each grid ``user`` is granted. Four
    queries whatever the number of grids."""
    grids = list(scope.granted_grids(user).order_by("code"))
    counts = {grid.pk: GridCountsNow(grid) for grid in grids}
    ids = list(counts)
    tallies = [
        ("buildings", Building.objects.filter(grid__in=ids), "grid_id"),
        ("households", Household.objects.filter(building__grid__in=ids), "building__grid_id"),
        (
            "residents",
            Resident.objects.filter(grid__in=ids, residency_status__in=Resident.ACTIVE_STATUSES),
            "grid_id",
        ),
    ]
    for attribute, rows, grid_path in tallies:
        for grid_id, n in rows.order_by().values_list(grid_path).annotate(n=Count("pk")):
            setattr(counts[grid_id], attribute, n)
    return list(counts.values())


def due_for_verification(residents: QuerySet[Resident], now: dt.datetime) -> QuerySet[Resident]:
    """Those of ``residents`` that are active and that nobody has confirmed in ``VERIFY_EVERY``
    (or ever). The dashboard's list and the resident list's filter both ask this."""
    return residents.filter(
        Q(last_verified_at__isnull=True) | Q(last_verified_at__lt=verified_since(now)),
        residency_status__in=Resident.ACTIVE_STATUSES,
    )


def residents_due_for_verification(user, now: dt.datetime) -> QuerySet[Resident]:
    """Active residents ``user`` may change whose file nobody has confirmed in ``VERIFY_EVERY``
    (or ever), the longest unconfirmed first."""
    residents = due_for_verification(
        scope.restrict(Resident.objects.all(), user, scope.CHANGE), now
    )
    return residents.select_related("household__building").order_by(
        F("last_verified_at").asc(nulls_first=True), "pk"
    )


def short_of_visits(households: QuerySet[Household], month: dt.date) -> QuerySet[Household]:
    """Those of ``households`` whose active residents carry a tag that needs visits (elderly
    living alone: twice a month) and that have had fewer visits than that in ``month`` so far.

    Annotated with ``visits_needed`` (the most any of their tags asks), ``visits_made`` and
    ``visits_tag`` (the name of the tag that asks the most: why the household is listed). The
    dashboard's list and the household list's filter both ask this.
    """
    begins, ends = month_bounds(month)
    tagged = Resident.tags.through.objects.filter(
        resident__household=OuterRef("pk"),
        resident__residency_status__in=Resident.ACTIVE_STATUSES,
        tag__needs_visits_per_month__gt=0,
    ).order_by()
    needed = (
        tagged.values("resident__household")
        .annotate(most=Max("tag__needs_visits_per_month"))
        .values("most")  # type: ignore[misc]  # ``most`` is the annotation just above
    )
    reason = tagged.order_by("-tag__needs_visits_per_month", "tag__code").values("tag__name")[:1]
    made = (
        Visit.objects.filter(household=OuterRef("pk"), visited_at__gte=begins, visited_at__lt=ends)
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    households = households.annotate(
        visits_needed=Coalesce(Subquery(needed), 0), visits_made=Coalesce(Subquery(made), 0)
    )
    return households.filter(visits_needed__gt=0, visits_made__lt=F("visits_needed")).annotate(
        visits_tag=Subquery(reason)
    )


def households_short_of_visits(user, month: dt.date) -> QuerySet[Household]:
    """Households ``user`` may log visits for that are ``short_of_visits`` in ``month``, the
    least visited first."""
    households = short_of_visits(scope.restrict(Household.objects.all(), user, scope.CHANGE), month)
    return households.select_related("building").order_by(
        "visits_made", "building__address", "unit", "floor", "room"
    )


def visit_rules() -> list[tuple[int, list[str]]]:
    """[(visits a month, names of the tags that ask for that many)], the most first: what the
    dashboard says about why households are listed. One query."""
    rules: dict[int, list[str]] = defaultdict(list)
    for name, visits in (
        Tag.objects.filter(needs_visits_per_month__gt=0)
        .order_by("-needs_visits_per_month", "code")
        .values_list("name", "needs_visits_per_month")
    ):
        rules[visits].append(name)
    return list(rules.items())


@dataclass
class GridFigures:
    """A grid's files as they stand at a moment, with a month's visits and new files so far:
    what the officials' dashboard adds up per street."""

    households: int = 0
    residents: int = 0  # active
    verified_recently: int = 0  # active residents confirmed within VERIFY_EVERY
    visits: int = 0
    new: int = 0  # files created in the month (``new_files``)


@dataclass
class GridFiguresNow:
    """Every grid's ``GridFigures`` (grids without rows too) for ``month``, counted at
    ``computed_at``."""

    month: dt.date
    computed_at: dt.datetime
    grids: dict[int, GridFigures]


def _figures_per_grid(
    households: QuerySet[Household],
    residents: QuerySet[Resident],
    visits: QuerySet[Visit],
    month: dt.date,
    now: dt.datetime,
) -> dict[int, GridFigures]:
    """``GridFigures`` of the grids the rows lie in, counted from the rows given (the whole
    city's, or those a reader sees). Four queries.

    Rows are counted per grid, the shortest join (residents and visits keep their grid):
    at a million residents, joining every row up to its street cost as much again."""
    begins, ends = month_bounds(month)
    recently = verified_since(figures_as_of(month, now))
    figures: defaultdict[int, GridFigures] = defaultdict(GridFigures)
    for grid_id, n in (
        households.order_by().values_list("building__grid_id").annotate(n=Count("pk"))
    ):
        figures[grid_id].households = n
    active = residents.filter(residency_status__in=Resident.ACTIVE_STATUSES).order_by()
    for grid_id, n, verified in active.values_list("grid_id").annotate(
        n=Count("pk"), verified=Count("pk", filter=Q(last_verified_at__gte=recently))
    ):
        figures[grid_id].residents, figures[grid_id].verified_recently = n, verified
    created = new_files(residents, begins, ends).order_by()
    for grid_id, n in created.values_list("grid_id").annotate(n=Count("pk")):
        figures[grid_id].new = n
    visited = visits.filter(visited_at__gte=begins, visited_at__lt=ends).order_by()
    for grid_id, n in visited.values_list("grid_id").annotate(n=Count("pk")):
        figures[grid_id].visits = n
    return dict(figures)


def grid_figures_now(month: dt.date, now: dt.datetime) -> GridFiguresNow:
    """Every grid's figures, the whole city's rows counted at ``now`` (``month``'s visits and
    new files so far). Five queries whatever the number of grids: about a second at a million
    residents, so the dashboards read them kept (``grid_figures_kept``)."""
    grids = {pk: GridFigures() for pk in Grid.objects.values_list("pk", flat=True)}
    counted = _figures_per_grid(
        Household.objects.all(), Resident.objects.all(), Visit.objects.all(), month, now
    )
    grids.update((grid_id, figures) for grid_id, figures in counted.items() if grid_id in grids)
    return GridFiguresNow(month=first_day(month), computed_at=now, grids=grids)


def _kept_figures_key(month: dt.date) -> str:
    return f"archives:grid-figures:v1:{month:%Y-%m}"


def grid_figures_keep(month: dt.date, now: dt.datetime) -> GridFiguresNow:
    """Count every grid's figures of ``month`` at ``now`` and keep them in the shared cache,
    where the officials' dashboards read them: the periodic refresh's work (every
    ``DASHBOARD_REFRESH_SECONDS``). They are kept for two of those periods: while the refresh
    runs they never lapse; without it (no worker), a reader counts them again."""
    figures = grid_figures_now(month, now)
    timeout = 2 * settings.DASHBOARD_REFRESH_SECONDS
    cache.set(_kept_figures_key(figures.month), figures, timeout)
    return figures


def grid_figures_kept(month: dt.date, now: dt.datetime, grid_ids: Iterable[int]) -> GridFiguresNow:
    """The kept figures of ``month`` (``grid_figures_keep``): one cache read. When none are
    kept (the refresh has not run yet, or not for too long) or they predate one of
    ``grid_ids`` (a grid added since), they are counted now, in the request, and kept."""
    kept = cache.get(_kept_figures_key(first_day(month)))
    if isinstance(kept, GridFiguresNow) and kept.grids.keys() >= set(grid_ids):
        return kept
    return grid_figures_keep(month, now)


@dataclass
class StreetCountsNow:
    """A street's files as they stand at a moment, with ``month``'s visits and new files so
    far: the officials' dashboard, counted within the reader's scope."""

    street: Street
    grids: int = 0
    households: int = 0
    residents: int = 0
    visits: int = 0
    verified_recently: int = 0  # active residents confirmed within VERIFY_EVERY
    new: int = 0  # files created this month (``new_files``)

    @property
    def verified_share(self) -> float | None:
        return self.verified_recently / self.residents if self.residents else None


@dataclass
class StreetFiguresNow:
    """``StreetCountsNow`` of the streets a reader sees, and when they were counted."""

    streets: list[StreetCountsNow]
    computed_at: dt.datetime


def street_counts_now(
    user: scope.User, month: dt.date, now: dt.datetime, grid_streets: dict[int, int]
) -> StreetFiguresNow:
    """Per street ``user`` may see: grids, households, active residents, visits in ``month``,
    residents verified recently and files created in ``month``, each counted within ``user``'s
    scope. ``grid_streets`` is ``grids_by_street(user)``.

    Whoever sees whole grids (``scope.sees_whole_grids``: officials of streets and the city,
    administrators) gets the sums of the kept per-grid figures of their grids
    (``grid_figures_kept``): a query and a cache read. Anyone else (a department's staff see
    the residents it serves, row by row) is counted now, through their scope: five queries.
    """
    streets = scope.restrict(Street.objects.all(), user, scope.VIEW).order_by("code")
    counts_of = {street.pk: StreetCountsNow(street) for street in streets}
    if scope.sees_whole_grids(user):
        kept = grid_figures_kept(month, now, grid_streets)
        per_grid, computed_at = kept.grids, kept.computed_at
    else:
        per_grid, computed_at = (
            _figures_per_grid(
                scope.restrict(Household.objects.all(), user),
                scope.restrict(Resident.objects.all(), user),
                scope.restrict(Visit.objects.all(), user),
                month,
                now,
            ),
            now,
        )
    for grid_id, street_id in grid_streets.items():
        street = counts_of.get(street_id)
        if street is None:
            continue
        street.grids += 1
        figures = per_grid.get(grid_id)
        if figures is not None:
            street.households += figures.households
            street.residents += figures.residents
            street.verified_recently += figures.verified_recently
            street.visits += figures.visits
            street.new += figures.new
    return StreetFiguresNow(list(counts_of.values()), computed_at)


def grids_by_street(user) -> dict[int, int]:
    """{grid ID: street ID} for the grids ``user`` may see. One query."""
    grids = scope.restrict(Grid.objects.all(), user, scope.VIEW)
    return dict(grids.values_list("pk", "community__street_id"))


def grid_key_mismatches() -> list[tuple[str, int]]:
    """Residents and visits whose kept grid (``Resident.grid``, ``Visit.grid``) is not their
    household's building's grid, as (model name, ID): none while every write goes through the
    services. What a check after a migration, an import or a repair asks."""
    return [
        (model._meta.model_name or "", pk)
        for model in (Resident, Visit)
        for pk in model.objects.exclude(grid=F("household__building__grid"))
        .order_by("pk")
        .values_list("pk", flat=True)
    ]


def household_tag_mismatches() -> list[tuple[str, int, int]]:
    """(what, household ID, tag ID) for every kept household tag (``HouseholdTag``) that is not
    what the household's residents carry: "missing" where a resident carries the tag but the
    household does not keep it, "stale" where the household keeps a tag none of its residents
    carries. None while every write goes through the services; what a check after a
    migration, an import or a repair asks."""
    links = Resident.tags.through.objects.all()
    kept = HouseholdTag.objects.filter(
        household_id=OuterRef("resident__household_id"), tag_id=OuterRef("tag_id")
    )
    missing = (
        links.filter(~Exists(kept))
        .values_list("resident__household_id", "tag_id")
        .distinct()
        .order_by("resident__household_id", "tag_id")
    )
    carried = links.filter(
        resident__household_id=OuterRef("household_id"), tag_id=OuterRef("tag_id")
    )
    stale = (
        HouseholdTag.objects.filter(~Exists(carried))
        .values_list("household_id", "tag_id")
        .order_by("household_id", "tag_id")
    )
    return [("missing", h, t) for h, t in missing] + [("stale", h, t) for h, t in stale]
