"""A micro-wish from posting to the love bank, clicked in Chromium from each person's index: the
community's staff post a wish with a photo; a volunteer on a phone (390 px) opens the board,
claims it, and marks it done with a note and a photo; the community confirms it; the love bank
shows the volunteer with the category's points. No URL is typed but the sign-in page."""

import io

import pytest
from PIL import Image

from tests.browser.conftest import DESKTOP, PHONE, log_in, screenshot
from tests.wishes.admin_city import wish_city_fixture  # noqa: F401  (the fixture)
from wishes.models import Claim, ClaimState, Wish, WishState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def photo_file(tmp_path, name: str, colour: tuple[int, int, int]) -> str:
    path = tmp_path / name
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def sign_in(page, user) -> None:
    """Another person picks up the device: the last one signs out through the header."""
    logout = page.locator("#logout-form button")
    if logout.count():
        with page.expect_navigation():
            logout.click()
    page.context.clear_cookies()
    log_in(page, user.get_username())
    page.wait_for_url("**/admin/")


def take_step(page, action: str) -> None:
    with page.expect_navigation():
        page.click(f'button.wish-step[value="{action}"]')
    page.wait_for_selector(".messagelist .success")


@pytest.mark.parametrize("page", [PHONE], indirect=True, ids=["phone"])
def test_a_wish_goes_from_posting_to_the_love_bank_by_clicks(
    page,
    wish_city,
    console,
    tmp_path,
):
    city = wish_city

    # The community's staff post a wish with a photo, from the index.
    sign_in(page, city.staff)
    page.click("#content-main a[href='/admin/wishes/wish/']")
    page.wait_for_url("**/admin/wishes/wish/")
    page.click(".object-tools a.addlink")
    page.wait_for_url("**/admin/wishes/wish/add/")
    page.fill("#id_title", "清理3号楼后小路的杂草")
    page.fill("#id_description", "小路长满杂草，独居老人晚上出门容易绊倒")
    page.select_option("#id_category", str(city.category.pk))
    page.fill("#id_place", "3号楼后小路")
    page.fill("#id_wanted_by", "2099-06-30")
    # The resident, through the archive's autocomplete (only the residents of one's area).
    page.click(".field-resident .select2-selection")
    page.fill(".select2-search__field", city.resident.name[:2])
    page.click(f".select2-results__option:has-text('{city.resident.name}')")
    page.set_input_files("#id_photos", photo_file(tmp_path, "weeds.jpg", (90, 140, 60)))
    screenshot(page, "wish-walk-1-post")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    wish = Wish.objects.get()
    assert page.url.endswith(f"/admin/wishes/wish/{wish.pk}/change/")
    assert wish.photos.count() == 1 and wish.resident == city.resident

    # A volunteer on a phone opens the board from the index and claims it.
    sign_in(page, city.volunteer)
    screenshot(page, "wish-walk-2-volunteer-index-phone")
    page.click("#content-main a[href='/admin/wishes/wish/board/']")
    page.wait_for_url("**/admin/wishes/wish/board/")
    card = page.locator(f"#wish-{wish.pk}")
    assert card.is_visible()
    assert card.locator("img").count() == 1
    # The resident's given name only: the contact goes through the community.
    assert card.locator(".wish-card-resident").inner_text() == "秀英"
    assert city.resident.name not in page.content()
    page.wait_for_load_state("networkidle")
    screenshot(page, "wish-walk-2-board-phone")
    with page.expect_navigation():
        card.locator('button.wish-step[value="claim"]').click()
    page.wait_for_selector(".messagelist .success")
    assert page.url.endswith(f"/admin/wishes/wish/{wish.pk}/change/")

    # It is done: a note and a photo.
    page.fill("#id_fulfil_note", "杂草已全部清除，路面也扫干净了")
    page.set_input_files("#id_fulfil_photos", photo_file(tmp_path, "clean.jpg", (200, 200, 180)))
    take_step(page, "fulfil")
    assert page.locator(".wish-state-done").first.is_visible()
    page.wait_for_load_state("networkidle")
    screenshot(page, "wish-walk-3-done-phone")

    # The community finds it on its dashboard and confirms it.
    sign_in(page, city.staff)
    with page.expect_navigation():
        page.click(f".wishes-to-confirm a[href='/admin/wishes/wish/{wish.pk}/change/']")
    page.wait_for_load_state("networkidle")
    screenshot(page, "wish-walk-4-wish-page")
    take_step(page, "confirm")
    assert page.locator(".wish-state-fulfilled").first.is_visible()
    assert page.locator("button.wish-step").count() == 0

    # The love bank shows the volunteer with the category's points.
    page.click(".breadcrumbs a[href='/admin/']")
    page.wait_for_url("**/admin/")
    page.click(".wishes-love-bank-link")
    page.wait_for_url("**/admin/wishes/wish/love-bank/")
    row = page.locator(".wish-ranking-people-month tbody tr").first
    assert "张伟" in row.inner_text() and str(city.category.points) in row.inner_text()
    screenshot(page, "wish-walk-5-love-bank")

    claim = Claim.objects.get()
    wish.refresh_from_db()
    assert wish.state == WishState.FULFILLED
    assert claim.state == ClaimState.CONFIRMED and claim.points == city.category.points
    assert claim.photos.count() == 1
    assert console.csp_violations() == []


@pytest.mark.parametrize("page", [DESKTOP], indirect=True, ids=["desktop"])
def test_the_wish_page_on_a_desktop(page, wish_city, tmp_path):
    """A screenshot of a wish's page for community staff, with the edit form opened."""
    wish = wish_city.post(title="给独居老人讲防诈骗", resident=wish_city.resident)
    sign_in(page, wish_city.staff)
    page.click("#content-main a[href='/admin/wishes/wish/']")
    page.click(f"a[href='/admin/wishes/wish/{wish.pk}/change/']")
    page.wait_for_url(f"**/admin/wishes/wish/{wish.pk}/change/")
    page.click(".wish-step-form-edit summary")
    assert page.locator("#id_edit_title").is_visible()
    screenshot(page, "wish-page-desktop")
