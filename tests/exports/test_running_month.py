"""The running month's figures are read from the live tables (its end is now), a month that is
over from the history (``exports.selectors._grid_counts_now_sql`` and ``_grid_counts_sql``).
Here both are computed for the running month of a city where files were created, changed,
moved between households, households and buildings between grids, tags given and taken,
residents moved out, came back, died and were deleted, visits logged, moved and deleted, in
bulk and one at a time, before and during the month: they must give the same rows, and the
report the same figures."""

import datetime as dt
import random

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from archives.models import Building, Household, Resident, Tag, Visit
from archives.services import (
    building_save,
    household_save,
    resident_delete,
    resident_save,
    resident_verify,
    residents_bulk_create,
    residents_bulk_update,
    visit_save,
)
from exports import kept
from exports.figures import figures_as_json
from exports.selectors import _grid_counts, _query_params, month_figures
from exports.sql import figures_database, whole_table_joins
from tests import factories
from tests.exports.month_city import ZONE

NOVEMBER = dt.date(2026, 11, 1)
Status = Resident.ResidencyStatus


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def _both_ways(month: dt.date):
    """The residents', households' and visits' rows of ``month`` from the history and from
    the live tables, each sorted."""
    params = _query_params(month)
    with transaction.atomic(using=figures_database()):
        whole_table_joins()
        history = _grid_counts(params)
        live = _grid_counts(params, now=True)
    return (
        (sorted(history.grids), sorted(history.members)),
        (sorted(live.grids), sorted(live.members)),
    )


def _figures_both_ways(month: dt.date, monkeypatch):
    live = figures_as_json(month_figures(month))
    with monkeypatch.context() as patched:
        patched.setattr(kept, "reads_live_tables", lambda *_args: False)
        history = figures_as_json(month_figures(month))
    for figures in (live, history):
        del figures["generated_at"]
    return history, live


class City:
    """Three grids in two streets, with tags that ask for visits and one that does not."""

    def __init__(self) -> None:
        self.admin = factories.make_user("admin", superuser=True)
        self.member = factories.make_user("member")
        self.elderly = Tag.objects.create(code="alone", name="独居老人", needs_visits_per_month=2)
        self.care = Tag.objects.create(code="care", name="重点关注", needs_visits_per_month=1)
        self.away = Tag.objects.create(code="away", name="外出务工")
        self.grids = [
            factories.make_grid(code="G1", street_code="S1"),
            factories.make_grid(code="G2", street_code="S1"),
            factories.make_grid(code="G3", street_code="S2"),
        ]
        self.buildings = [factories.make_building(grid=grid) for grid in self.grids for _ in "ab"]
        # Rooms numbered through the city: a household moves to any building.
        self.households = [
            Household.objects.create(building=building, unit=1, floor=1, room=f"{n}")
            for n, building in enumerate(self.buildings * 2)
        ]

    def resident(self, household: Household, tags=(), **fields) -> Resident:
        n = Resident.objects.count() + Resident.history.filter(history_type="-").count()
        fields.setdefault("name", f"居民{n}")
        fields.setdefault("id_number", factories.id_number_for(dt.date(1950 + n % 50, 1, 1), "F"))
        fields.setdefault("phone", "13943321234")
        resident = Resident(
            household=household, birth_date=dt.date(1950 + n % 50, 1, 1), sex="F", **fields
        )
        return resident_save(resident=resident, actor=self.admin, tags=list(tags))

    def change(self, resident: Resident, tags=None, **fields) -> Resident:
        resident = Resident.objects.get(pk=resident.pk)
        for name, value in fields.items():
            setattr(resident, name, value)
        return resident_save(resident=resident, actor=self.admin, tags=tags)

    def visit(self, household: Household, when: dt.datetime) -> Visit:
        return visit_save(
            visit=Visit(grid_member=self.member, household=household, visited_at=when),
            actor=self.admin,
        )


@pytest.fixture
def city(db):
    with time_machine.travel(at(10, 5), tick=False):
        return City()


