"""Positions from tracking apps (Traccar Client, OsmAnd) at the OsmAnd-protocol endpoint."""

import datetime as dt
import json
import logging

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from patrols import services
from patrols.models import Patrol, TrackingDevice, TrackPoint
from tests import factories
from tests.patrols.conftest import MORNING

URL = "/patrols/osmand/"
AT = MORNING + dt.timedelta(minutes=5)
UNIX = int(AT.timestamp())


@pytest.fixture(autouse=True)
def _answers_in_english(client, settings):
    # The reasons are read in English here; the portal's default language is Chinese.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def device(patrol_grid):
    """A device issued to the grid's member, who has a round open since MORNING."""
    admin = factories.make_user("root", superuser=True)
    member = patrol_grid["member"]
    device, token = services.tracking_device_issue(actor=admin, member=member, name="Li's phone")
    patrol = services.patrol_start(actor=member, grid=patrol_grid["grid"], at=MORNING)
    return {"device": device, "token": token, "patrol": patrol, "admin": admin, **patrol_grid}


def params(token, **extra):
    return {"id": token, "lat": "30.0001", "lon": "120.0002", "timestamp": UNIX, **extra}


def only_point():
    (point,) = TrackPoint.objects.all()
    return point


def test_the_url_is_the_one_the_setup_page_names():
    assert reverse("patrols:osmand") == URL


def test_a_position_in_query_parameters_is_stored_in_the_open_round(client, device):
    response = client.get(URL, params(device["token"], accuracy="6.5"))
    assert (response.status_code, response.content) == (200, b"OK")
    point = only_point()
    assert point.patrol == device["patrol"] and point.member == device["member"]
    assert (point.latitude, point.longitude, point.accuracy_m) == (30.0001, 120.0002, 6.5)
    assert point.recorded_at == AT
    assert point.client_id == UNIX * 1000  # a tracking app's point is known by its time
    assert point.flag == TrackPoint.Flag.PLAUSIBLE


def test_a_position_posted_as_a_form_is_stored(client, device):
    response = client.post(URL, params(device["token"]))
    assert response.content == b"OK"
    assert only_point().recorded_at == AT


def test_a_post_with_its_parameters_in_the_url_and_an_empty_body_is_stored(client, device):
    # What Traccar Client before 9.0 sends.
    query = "&".join(f"{k}={v}" for k, v in params(device["token"]).items())
    response = client.post(f"{URL}?{query}", data=b"", content_type="text/plain")
    assert response.content == b"OK"
    assert only_point().recorded_at == AT


def test_the_json_body_of_traccar_client_9_is_stored(client, device):
    body = {
        "device_id": device["token"],
        "location": {
            "timestamp": "2026-11-10T01:05:00.250Z",  # 09:05:00.25 in Shanghai
            "coords": {
                "latitude": 30.0003,
                "longitude": 120.0001,
                "accuracy": 4,
                "speed": 1.2,
                "heading": 80,
                "altitude": 12,
            },
            "is_moving": True,
            "odometer": 1234,
            "event": "motionchange",
            "battery": {"level": 0.8, "is_charging": False},
            "activity": {"type": "walking"},
            "extras": {},
        },
    }
    response = client.post(URL, json.dumps(body), content_type="application/json")
    assert response.content == b"OK"
    point = only_point()
    assert (point.latitude, point.longitude, point.accuracy_m) == (30.0003, 120.0001, 4)
    assert point.recorded_at == AT + dt.timedelta(milliseconds=250)
    assert point.client_id == UNIX * 1000 + 250


def test_parameters_the_portal_does_not_use_are_ignored(client, device):
    extra = {"speed": "1.3", "bearing": "90", "altitude": "10", "batt": "77", "charge": "false",
             "hdop": "0.9", "valid": "true", "driverUniqueId": "x"}  # fmt: skip
    response = client.get(URL, params(device["token"], **extra))
    assert response.content == b"OK"
    assert TrackPoint.objects.count() == 1


@pytest.mark.parametrize(
    "timestamp",
    [
        UNIX,  # Unix seconds
        UNIX * 1000,  # Unix milliseconds
        "2026-11-10T01:05:00Z",
        "2026-11-10T09:05:00+08:00",
        "2026-11-10 01:05:00",  # no zone: UTC, as Traccar reads it
    ],
)
def test_times_are_read_as_unix_seconds_milliseconds_or_iso_text(client, device, timestamp):
    response = client.get(URL, params(device["token"], timestamp=timestamp))
    assert response.content == b"OK"
    assert only_point().recorded_at == AT


def test_a_position_sent_again_is_stored_once(client, device):
    first = client.get(URL, params(device["token"]))
    # The answer was lost; the app sends it again, this time with its time as ISO text.
    again = client.get(URL, params(device["token"], timestamp="2026-11-10T01:05:00Z"))
    assert (first.content, again.content) == (b"OK", b"OK")
    assert TrackPoint.objects.count() == 1
    device["patrol"].refresh_from_db()
    assert device["patrol"].point_count == 1


def test_positions_sent_late_go_to_the_round_open_at_their_time(client, device):
    member = device["member"]
    first = device["patrol"]
    services.patrol_end(patrol=first, actor=member, at=MORNING + dt.timedelta(hours=1))
    second = services.patrol_start(
        actor=member, grid=device["grid"], at=MORNING + dt.timedelta(hours=3)
    )
    during_second = UNIX + 3 * 3600
    # The phone was offline: it sends a position of the second round, then an older one.
    client.get(URL, params(device["token"], timestamp=during_second))
    client.get(URL, params(device["token"], timestamp=UNIX))
    rounds = dict(TrackPoint.objects.values_list("client_id", "patrol"))
    assert rounds == {during_second * 1000: second.pk, UNIX * 1000: first.pk}
    first.refresh_from_db()
    assert first.point_count == 1  # the ended round's totals were worked out again


