import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from patrols.services import RawPoint
from tests import factories

#: A moment in the portal's time zone when rounds are walked in these tests.
MORNING = timezone.make_aware(dt.datetime(2026, 11, 10, 9, 0))
#: Metres per thousandth of a degree of latitude.
NORTH_PER_MILLIDEGREE = 111.195


def walk(start: dt.datetime, positions, *, every_s: int = 30, first_id: int = 1, accuracy=8):
    """Raw points along ``positions``, one every ``every_s`` seconds from ``start``."""
    return [
        RawPoint(
            client_id=first_id + i,
            recorded_at=start + dt.timedelta(seconds=i * every_s),
            latitude=lat,
            longitude=lon,
            accuracy_m=accuracy,
        )
        for i, (lat, lon) in enumerate(positions)
    ]


def north_walk(n: int, *, from_lat: float = 30.0, step: float = 0.0002, lon: float = 120.0):
    """``n`` positions going north in steps of ``step`` degrees (22 m for 0.0002)."""
    return [(from_lat + i * step, lon) for i in range(n)]


@pytest.fixture
def patrol_grid(db):
    """A grid with a member and one building at (30.0, 120.0), one household in it."""
    grid = factories.make_grid(code="P1", street_code="PS")
    member = factories.make_user("walker", role="grid member")
    grid.members.add(member)
    factories.grant(member, grid)
    building = factories.make_building(grid=grid, address="巡查路1号")
    building.latitude, building.longitude = Decimal("30.000000"), Decimal("120.000000")
    building.save()
    household = factories.make_household(building=building)
    return {"grid": grid, "member": member, "building": building, "household": household}