def _october(city: City) -> dict[str, Resident]:
    h = city.households
    with time_machine.travel(at(10, 10), tick=False):
        people = {
            "alone": city.resident(h[0], tags=[city.elderly]),
            "cared": city.resident(h[1], tags=[city.care, city.away]),
            "plain": city.resident(h[2], phone=""),
            "floating": city.resident(h[3], residency_status=Status.FLOATING),
            "gone": city.resident(h[4], residency_status=Status.MOVED_OUT),
            "dead": city.resident(h[5], residency_status=Status.DECEASED),
            "mover": city.resident(h[6], tags=[city.elderly], last_verified_at=at(9, 1)),
            "doomed": city.resident(h[7]),
            "away": city.resident(h[8], tags=[city.away]),
            "back": city.resident(h[9], residency_status=Status.MOVED_OUT),
            "twice": city.resident(h[10], tags=[city.care]),
            "edited": city.resident(h[11], residency_status=Status.MOVED_OUT),
        }
    with time_machine.travel(at(10, 20), tick=False):
        city.visit(h[0], at(10, 20))
        city.visit(h[1], at(10, 20))
        # Moved out in October: not November's.
        people["floating"] = city.change(people["floating"], residency_status=Status.MOVED_OUT)
    return people


def _november(city: City, people: dict[str, Resident]) -> None:
    h, b = city.households, city.buildings
    with time_machine.travel(at(11, 2), tick=False):
        city.visit(h[0], at(11, 2))
        city.visit(h[0], at(11, 3))
        city.visit(h[6], at(11, 2))
        # Logged in November, dated October: October's visit.
        city.visit(h[1], at(10, 30))
        city.resident(h[0], tags=[city.care])  # new, in a household needing visits already
        city.resident(h[3], residency_status=Status.MOVED_OUT)  # new, created moved out
    with time_machine.travel(at(11, 5), tick=False):
        # Tags given and taken, with and without a save of the file.
        people["away"] = city.change(people["away"], tags=[city.elderly])
        Resident.objects.get(pk=people["plain"].pk).tags.add(city.care)
        Resident.objects.get(pk=people["cared"].pk).tags.remove(city.care)
        # Moves: a resident to a household of another grid, a household to a building of
        # another grid, a building to another grid (its households, residents and visits along).
        people["mover"] = city.change(people["mover"], household=h[8])
        household = Household.objects.get(pk=h[2].pk)
        household.building = b[5]
        household_save(household=household, actor=city.admin)
        building = Building.objects.get(pk=b[1].pk)
        building.grid = city.grids[2]
        building_save(building=building, actor=city.admin)
    with time_machine.travel(at(11, 8), tick=False):
        # Deactivations and returns.
        city.change(people["alone"], residency_status=Status.MOVED_OUT)
        city.change(people["dead"], residency_status=Status.MOVED_OUT)  # not from an active one
        city.change(people["back"], residency_status=Status.REGISTERED)
        city.change(people["edited"], phone="13800000000")  # moved out long ago, edited now
        for status in (Status.MOVED_OUT, Status.REGISTERED, Status.MOVED_OUT):
            city.change(people["twice"], residency_status=status)
        resident_delete(resident=Resident.objects.get(pk=people["doomed"].pk), actor=city.admin)
        doomed_new = city.resident(h[7], tags=[city.elderly])
        resident_delete(resident=doomed_new, actor=city.admin)
    with time_machine.travel(at(11, 10), tick=False):
        # A visit moved to another household, another deleted.
        moved = city.visit(h[9], at(11, 10))
        moved = Visit.objects.get(pk=moved.pk)
        moved.household = h[10]
        visit_save(visit=moved, actor=city.admin)
        Visit.objects.get(household=h[1], visited_at=at(10, 20)).delete()
        city.visit(h[1], at(11, 10)).delete()
        resident_verify(residents=[people["plain"], people["mover"]], actor=city.admin, note="核实")
    with time_machine.travel(at(11, 12), tick=False):
        # An import: new files and changed ones (a household, a status, tags), in bulk.
        fresh = [
            Resident(
                household=h[11 - n],
                name=f"导入{n}",
                id_number=factories.id_number_for(dt.date(1940 + n, 2, 2), "M"),
                sex="M",
                birth_date=dt.date(1940 + n, 2, 2),
                phone="13900000000",
            )
            for n in range(3)
        ]
        residents_bulk_create(
            residents=fresh,
            tag_ids=[{city.elderly.pk}, set(), {city.care.pk, city.away.pk}],
            actor=city.admin,
            reason="import",
        )
        changed = list(
            Resident.objects.filter(pk__in=[people["floating"].pk, people["back"].pk]).order_by(
                "pk"
            )
        )
        changed[0].residency_status = Status.FLOATING  # back from moved out, by import
        changed[1].household = h[0]
        changed[1].residency_status = Status.MOVED_OUT
        residents_bulk_update(
            residents=changed,
            tag_ids=[{city.elderly.pk}, set()],
            actor=city.admin,
            reason="import",
        )


