"""A grid member's phone (390 px): the resident list as cards, building plans that scroll
inside their frame under sticky labels, the visit form with "use my location"; and the admin's
widgets in Chinese. Every page is reached by clicking from the index; screenshots go to
test-artifacts/screenshots/."""

import re

import pytest
from django.utils import timezone

from archives.models import Building, Household, Visit
from tests import factories
from tests.browser.conftest import PHONE, screenshot

pytestmark = pytest.mark.browser

phone = pytest.mark.parametrize("page", [PHONE], indirect=True, ids=["phone"])


def inside_the_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def fill_building(building: Building, *, rooms=(1, 2)) -> None:
    for unit in range(1, building.units + 1):
        for floor in range(1, building.floors + 1):
            for room in rooms:
                Household.objects.create(
                    building=building, unit=unit, floor=floor, room=f"{floor}{room:02d}"
                )


@phone
def test_a_grid_member_reads_residents_as_cards_with_phone_and_address(
    logged_in, console, two_grids
):
    resident = two_grids["resident"]
    resident.tags.add(factories.make_tag())
    factories.make_resident(grid=two_grids["grid"], name="金哲", phone="13800005678")
    page = logged_in(two_grids["clerk"])
    page.click("#content-main a[href='/admin/archives/resident/']")
    page.wait_for_url("**/archives/resident/")

    card = page.locator("#result_list tbody tr", has_text=resident.name)
    for field in ("name", "phone", "household", "grid_name", "tag_list", "id_number_shown"):
        cell = card.locator(f".field-{field}")
        assert cell.is_visible() and inside_the_screen(cell), field
    assert resident.phone in card.locator(".field-phone").inner_text()
    assert card.locator(".field-phone").get_attribute("data-label") == "联系电话"
    assert "独居老人" in card.locator(".field-tag_list").inner_text()
    assert resident.household.building.address in card.locator(".field-household").inner_text()
    # Cards, not a table: nothing sticks out sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    print(screenshot(page, "phone-resident-cards"))

    page.click(f"#result_list a[href*='/archives/resident/{resident.pk}/change/']")
    page.wait_for_url(re.compile(f"/archives/resident/{resident.pk}/change/"))
    assert console == [], console


@phone
def test_an_official_sees_masked_id_numbers_on_the_cards(logged_in, console, two_grids):
    official = factories.make_user("official", role="municipal official")
    page = logged_in(official)
    page.click("#content-main a[href='/admin/archives/resident/']")
    page.wait_for_url("**/archives/resident/")
    card = page.locator("#result_list tbody tr", has_text=two_grids["resident"].name)
    id_cell = card.locator(".field-id_number_shown")
    assert "********" in id_cell.inner_text() and inside_the_screen(id_cell)
    assert two_grids["resident"].id_number not in page.content()
    screenshot(page, "phone-resident-cards-masked")
    assert console == [], console


@phone
def test_a_building_plan_scrolls_in_its_frame_under_sticky_floor_and_unit_labels(
    logged_in, console, two_grids
):
    grid = two_grids["grid"]
    small = Building.objects.create(grid=grid, address="幸福路8号", units=3, floors=6)
    tall = Building.objects.create(grid=grid, address="幸福路9号", units=5, floors=24)
    fill_building(small)
    fill_building(tall)
    page = logged_in(two_grids["clerk"])
    page.click(f".clerk-panel a[href='/admin/archives/grid/{grid.pk}/plan/']")
    page.wait_for_url(f"**/grid/{grid.pk}/plan/")
    page.click(f"a[href='/admin/archives/building/{small.pk}/plan/']")
    page.wait_for_url(f"**/building/{small.pk}/plan/")

    # Three units of two rooms fit a phone's width: every unit shows, nothing scrolls.
    frame = page.locator(".plan-scroll")
    print(screenshot(page, "phone-plan-small-building"))
    assert frame.evaluate("f => f.scrollWidth <= f.clientWidth"), frame.evaluate(
        "f => [f.scrollWidth, f.clientWidth]"
    )
    for unit in (1, 2, 3):
        assert inside_the_screen(page.locator("table.plan-grid thead th", has_text=f"{unit} 单元"))
    print(screenshot(page, "phone-plan-small-building"))

    page.go_back()
    page.click(f"a[href='/admin/archives/building/{tall.pk}/plan/']")
    page.wait_for_url(f"**/building/{tall.pk}/plan/")
    frame = page.locator(".plan-scroll")
    assert frame.evaluate("f => f.scrollWidth > f.clientWidth && f.scrollHeight > f.clientHeight")
    floor_label = page.locator("table.plan-grid tbody th", has_text="12 层")
    unit_label = page.locator("table.plan-grid thead th", has_text="5 单元")
    floor_label.scroll_into_view_if_needed()
    before = floor_label.bounding_box()
    frame.evaluate("f => { f.scrollLeft = f.scrollWidth; f.scrollTop = f.scrollHeight; }")
    after = floor_label.bounding_box()
    # Scrolled sideways the floor label stays at the left edge; the unit row stays on top.
    assert after["x"] == pytest.approx(before["x"], abs=3)  # less the border spacing
    assert inside_the_screen(unit_label)
    frame_top = frame.bounding_box()["y"]
    assert unit_label.bounding_box()["y"] == pytest.approx(frame_top, abs=6)
    corner = tall.households.get(unit=5, floor=1, room="101")
    assert inside_the_screen(page.locator(f"a.plan-square[data-household='{corner.pk}']"))
    print(screenshot(page, "phone-plan-tall-building-scrolled"))
    assert console == [], console


