"""Tracking devices in the admin: administrators issue them (the token shown once) and revoke
them with a reason; nobody else sees them."""

import re

import pytest
from django.urls import reverse

from patrols import services
from patrols.models import TrackingDevice, TrackPoint
from tests import factories
from tests.patrols.conftest import MORNING

LIST = "/admin/patrols/trackingdevice/"
ISSUE = "/admin/patrols/trackingdevice/add/"


@pytest.fixture(autouse=True)
def _pages_in_english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def administrator(client, patrol_grid):
    admin = factories.make_user("root", superuser=True)
    client.force_login(admin)
    return admin


def token_on(page) -> str:
    found = re.findall(r'<code class="device-token">([^<]+)</code>', page.content.decode())
    assert len(found) == 1
    return found[0]


def issue(client, member, name="Li Na's phone"):
    return client.post(ISSUE, {"member": member.pk, "name": name})


def test_an_administrator_issues_a_device_and_sees_its_token_once_with_the_apps_settings(
    client, administrator, patrol_grid
):
    member = patrol_grid["member"]
    page = issue(client, member)
    assert page.status_code == 200
    token = token_on(page)
    device = TrackingDevice.objects.get()
    assert (device.member, device.issued_by) == (member, administrator)
    assert device.name == "Li Na's phone"
    assert device.token_sha256 == services.device_token_digest(token)
    text = page.content.decode()
    assert "http://testserver/patrols/osmand/" in text  # the server URL to type in the app
    assert "only time" in text
    assert "no-store" in page["Cache-Control"]
    # The device's page, the list and its history never show it again.
    for url in (
        reverse("admin:patrols_trackingdevice_change", args=[device.pk]),
        LIST,
        reverse("admin:patrols_trackingdevice_history", args=[device.pk]),
    ):
        again = client.get(url)
        assert again.status_code == 200
        assert token not in again.content.decode()
        assert f"…{token[-4:]}" in again.content.decode()


def test_the_issued_token_is_what_the_app_sends_its_positions_with(
    client, administrator, patrol_grid
):
    token = token_on(issue(client, patrol_grid["member"]))
    services.patrol_start(actor=patrol_grid["member"], grid=patrol_grid["grid"], at=MORNING)
    response = client.get(
        "/patrols/osmand/",
        {"id": token, "lat": 30, "lon": 120, "timestamp": int(MORNING.timestamp()) + 60},
    )
    assert response.content == b"OK"
    assert TrackPoint.objects.get().member == patrol_grid["member"]


def test_the_issue_form_offers_only_grid_members(client, administrator, patrol_grid):
    factories.make_user("clerk-without-grid", role="community staff")
    page = client.get(ISSUE)
    options = page.context["form"].fields["member"].queryset
    assert list(options) == [patrol_grid["member"]]
    outsider = factories.make_user("outsider")
    refused = issue(client, outsider)
    assert refused.status_code == 200 and refused.context["form"].errors
    assert not TrackingDevice.objects.exists()


def test_a_device_without_a_name_is_not_issued(client, administrator, patrol_grid):
    page = issue(client, patrol_grid["member"], name="")
    assert page.context["form"].errors["name"]
    assert not TrackingDevice.objects.exists()


def test_an_administrator_revokes_a_device_with_a_reason_kept_in_its_history(
    client, administrator, patrol_grid
):
    issue(client, patrol_grid["member"])
    device = TrackingDevice.objects.get()
    page = client.get(reverse("admin:patrols_trackingdevice_change", args=[device.pk]))
    revoke_url = reverse("admin:patrols_trackingdevice_revoke", args=[device.pk])
    assert revoke_url in page.content.decode()
    assert client.get(revoke_url).status_code == 200
    response = client.post(revoke_url, {"reason": "phone lost on the bus"}, follow=True)
    device.refresh_from_db()
    assert device.revoked_at is not None
    assert "revoked" in response.content.decode()
    assert revoke_url not in response.content.decode()  # no second revoke button
    reasons = list(device.history.order_by("history_date").values_list("history_change_reason"))
    assert reasons == [("device issued",), ("phone lost on the bus",)]
    assert "phone lost on the bus" in response.content.decode()  # the history on its page


def test_a_revoke_without_a_reason_is_not_done(client, administrator, patrol_grid):
    issue(client, patrol_grid["member"])
    device = TrackingDevice.objects.get()
    revoke_url = reverse("admin:patrols_trackingdevice_revoke", args=[device.pk])
    page = client.post(revoke_url, {"reason": "  "})
    assert "Say why" in page.content.decode()
    device.refresh_from_db()
    assert device.revoked_at is None


def test_a_device_cannot_be_edited_or_deleted_in_the_admin(client, administrator, patrol_grid):
    issue(client, patrol_grid["member"])
    device = TrackingDevice.objects.get()
    change_url = reverse("admin:patrols_trackingdevice_change", args=[device.pk])
    client.post(change_url, {"name": "renamed", "member": patrol_grid["member"].pk})
    assert TrackingDevice.objects.get().name == "Li Na's phone"
    delete_url = reverse("admin:patrols_trackingdevice_delete", args=[device.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert TrackingDevice.objects.exists()


@pytest.mark.parametrize("role", ["grid member", "community staff"])
def test_only_administrators_see_issue_or_revoke_devices(client, patrol_grid, role):
    admin = factories.make_user("root", superuser=True)
    device, _token = services.tracking_device_issue(
        actor=admin, member=patrol_grid["member"], name="phone"
    )
    user = patrol_grid["member"] if role == "grid member" else None
    if user is None:
        user = factories.make_user("staff", role=role)
        factories.grant(user, patrol_grid["grid"].community)
    client.force_login(user)
    revoke_url = reverse("admin:patrols_trackingdevice_revoke", args=[device.pk])
    change_url = reverse("admin:patrols_trackingdevice_change", args=[device.pk])
    assert client.get(LIST).status_code == 403
    assert client.get(change_url).status_code == 403
    assert client.get(ISSUE).status_code == 403
    assert issue(client, patrol_grid["member"]).status_code == 403
    assert client.post(revoke_url, {"reason": "mine"}).status_code == 403
    assert TrackingDevice.objects.count() == 1
    device.refresh_from_db()
    assert device.revoked_at is None
    assert "trackingdevice" not in client.get("/admin/").content.decode()


def test_the_list_finds_devices_by_member_and_by_state(client, administrator, patrol_grid):
    colleague = factories.make_user("colleague", role="grid member")
    patrol_grid["grid"].members.add(colleague)
    issue(client, patrol_grid["member"], name="walker's phone")
    issue(client, colleague, name="colleague's phone")
    lost = TrackingDevice.objects.get(member=colleague)
    services.tracking_device_revoke(actor=administrator, device=lost, reason="lost")

    def names(query):
        page = client.get(LIST, query)
        assert page.status_code == 200
        return sorted(d.name for d in page.context["cl"].result_list)

    assert names({"q": "colleague"}) == ["colleague's phone"]
    assert names({"state": "revoked"}) == ["colleague's phone"]
    assert names({"state": "active"}) == ["walker's phone"]
    assert client.get(LIST, {"token_sha256": lost.token_sha256}).status_code == 400
