"""A small city for events: two streets, a community and grid in each, a department in charge of
the category and one that is not, the inspection office, and a person in every role."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from archives.models import Community, Department, Grid, Street
from events.models import Event, EventCategory
from events.services import event_report
from portal import roles
from tests import factories

#: Tuesday 10 November 2026, 9:00 in the portal's time zone: a working day.
TUESDAY_9AM = timezone.make_aware(dt.datetime(2026, 11, 10, 9, 0))


@dataclass
class EventCity:
    street: Street
    community: Community
    grid: Grid
    other_street: Street
    other_grid: Grid
    housing: Department
    health: Department
    inspection: Department
    category: EventCategory
    member: object
    community_staff: object
    street_official: object
    housing_staff: object
    health_staff: object
    inspector: object
    municipal: object
    other_member: object
    other_community_staff: object
    other_street_official: object

    def report(self, *, at: dt.datetime = TUESDAY_9AM, grid: Grid | None = None, **fields) -> Event:
        fields.setdefault("description", "楼道里堆放建筑垃圾")
        return event_report(
            actor=self.member if grid is None else self.other_member,
            category=self.category,
            grid=grid or self.grid,
            at=at,
            **fields,
        )


@pytest.fixture
def city(db) -> EventCity:
    grid = factories.make_grid(code="E1", street_code="ES")
    other_grid = factories.make_grid(code="E2", street_code="FS")
    community, street = grid.community, grid.community.street
    other_street = other_grid.community.street
    housing = Department.objects.create(code="housing", name="住建局", serves_whole_city=True)
    health = Department.objects.create(code="health", name="卫健局", serves_whole_city=True)
    inspection = Department.objects.create(
        code="inspection", name="督查室", serves_whole_city=True, is_inspection_office=True
    )
    category = EventCategory.objects.create(code="rubbish", name="建筑垃圾")
    category.departments.set([housing])

    def person(username, role, unit):
        user = factories.make_user(username, role=role)
        factories.grant(user, unit)
        return user

    member = person("member", roles.GRID_MEMBER, grid)
    grid.members.add(member)
    other_member = person("other_member", roles.GRID_MEMBER, other_grid)
    other_grid.members.add(other_member)
    return EventCity(
        street=street,
        community=community,
        grid=grid,
        other_street=other_street,
        other_grid=other_grid,
        housing=housing,
        health=health,
        inspection=inspection,
        category=category,
        member=member,
        community_staff=person("community", roles.COMMUNITY_STAFF, community),
        street_official=person("street", roles.STREET_OFFICIAL, street),
        housing_staff=person("housing", roles.DEPARTMENT_STAFF, housing),
        health_staff=person("health", roles.DEPARTMENT_STAFF, health),
        inspector=person("inspector", roles.DEPARTMENT_STAFF, inspection),
        municipal=factories.make_user("city", role=roles.MUNICIPAL_OFFICIAL),
        other_member=other_member,
        other_community_staff=person(
            "other_community", roles.COMMUNITY_STAFF, other_grid.community
        ),
        other_street_official=person("other_street", roles.STREET_OFFICIAL, other_street),
    )
