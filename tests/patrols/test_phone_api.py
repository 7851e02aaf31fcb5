"""The round page and the endpoint its script sends positions to (patrols/admin/phone.py)."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from patrols.models import Patrol, TrackPoint
from patrols.services import patrol_start
from tests import factories

PAGE = reverse("admin:patrols_round")
POINTS = reverse("admin:patrols_round_points")


def points(n: int, *, first_id: int = 1, start: dt.datetime | None = None) -> list[dict]:
    """``n`` points as the script sends them: milliseconds, 2 m north every 5 s."""
    start = start or timezone.now() - dt.timedelta(minutes=5)
    return [
        {
            "id": first_id + i,
            "t": int((start + dt.timedelta(seconds=5 * i)).timestamp() * 1000),
            "lat": 30.0 + i * 0.00002,
            "lon": 120.0,
            "acc": 6.5,
        }
        for i in range(n)
    ]


def post(client: Client, body, **headers):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(POINTS, data, content_type="application/json", **headers)


@pytest.fixture
def open_round(patrol_grid):
    patrol = patrol_start(
        actor=patrol_grid["member"],
        grid=patrol_grid["grid"],
        at=timezone.now() - dt.timedelta(minutes=10),
    )
    return {**patrol_grid, "patrol": patrol}


@pytest.fixture
def member_client(client, open_round):
    client.force_login(open_round["member"])
    return client


def test_a_batch_of_points_is_stored_and_counted(member_client, open_round):
    patrol = open_round["patrol"]
    response = post(member_client, {"patrol": patrol.pk, "points": points(20)})
    assert response.status_code == 200
    assert response.json() == {"stored": 20, "duplicates": 0, "flagged": 0, "refused": []}
    assert sorted(TrackPoint.objects.filter(patrol=patrol).values_list("client_id", flat=True)) == (
        list(range(1, 21))
    )


def test_a_resend_after_a_lost_answer_is_ignored(member_client, open_round):
    patrol = open_round["patrol"]
    post(member_client, {"patrol": patrol.pk, "points": points(5)})
    response = post(member_client, {"patrol": patrol.pk, "points": points(7)})
    assert response.json()["stored"] == 2 and response.json()["duplicates"] == 5
    assert TrackPoint.objects.filter(patrol=patrol).count() == 7


def test_iso_times_are_read_as_well_as_milliseconds(member_client, open_round):
    patrol = open_round["patrol"]
    at = timezone.now() - dt.timedelta(minutes=1)
    point = {"id": 1, "t": at.isoformat(), "lat": 30.0, "lon": 120.0, "acc": 5}
    assert post(member_client, {"patrol": patrol.pk, "points": [point]}).json()["stored"] == 1
    assert TrackPoint.objects.get(patrol=patrol).recorded_at == at


def test_a_malformed_point_is_refused_with_its_index_and_reason_the_rest_stored(
    member_client, open_round
):
    patrol = open_round["patrol"]
    batch = points(3)
    batch[1]["lat"] = "north"
    batch[2]["t"] = "yesterday"
    answer = post(member_client, {"patrol": patrol.pk, "points": batch}).json()
    assert answer["stored"] == 1
    assert [r["index"] for r in answer["refused"]] == [1, 2]
    with translation.override("zh-hans"):  # the admin's language
        assert answer["refused"] == [
            {"index": 1, "reason": gettext("the latitude is not a number between -90 and 90")},
            {"index": 2, "reason": gettext("no time, or a time without its zone")},
        ]


def test_points_sent_to_another_members_round_are_refused_and_nothing_is_stored(client, open_round):
    other = factories.make_user("other", role="grid member")
    open_round["grid"].members.add(other)
    client.force_login(other)
    response = post(client, {"patrol": open_round["patrol"].pk, "points": points(3)})
    assert response.status_code == 403
    assert response.json()["error"]
    assert not TrackPoint.objects.exists()


def test_someone_who_may_not_walk_rounds_is_refused(client, open_round):
    auditor = factories.make_user("auditor", role="auditor")
    client.force_login(auditor)
    response = post(client, {"patrol": open_round["patrol"].pk, "points": points(3)})
    assert response.status_code == 403
    assert not TrackPoint.objects.exists()


def test_a_signed_out_phone_is_refused_with_a_reason_not_the_sign_in_page(client, open_round):
    response = post(client, {"patrol": open_round["patrol"].pk, "points": points(3)})
    assert response.status_code == 403
    assert "重新登录" in response.json()["error"]  # sign in again
    assert not TrackPoint.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps({"points": []}),
        json.dumps({"patrol": 1, "points": "many"}),
    ],
    ids=["not-json", "not-an-object", "no-round", "points-not-a-list"],
)
def test_a_malformed_request_is_a_400_and_stores_nothing(member_client, open_round, body):
    if "patrol" in body:
        body = body.replace('"patrol": 1', f'"patrol": {open_round["patrol"].pk}')
    response = post(member_client, body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not TrackPoint.objects.exists()


def test_too_many_points_at_once_is_a_400_and_stores_nothing(member_client, open_round):
    response = post(member_client, {"patrol": open_round["patrol"].pk, "points": points(1001)})
    assert response.status_code == 400
    assert "1000" in response.json()["error"]
    assert not TrackPoint.objects.exists()


def test_the_endpoint_wants_the_csrf_token(open_round):
    client = Client(enforce_csrf_checks=True)
    client.force_login(open_round["member"])
    body = {"patrol": open_round["patrol"].pk, "points": points(2)}
    assert post(client, body).status_code == 403
    assert not TrackPoint.objects.exists()

    client.get(PAGE)  # the page sets the cookie the script reads the token from
    token = client.cookies["csrftoken"].value
    assert post(client, body, HTTP_X_CSRFTOKEN=token).status_code == 200
    assert TrackPoint.objects.count() == 2


def test_the_endpoint_answers_only_posts(member_client):
    assert member_client.get(POINTS).status_code == 405


# The page --------------------------------------------------------------------------------------


def test_a_member_starts_a_round_in_their_grid_from_the_page(client, patrol_grid):
    client.force_login(patrol_grid["member"])
    page = client.get(PAGE)
    assert "开始巡查" in page.text  # start round
    assert f'value="{patrol_grid["grid"].pk}"' in page.text
    response = client.post(PAGE, {"action": "start", "grid": patrol_grid["grid"].pk})
    assert response.status_code == 302
    patrol = Patrol.objects.get(member=patrol_grid["member"])
    assert patrol.state == Patrol.State.OPEN
    page = client.get(PAGE)
    assert f'data-patrol="{patrol.pk}"' in page.text


def test_a_member_cannot_start_a_round_in_a_grid_they_do_not_work_in(client, patrol_grid):
    elsewhere = factories.make_grid(code="P2", street_code="PS2")
    client.force_login(patrol_grid["member"])
    page = client.get(PAGE)
    assert f'value="{elsewhere.pk}"' not in page.text
    client.post(PAGE, {"action": "start", "grid": elsewhere.pk})
    assert not Patrol.objects.exists()


def test_ending_the_round_shows_its_totals(member_client, open_round):
    patrol = open_round["patrol"]
    post(member_client, {"patrol": patrol.pk, "points": points(11)})  # 10 × 2.2 m north
    response = member_client.post(PAGE, {"action": "end", "patrol": patrol.pk}, follow=True)
    patrol.refresh_from_db()
    assert patrol.state == Patrol.State.ENDED and patrol.distance_m == 22
    assert 'id="ended-distance">22' in response.text


def test_a_member_cannot_end_another_members_round(client, open_round):
    other = factories.make_user("other", role="grid member")
    client.force_login(other)
    client.post(PAGE, {"action": "end", "patrol": open_round["patrol"].pk})
    open_round["patrol"].refresh_from_db()
    assert open_round["patrol"].state == Patrol.State.OPEN


def test_the_page_is_in_the_index_for_members_only(client, patrol_grid):
    client.force_login(patrol_grid["member"])
    assert f'href="{PAGE}"' in client.get(reverse("admin:index")).text
    auditor = factories.make_user("auditor", role="auditor")
    client.force_login(auditor)
    assert f'href="{PAGE}"' not in client.get(reverse("admin:index")).text
    assert client.get(PAGE).status_code == 403
