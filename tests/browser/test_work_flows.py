"""The portal's everyday work in a real browser, as each role does it; every page is saved as a
screenshot under test-artifacts/screenshots/ (printed at the end of each test)."""

import re

import openpyxl
import pytest
from django.utils import timezone

from archives.models import Household
from exports.models import ReportDownload
from portal.roles import AUDITOR, STREET_OFFICIAL
from tests import factories
from tests.browser.conftest import DESKTOP, PHONE, screenshot

pytestmark = pytest.mark.browser


def width_name(page) -> str:
    return "phone" if page.viewport_size["width"] <= PHONE["width"] else "desktop"


@pytest.mark.parametrize("page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_a_grid_member_opens_a_building_plan_and_a_household(logged_in, console, two_grids):
    grid = two_grids["grid"]
    building = factories.make_building(grid=grid, address="幸福路8号")
    for unit in (1, 2):
        for floor in range(1, 7):
            for room in (1, 2):
                Household.objects.create(
                    building=building,
                    unit=unit,
                    floor=floor,
                    room=f"{floor}0{room}",
                    status="vacant" if (floor + room) % 5 == 0 else "occupied",
                )
    target = Household.objects.get(building=building, unit=2, room="301")
    elderly = factories.make_resident(household=target, name="崔顺子")
    elderly.tags.add(factories.make_tag())
    page = logged_in(two_grids["clerk"])
    name = width_name(page)

    page.goto(f"/admin/archives/grid/{grid.pk}/plan/")
    screenshot(page, f"{name}-grid-plan")
    page.click(f"a[href='/admin/archives/building/{building.pk}/plan/']")
    page.wait_for_url(f"**/building/{building.pk}/plan/")
    square = page.locator(f"a.plan-square[data-household='{target.pk}']")
    assert "独居" in square.inner_text()
    print(screenshot(page, f"{name}-building-plan"))
    square.click()
    page.wait_for_url(f"**/archives/household/{target.pk}/change/")
    screenshot(page, f"{name}-household-from-plan")
    assert console.csp_violations() == []


def test_a_street_official_sees_the_dashboard_chart_rendered(logged_in, console, two_grids):
    official = factories.make_user("street-official", role=STREET_OFFICIAL)
    factories.grant(official, two_grids["grid"].community.street)
    for n in range(4):
        factories.make_resident(grid=two_grids["grid"], name=f"居民{n}")
    page = logged_in(official)
    chart = page.locator("figure.residents-chart svg")
    chart.wait_for()
    bar = chart.locator("rect").first
    box = bar.bounding_box()
    assert box is not None and box["height"] > 50  # drawn, not an empty element
    assert page.locator("figure.residents-chart text.value").first.text_content() == "5"
    assert page.locator("figure.accuracy-chart svg").is_visible()
    print(screenshot(page, "street-official-dashboard"))
    assert console.csp_violations() == []


def test_a_clerk_sees_their_dashboard(logged_in, console, two_grids):
    elderly = factories.make_tag()
    elderly.needs_visits_per_month = 2
    elderly.save()
    two_grids["resident"].tags.add(elderly)
    page = logged_in(two_grids["clerk"])
    assert page.locator(".short-of-visits li").count() == 1
    print(screenshot(page, "clerk-dashboard"))
    page.click(".short-of-visits a.log-visit")
    page.wait_for_url("**/archives/visit/add/?household=*")
    screenshot(page, "clerk-visit-from-dashboard")
    assert console.csp_violations() == []


@pytest.mark.parametrize("page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_a_clerk_searches_edits_a_phone_with_a_reason_and_sees_it_in_history(
    logged_in, console, two_grids
):
    resident = two_grids["resident"]
    page = logged_in(two_grids["clerk"])
    name = width_name(page)
    screenshot(page, f"{name}-clerk-index")

    page.goto("/admin/archives/resident/")
    page.fill("#searchbar", "金")  # a surname, as clerks search
    page.press("#searchbar", "Enter")
    page.wait_for_url("**/archives/resident/?q=*")
    screenshot(page, f"{name}-resident-search")
    # A name search lists by name, and the page says so under the search box.
    order_note = page.locator("#searchbar_helptext")
    assert order_note.is_visible() and "按姓名排列" in order_note.inner_text()
    page.click(f"#result_list a[href*='/archives/resident/{resident.pk}/change/']")
    page.wait_for_url(re.compile(f"/archives/resident/{resident.pk}/change/"))
    screenshot(page, f"{name}-resident-change")

    assert page.get_attribute("#id_phone", "inputmode") == "tel"  # a phone shows digits
    page.fill("#id_phone", "13612345678")
    page.fill("#id_change_reason", "住户来电更新号码")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/archives/resident/(\?.*)?$"))
    assert "成功修改了" in page.locator(".messagelist").inner_text()
    screenshot(page, f"{name}-resident-saved")

    page.goto(f"/admin/archives/resident/{resident.pk}/history/")
    history = page.locator("#content-main").inner_text()
    assert "住户来电更新号码" in history
    assert "13943321234" in history and "13612345678" in history
    print(screenshot(page, f"{name}-resident-history"))
    assert console.csp_violations() == []
    assert console == [], console


@pytest.mark.parametrize("page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_a_clerk_logs_a_visit_and_finds_it_in_the_visit_log(logged_in, console, two_grids):
    household = two_grids["resident"].household
    page = logged_in(two_grids["clerk"])
    name = width_name(page)
    page.goto(f"/admin/archives/visit/add/?household={household.pk}")
    screenshot(page, f"{name}-visit-add")
    page.fill("#id_visited_at_0", "2026-11-20")
    page.fill("#id_visited_at_1", "09:30")
    page.fill("#id_note", "老人身体状况良好")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/archives/visit/(\\?.*)?$"))
    assert "老人身体状况良好" in page.locator("#result_list").inner_text()
    print(screenshot(page, f"{name}-visit-log"))
    assert console.csp_violations() == []


def test_an_official_downloads_the_monthly_report(logged_in, console, two_grids, tmp_path):
    official = factories.make_user("official", role="municipal official")
    month = timezone.localdate().strftime("%Y-%m")
    page = logged_in(official)
    page.goto(f"/admin/exports/monthlyreport/report/?month={month}")
    print(screenshot(page, "official-monthly-report"))
    files = {}
    for file_format in ("xlsx", "pdf"):
        page.click(f".report-downloads button[value='{file_format}']")
        page.wait_for_url("**/jobs/job/*/progress/")  # a job makes the file
        with page.expect_download() as download_info:
            page.click("a.job-download")
        download = download_info.value
        assert download.suggested_filename.endswith(f".{file_format}")
        page.go_back()
        files[file_format] = tmp_path / download.suggested_filename
        download.save_as(files[file_format])

    book = openpyxl.load_workbook(files["xlsx"], read_only=True)
    cells = {cell for sheet in book.worksheets for row in sheet.values for cell in row}
    assert {two_grids["grid"].name, two_grids["other_grid"].name} <= cells
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    assert ReportDownload.objects.filter(user=official).count() == 2  # each download logged
    assert console.csp_violations() == []


def test_an_auditor_records_a_finding_from_their_dashboard(
    logged_in, console, two_grids, admin_user
):
    auditor = factories.make_user("auditor", role=AUDITOR)
    campaign = factories.make_drawn_campaign(
        street=two_grids["grid"].community.street, auditor=auditor, actor=admin_user
    )
    item = campaign.items.get()
    page = logged_in(auditor)
    screenshot(page, "auditor-dashboard")
    page.click(f".open-items a[href='/admin/audits/audititem/{item.pk}/change/']")
    page.wait_for_url(f"**/audits/audititem/{item.pk}/change/")
    page.check("input[name=found][value=yes]")
    for code in campaign.audited_fields:
        page.check(f"input[name=mark_{code}][value={'wrong' if code == 'phone' else 'correct'}]")
    page.fill("input[name=value_phone]", "13712345678")
    page.check("input[name=satisfaction][value='5']")
    page.check("input[name=method][value=phone]")
    screenshot(page, "auditor-check-form")
    page.click("input[name=_save]")
    page.wait_for_load_state()
    print(screenshot(page, "auditor-finding-recorded"))
    item.refresh_from_db()
    assert item.is_checked and item.found and item.satisfaction == 5
    assert item.findings.get(field="phone").mark == "wrong"
    assert console.csp_violations() == []


def test_the_language_switch_in_the_header_turns_the_admin_to_english(
    logged_in, console, two_grids
):
    page = logged_in(two_grids["clerk"])
    assert "我的网格" in page.locator("#content").inner_text()
    page.click("#user-tools form.language-switch button[value=en]")
    page.wait_for_load_state()
    assert "My grids" in page.locator("#content").inner_text()
    print(screenshot(page, "clerk-dashboard-english"))
    assert console.csp_violations() == []