def test_the_live_tables_give_the_history_rows_of_the_running_month(city, monkeypatch):
    people = _october(city)
    _november(city, people)
    with time_machine.travel(at(11, 20), tick=False):
        assert kept.reads_live_tables(NOVEMBER, timezone.now())
        history, live = _both_ways(NOVEMBER)
        figures_history, figures_live = _figures_both_ways(NOVEMBER, monkeypatch)
    assert live == history
    assert figures_live == figures_history
    # Not a trivial agreement: the month's changes are all there.
    total = figures_live["total"]
    assert total["new"] == 5 and total["moved_out"] >= 2 and total["households_needing"] >= 3
    assert total["households_covered"] >= 1 and total["visits"] >= 4


def test_they_agree_at_the_month_start_and_before_anything_happened_in_it(city):
    people = _october(city)
    with time_machine.travel(at(11, 1, 0, 1), tick=False):
        history, live = _both_ways(NOVEMBER)
    assert live == history
    _november(city, people)
    with time_machine.travel(at(11, 30, 23, 40), tick=False):
        history, live = _both_ways(NOVEMBER)
    assert live == history


def test_they_agree_after_many_random_changes(city):
    """A seeded walk of random writes, compared every few steps."""
    people = list(_october(city).values())
    rng = random.Random(21)
    tags = [city.elderly, city.care, city.away]
    statuses = list(Status)
    moment = at(11, 1, 1)
    for step in range(60):
        moment += dt.timedelta(minutes=rng.randint(1, 600))
        with time_machine.travel(moment, tick=False):
            action = rng.choice(["new", "status", "tags", "move", "visit", "rehouse", "delete"])
            alive = [p for p in people if Resident.objects.filter(pk=p.pk).exists()]
            household = rng.choice(city.households)
            if action == "new" or not alive:
                people.append(
                    city.resident(
                        household,
                        tags=rng.sample(tags, rng.randint(0, 2)),
                        residency_status=rng.choice(statuses),
                    )
                )
            elif action == "status":
                city.change(rng.choice(alive), residency_status=rng.choice(statuses))
            elif action == "tags":
                city.change(rng.choice(alive), tags=rng.sample(tags, rng.randint(0, 3)))
            elif action == "move":
                city.change(rng.choice(alive), household=household)
            elif action == "visit":
                city.visit(household, moment - dt.timedelta(days=rng.randint(0, 20)))
            elif action == "rehouse":
                household = Household.objects.get(pk=household.pk)
                household.building = rng.choice(city.buildings)
                household_save(household=household, actor=city.admin)
            else:
                resident_delete(resident=rng.choice(alive), actor=city.admin)
        if step % 10 == 9:
            with time_machine.travel(moment, tick=False):
                history, live = _both_ways(NOVEMBER)
            assert live == history, f"after step {step}"


def test_only_the_running_month_reads_the_live_tables_and_not_in_its_last_minutes():
    reads = kept.reads_live_tables
    assert reads(NOVEMBER, at(11, 1, 0, 0))
    assert reads(NOVEMBER, at(11, 30, 23, 49))
    # A write dated December might be seen by a statement that starts this late.
    assert not reads(NOVEMBER, at(11, 30, 23, 51))
    assert not reads(NOVEMBER, at(12, 3))  # over: the history (and kept later)
    assert not reads(NOVEMBER, at(10, 31, 23, 59))  # not begun
