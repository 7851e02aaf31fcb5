"""An event's whole chain, clicked in Chromium on a phone (390 px) from each person's index: a grid
member reports rubbish in a stairwell with a photo and the phone's position; the community
passes it up; the street transfers it to the department in charge; the department accepts and
handles it with a photo; the reporting community confirms it, and its light turns green. Each
person finds the event on their own dashboard; no URL is typed but the sign-in page."""

import io

import pytest
from PIL import Image

from events.models import Event, EventStep, Light
from tests.browser.conftest import PHONE, log_in, screenshot
from tests.events.conftest import city  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
phone = pytest.mark.parametrize("page", [PHONE], indirect=True, ids=["phone"])

A = EventStep.Action


def photo_file(tmp_path, name: str, colour: tuple[int, int, int]) -> str:
    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def sign_in(page, user) -> None:
    """Another person picks up the phone: the last one signs out (the header's 注销), and the
    next signs in through the form. Signing out ends the session on the server: a photo still
    loading on the last page cannot bring it back, as it did when only the cookies were
    cleared."""
    logout = page.locator("#logout-form button")
    if logout.count():
        with page.expect_navigation():
            logout.click()
    page.context.clear_cookies()
    log_in(page, user.get_username())
    page.wait_for_url("**/admin/")


def open_from_dashboard(page, event: Event) -> None:
    page.click(f".events-waiting a[href$='/admin/events/event/{event.pk}/change/']")
    page.wait_for_url(f"**/admin/events/event/{event.pk}/change/")


def take_step(page, action: str) -> None:
    # The page may still show the last step's message: wait for the new page, not for it.
    with page.expect_navigation():
        page.click(f'button.event-step[value="{action}"]')
    page.wait_for_selector(".messagelist .success")


@phone
def test_a_reported_event_travels_the_chain_to_green_by_clicks(
    page,
    city,  # noqa: F811
    console,
    tmp_path,
):
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 30.5928, "longitude": 114.3055, "accuracy": 8})

    # The grid member reports from the index, with a photo and the phone's position.
    sign_in(page, city.member)
    page.click("#content-main a[href='/admin/events/event/']")
    page.wait_for_url("**/admin/events/event/")
    page.click(".object-tools a.addlink")
    page.wait_for_url("**/admin/events/event/add/")
    page.select_option("#id_category", str(city.category.pk))
    page.fill("#id_description", "3号楼2单元楼道堆放建筑垃圾，堵住了消防通道")
    page.click("#event-position-button")
    for _ in range(50):
        if page.input_value("#id_latitude"):
            break
        page.wait_for_timeout(100)
    assert page.input_value("#id_latitude").startswith("30.59")
    page.set_input_files("#id_photos", photo_file(tmp_path, "stairwell.jpg", (150, 120, 90)))
    screenshot(page, "event-walk-1-report")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    event = Event.objects.get()
    assert page.url.endswith(f"/admin/events/event/{event.pk}/change/")
    assert page.locator(".event-light-red").first.is_visible()
    assert event.photos.count() == 1 and event.latitude is not None

    # The community cannot settle it and passes it up to the street.
    sign_in(page, city.community_staff)
    open_from_dashboard(page, event)
    take_step(page, A.PASS_UP)

    # The street transfers it to the department in charge of the category.
    sign_in(page, city.street_official)
    open_from_dashboard(page, event)
    offered = page.locator("#id_transfer_department option").all_inner_texts()
    assert city.housing.name in offered and city.health.name not in offered
    page.select_option("#id_transfer_department", str(city.housing.pk))
    take_step(page, A.TRANSFER)

    # The department accepts it and handles it, with a photo as evidence.
    sign_in(page, city.housing_staff)
    open_from_dashboard(page, event)
    take_step(page, A.ACCEPT)
    assert page.locator(".event-light-yellow").first.is_visible()
    page.fill("#id_handle_note", "已联系物业清运，楼道恢复畅通")
    page.set_input_files("#id_handle_photos", photo_file(tmp_path, "clean.jpg", (60, 160, 80)))
    take_step(page, A.HANDLE)
    assert page.locator(".event-light-blue").first.is_visible()

    # The reporting community finds it resolved: green, closed.
    sign_in(page, city.community_staff)
    open_from_dashboard(page, event)
    take_step(page, A.CONFIRM)
    assert page.locator(".event-light-green").first.is_visible()
    assert page.locator("button.event-step").count() == 0
    screenshot(page, "event-walk-2-green")

    event.refresh_from_db()
    assert event.light == Light.GREEN and event.closed_at is not None
    assert list(event.steps.order_by("at", "pk").values_list("action", "actor__username")) == [
        (A.REPORT, "member"),
        (A.PASS_UP, "community"),
        (A.TRANSFER, "street"),
        (A.ACCEPT, "housing"),
        (A.HANDLE, "housing"),
        (A.CONFIRM, "community"),
    ]
    assert event.photos.count() == 2
    assert console.csp_violations() == []