def test_a_position_when_no_round_was_open_is_answered_ok_but_not_kept(client, device):
    yesterday = UNIX - 24 * 3600
    response = client.get(URL, params(device["token"], timestamp=yesterday))
    # 200, so that the app does not resend it forever; the text says it was not kept.
    assert response.status_code == 200
    assert response.content.decode().startswith("Not kept")
    assert "no round was open" in response.content.decode()
    assert not TrackPoint.objects.exists()


def test_an_unknown_device_is_refused_and_nothing_is_stored(client, device):
    response = client.get(URL, params("not-a-token-anyone-issued"))
    assert response.status_code == 403
    assert "Unknown device" in response.content.decode()
    assert not TrackPoint.objects.exists()


def test_a_revoked_device_is_refused_and_nothing_is_stored(client, device):
    services.tracking_device_revoke(actor=device["admin"], device=device["device"], reason="lost")
    response = client.post(URL, params(device["token"]))
    assert response.status_code == 403
    today = f"{timezone.localdate():%Y-%m-%d}"
    assert response.content.decode() == f"This device was revoked on {today}."
    assert not TrackPoint.objects.exists()


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"id": ""}, "device identifier"),
        ({"id": "x" * 200}, "too long"),
        ({"lat": "95"}, "latitude"),
        ({"lat": "north"}, "latitude"),
        ({"lon": ""}, "longitude"),
        ({"timestamp": ""}, "No time"),
        ({"timestamp": "yesterday"}, "cannot be read"),
        ({"timestamp": "1e300"}, "cannot be read"),
        ({"timestamp": "nan"}, "cannot be read"),
        ({"accuracy": "good"}, "accuracy"),
    ],
)
def test_a_malformed_position_is_refused_with_its_reason_and_nothing_is_stored(
    client, device, change, said
):
    response = client.get(URL, {**params(device["token"]), **change})
    assert response.status_code == 400
    assert said in response.content.decode()
    assert not TrackPoint.objects.exists()


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"device_id": "t"}', "No location"),
        ('{"device_id": "t", "location": [{}, {}]}', "One position"),
        ('{"device_id": "t", "location": {"timestamp": "2026-11-10T01:05:00Z"}}', "coordinates"),
    ],
)
def test_a_malformed_json_body_is_refused_with_its_reason(client, device, body, said):
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert said in response.content.decode()
    assert not TrackPoint.objects.exists()


def test_a_request_larger_than_a_position_is_refused(client, device):
    response = client.post(URL, {**params(device["token"]), "padding": "x" * 5000})
    assert response.status_code == 413
    assert not TrackPoint.objects.exists()


def test_only_get_and_post_are_answered(client, device):
    assert client.put(URL, params(device["token"])).status_code == 405
    assert not TrackPoint.objects.exists()


def test_the_app_needs_no_session_or_csrf_token(device):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(URL, params(device["token"])).content == b"OK"


def test_the_token_is_not_logged_when_a_request_is_refused(client, device, caplog):
    services.tracking_device_revoke(actor=device["admin"], device=device["device"], reason="lost")
    with caplog.at_level(logging.DEBUG):
        client.get(URL, params(device["token"]))
        client.get(URL, params(device["token"], lat="95"))
    assert any(r.levelno >= logging.WARNING for r in caplog.records)  # refusals are logged…
    assert device["token"] not in caplog.text  # …without the token


def test_the_token_is_stored_only_as_its_hash(client, device):
    token = device["token"]
    client.get(URL, params(token))
    services.tracking_device_revoke(actor=device["admin"], device=device["device"], reason="lost")
    row = TrackingDevice.objects.values().get()
    history = list(TrackingDevice.history.values())
    assert len(history) == 2  # issued, revoked
    stored = [str(value) for record in [row, *history] for value in record.values()]
    assert not [value for value in stored if token in value]
    assert row["token_sha256"] == services.device_token_digest(token)
    assert row["token_hint"] == token[-4:]
    assert not Patrol.history.filter(history_change_reason__contains=token).exists()


def test_one_request_looks_the_device_up_once_and_inserts_once(client, device):
    client.get(URL, params(device["token"]))  # the first point of the round
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, params(device["token"], timestamp=UNIX + 30))
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len([s for s in statements if 'FROM "patrols_trackingdevice"' in s]) == 1
    assert len([s for s in statements if s.startswith("INSERT")]) == 1
    assert len(statements) <= 7  # and no more when the round has many points
    assert TrackPoint.objects.count() == 2


def test_the_device_list_says_when_a_device_last_sent_to_the_minute(client, device):
    client.get(URL, params(device["token"]))
    first_seen = TrackingDevice.objects.get().last_seen_at
    assert first_seen is not None
    client.get(URL, params(device["token"], timestamp=UNIX + 20))
    assert TrackingDevice.objects.get().last_seen_at == first_seen  # not a write a request
    TrackingDevice.objects.update(last_seen_at=first_seen - dt.timedelta(minutes=2))
    client.get(URL, params(device["token"], timestamp=UNIX + 40))
    assert TrackingDevice.objects.get().last_seen_at > first_seen