@phone
def test_the_building_lists_plan_link_is_on_the_screen(logged_in, console, two_grids):
    building = factories.make_building(grid=two_grids["grid"], address="延吉市龙门路朝阳小区108号")
    page = logged_in(two_grids["clerk"])
    page.click("#content-main a[href='/admin/archives/building/']")
    page.wait_for_url("**/archives/building/")
    link = page.locator(
        f"#result_list a.plan-link[href='/admin/archives/building/{building.pk}/plan/']"
    )
    assert link.is_visible() and inside_the_screen(link)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    print(screenshot(page, "phone-building-list"))
    link.click()
    page.wait_for_url(f"**/building/{building.pk}/plan/")
    assert console == [], console


@phone
def test_a_grid_member_logs_a_visit_with_their_location_whom_they_met_and_findings(
    browser, logged_in, console, two_grids
):
    elderly = factories.make_tag()
    elderly.needs_visits_per_month = 2
    elderly.save()
    resident = two_grids["resident"]
    resident.tags.add(elderly)
    page = logged_in(two_grids["clerk"])
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 42.904823, "longitude": 129.513312, "accuracy": 12})

    assert "独居老人 · 本月 0/2 次" in page.locator(".short-of-visits").inner_text()
    page.click(".short-of-visits a.log-visit")
    page.wait_for_url("**/archives/visit/add/?household=*")
    today = timezone.localdate()
    assert page.input_value("#id_visited_at_0") == today.strftime("%Y/%m/%d")
    assert re.fullmatch(r"\d\d:\d\d", page.input_value("#id_visited_at_1"))
    screenshot(page, "phone-visit-form")

    page.click("button.use-location")
    page.wait_for_function("document.getElementById('id_latitude').value !== ''")
    assert page.input_value("#id_latitude") == "42.904823"
    assert page.input_value("#id_longitude") == "129.513312"
    assert "误差约 12 米" in page.locator(".location-status").inner_text()
    page.select_option("#id_met", "head")
    page.fill("#id_findings", "老人腿脚不便，希望社区帮忙买药")
    page.check("#id_needs_follow_up")
    print(screenshot(page, "phone-visit-form-filled"))
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/archives/visit/(\?.*)?$"))

    row = page.locator("#result_list tbody tr").first
    text = row.inner_text()
    assert "户主本人" in text and "老人腿脚不便" in text
    assert row.locator(".field-needs_follow_up img[alt=True]").count() == 1
    print(screenshot(page, "phone-visit-list"))
    visit = Visit.objects.get()
    assert (visit.met, visit.needs_follow_up) == ("head", True)
    assert str(visit.latitude) == "42.904823"
    page.goto("/admin/")
    assert "独居老人 · 本月 1/2 次" in page.locator(".short-of-visits").inner_text()
    assert console == [], console


def test_the_campaign_forms_street_picker_speaks_chinese(logged_in, console, admin_user, two_grids):
    page = logged_in(admin_user)
    page.click("#content-main a[href='/admin/audits/auditcampaign/add/']")
    page.wait_for_url("**/audits/auditcampaign/add/")
    page.locator("#id_streets_from").wait_for(state="attached")
    picker = page.locator(".field-streets .selector")
    picker.wait_for()
    text = picker.inner_text()
    labels = " ".join(
        picker.locator("[title], [aria-label], a, button").evaluate_all(
            "els => els.map(e => [e.title, e.getAttribute('aria-label'), e.textContent].join(' '))"
        )
    )
    help_text = page.locator(".field-streets").inner_text()
    assert "全选" in text + labels and "全部移除" in text + labels, labels
    for english in ("Choose", "Remove", "Available", "Chosen", "selecting them"):
        assert english not in help_text + labels, (english, help_text, labels)
    print(screenshot(page, "campaign-form-street-picker"))
    assert console == [], console
