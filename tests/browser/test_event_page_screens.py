"""An event's page on a desktop and on a phone: it shows the chain and the steps offered, with
no CSP violation; screenshots to look at."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from events.services import event_accept, event_handle, event_send_back
from tests.browser.conftest import DESKTOP, PHONE, screenshot
from tests.events.conftest import TUESDAY_9AM, city  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)
LATER = TUESDAY_9AM + dt.timedelta(hours=1)


def jpeg(colour) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG")
    return SimpleUploadedFile("p.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.mark.parametrize("page", [DESKTOP, PHONE], indirect=True)
def test_the_event_page_shows_the_chain_and_the_steps(page, logged_in, city, console):  # noqa: F811
    event = city.report(
        latitude=Decimal("30.59"), longitude=Decimal("114.3"), photos=[jpeg((180, 60, 40))]
    )
    event_accept(actor=city.community_staff, event=event, at=LATER)
    event_handle(
        actor=city.community_staff,
        event=event,
        note="已清运",
        at=LATER,
        photos=[jpeg((40, 160, 60))],
    )
    event_send_back(actor=city.community_staff, event=event, reason="楼道仍有垃圾", at=LATER)
    logged_in(city.community_staff)
    page.goto(f"/admin/events/event/{event.pk}/change/")
    assert page.locator('button.event-step[value="handle"]').is_visible()
    assert page.locator("#id_handle_note").is_visible()
    assert page.locator(".event-chain-step").count() == 4
    phone = page.viewport_size["width"] < 500
    screenshot(page, f"event-page-{'phone' if phone else 'desktop'}")
    # The page fits the phone's width: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    page.fill("#id_handle_note", "再次清运")
    page.click('button.event-step[value="handle"]')
    page.wait_for_selector(".messagelist .success")
    assert page.locator(".event-light-blue").first.is_visible()
    assert console.csp_violations() == []


@pytest.mark.parametrize("page", [DESKTOP, PHONE], indirect=True)
def test_the_dashboard_panel_and_the_long_open_page(page, logged_in, city, console):  # noqa: F811
    from django.utils import timezone

    old = timezone.now() - dt.timedelta(days=10)
    for _ in range(3):
        city.report(at=old)
    city.report(grid=city.other_grid, at=old)
    phone = page.viewport_size["width"] < 500
    logged_in(city.community_staff)
    assert page.locator(".events-panel li a").count() == 3
    screenshot(page, f"events-dashboard-{'phone' if phone else 'desktop'}")
    page.click(".events-long-open-link")
    page.wait_for_selector(".event-long-open-group")
    screenshot(page, f"events-long-open-{'phone' if phone else 'desktop'}")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert console.csp_violations() == []
