"""The one raw statement of the patrols app, read back through the ORM on both databases."""

import datetime as dt

from patrols import services
from patrols.models import TrackPoint
from patrols.sql import PointRow, track_points_insert
from tests.patrols.conftest import MORNING


def row(patrol, client_id, *, seconds=0, latitude=30.0, flag=0):
    return PointRow(
        patrol_id=patrol.pk,
        member_id=patrol.member_id,
        client_id=client_id,
        recorded_at=MORNING + dt.timedelta(seconds=seconds),
        latitude=latitude,
        longitude=120.0,
        accuracy_m=None if client_id % 2 else 7.5,
        flag=flag,
    )


def test_new_points_are_inserted_as_given_and_their_ids_returned(patrol_grid):
    patrol = services.patrol_start(actor=patrol_grid["member"], grid=patrol_grid["grid"])
    rows = [row(patrol, i, seconds=i, latitude=30 + i / 1e5, flag=i % 3) for i in range(1, 1201)]
    assert track_points_insert(rows) == set(range(1, 1201))
    stored = {
        p.client_id: p for p in TrackPoint.objects.filter(patrol=patrol)
    }  # more rows than one statement takes: the chunks add up
    assert len(stored) == 1200
    for expected in rows[::97]:
        point = stored[expected.client_id]
        assert (point.recorded_at, point.latitude, point.longitude) == (
            expected.recorded_at,
            expected.latitude,
            expected.longitude,
        )
        assert (point.accuracy_m, point.flag, point.member_id) == (
            expected.accuracy_m,
            expected.flag,
            expected.member_id,
        )


def test_points_already_stored_are_left_as_they_were(patrol_grid):
    patrol = services.patrol_start(actor=patrol_grid["member"], grid=patrol_grid["grid"])
    track_points_insert([row(patrol, 1, latitude=30.0), row(patrol, 2)])
    again = [row(patrol, 1, latitude=31.0), row(patrol, 3)]
    assert track_points_insert(again) == {3}
    assert TrackPoint.objects.get(patrol=patrol, client_id=1).latitude == 30.0
    assert TrackPoint.objects.filter(patrol=patrol).count() == 3
