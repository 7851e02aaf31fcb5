"""The events list on a laptop with the admin's sidebar open: every column is inside the
list's box, none cut off; on a phone, cards that fit; screenshots to look at."""

import datetime as dt

import pytest

from events.services import event_accept, event_pass_up, event_transfer
from tests import factories
from tests.browser.conftest import PHONE, screenshot
from tests.events.conftest import TUESDAY_9AM, city  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)
LAPTOP = {"width": 1280, "height": 800}


@pytest.mark.parametrize("page", [LAPTOP, PHONE], indirect=True)
def test_the_events_list_fits_beside_the_open_sidebar(page, logged_in, city, console):  # noqa: F811
    later = TUESDAY_9AM + dt.timedelta(hours=1)
    for number in range(6):
        event = city.report(grid=None if number % 2 else city.other_grid)
        if number == 1:
            event_accept(actor=city.community_staff, event=event, at=later)
        if number == 2:
            event_pass_up(actor=city.other_community_staff, event=event, at=later)
            event_transfer(
                actor=city.other_street_official, event=event, department=city.housing, at=later
            )
    logged_in(factories.make_user("chief", superuser=True))
    page.click("#content-main a[href='/admin/events/event/']")
    page.wait_for_selector("#result_list")
    if page.viewport_size["width"] < 500:  # one card per event (events.css)
        screenshot(page, "events-list-phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        return
    assert page.locator("#nav-sidebar").is_visible()
    screenshot(page, "events-list-laptop-sidebar")
    box = page.evaluate(
        """() => {
        const table = document.querySelector('#result_list');
        const holder = table.closest('.results') || table.parentElement;
        const last = table.querySelector('thead th:last-child').getBoundingClientRect();
        const shown = holder.getBoundingClientRect();
        return {
            lastRight: last.right, holderRight: shown.right,
            scrolls: holder.scrollWidth > holder.clientWidth
                && getComputedStyle(holder).overflowX !== 'visible',
            page: document.documentElement.scrollWidth,
        };
    }"""
    )
    # The last column is inside the list's box; nothing scrolls sideways, the page included.
    assert box["lastRight"] <= box["holderRight"] + 1, box
    assert not box["scrolls"], box
    assert box["page"] <= LAPTOP["width"], box
    assert console.csp_violations() == []
