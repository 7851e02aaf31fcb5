"""Reads of the archive for pages that are not plain lists: building plans and dashboards.

Every function takes the user and reads through ``archives.scope``; each runs a fixed number of
queries whatever the number of rows, grids or buildings.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from archives import scope
from archives.models import Building, Household, Resident

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
    for row in households.order_by("unit", "floor", "room").values(
        "pk", "building_id", "unit", "floor", "room", "status"
    ):
        building_id = row.pop("building_id")
        square = HouseholdSquare(**row, status_label=str(labels.get(row["status"], "")))
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
