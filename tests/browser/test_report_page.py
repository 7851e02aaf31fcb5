"""A street official's monthly report, by clicking only: from the admin index to the report
page, its figures, both downloads and publishing after a confirmation (each through its job's
page). Screenshots of each page go to test-artifacts/screenshots/."""

import datetime as dt

import openpyxl
import pytest
import time_machine
from django.utils import timezone

from exports.models import MonthlyReport, ReportDownload
from portal.roles import MUNICIPAL_OFFICIAL, STREET_OFFICIAL
from tests import factories
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def last_months_street(db):
    """A street whose grid had residents last month (history dated then), and its official."""
    first_of_month = timezone.localdate().replace(day=1)
    last_month = (first_of_month - dt.timedelta(days=1)).replace(day=10)
    moment = dt.datetime.combine(last_month, dt.time(10), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(moment, tick=False):
        grid = factories.make_grid(code="G1", street_code="S1")
        for n in range(3):
            factories.make_resident(grid=grid, name=f"居民{n}")
    official = factories.make_user("street-official", role=STREET_OFFICIAL)
    official.first_name = "张志强"
    official.save()
    factories.grant(official, grid.community.street)
    return {"grid": grid, "official": official, "month": last_month.replace(day=1)}


def test_a_street_official_reads_downloads_and_publishes_last_months_report(
    logged_in, console, last_months_street, tmp_path
):
    grid, official = last_months_street["grid"], last_months_street["official"]
    page = logged_in(official)
    page.click("#content-main a:text-is('月度考核报告')")
    page.wait_for_url("**/exports/monthlyreport/")
    page.click("a.report-page")
    page.wait_for_url("**/exports/monthlyreport/report/**")

    # The figures first: one row for the grid, its residents counted, then the downloads.
    row = page.locator(".report-summary tbody tr", has_text=grid.name)
    assert row.count() == 1 and "3" in row.inner_text().split()
    print(screenshot(page, "street-official-report-page"))
    heading = page.locator(".report-summary thead a", has_text="得分")
    heading.click()
    page.wait_for_url("**sort=score**")
    assert page.locator(".report-summary th[aria-sort]").count() == 1

    # Each file is made by a job: its page, then the file it offers, then back to the report.
    files = {}
    for file_format in ("xlsx", "pdf"):
        page.click(f".report-downloads button[value='{file_format}']")
        page.wait_for_url("**/jobs/job/*/progress/")
        assert "monthly-report-" in page.locator(".job-summary").inner_text()
        print(screenshot(page, f"street-official-report-job-{file_format}"))
        with page.expect_download() as download_info:
            page.click("a.job-download")
        download = download_info.value
        files[file_format] = tmp_path / download.suggested_filename
        download.save_as(files[file_format])
        page.click("a.job-link")
        page.wait_for_url("**/exports/monthlyreport/report/**")
    book = openpyxl.load_workbook(files["xlsx"], read_only=True)
    assert grid.name in {cell for row in book["汇总"].values for cell in row}
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    assert ReportDownload.objects.filter(user=official).count() == 2

    # Publishing shows what will be frozen and waits for a second click.
    page.click(".report-publish button")
    page.wait_for_url("**/report/publish/**")
    assert page.locator(".report-facts").inner_text().count(grid.community.street.name) == 1
    assert page.locator(".report-summary tbody tr", has_text=grid.name).count() == 1
    assert not MonthlyReport.objects.exists()
    print(screenshot(page, "street-official-publish-confirm"))
    page.click(".publish-confirm input[type=submit]")
    page.wait_for_url("**/jobs/job/*/progress/")
    assert "已发布" in page.locator(".job-summary").inner_text()
    print(screenshot(page, "street-official-publish-job"))
    page.click("a.job-link")
    page.wait_for_url("**/exports/monthlyreport/report/**")
    assert "已发布：第 1 版" in page.locator(".report-state").inner_text()
    assert "张志强" in page.locator(".report-state").inner_text()  # a name, not a login
    print(screenshot(page, "street-official-report-published"))
    report = MonthlyReport.objects.get()
    assert (report.month, report.street, report.version) == (
        last_months_street["month"],
        grid.community.street,
        1,
    )
    assert console == []


@pytest.fixture
def patrolled_city(db):
    """November's patrol city (tests/exports/patrol_city.py) and a municipal official."""
    from tests.exports.patrol_city import NOVEMBER, OCTOBER, build_patrol_city

    with time_machine.travel(OCTOBER, tick=False):
        build_patrol_city()
    official = factories.make_user("city-official", role=MUNICIPAL_OFFICIAL)
    return {"official": official, "month": NOVEMBER}


def test_the_report_page_shows_each_grids_patrol_figures_and_sorts_by_them(
    logged_in, console, patrolled_city
):
    from exports.selectors import month_figures

    page = logged_in(patrolled_city["official"])
    page.click("#content-main a:text-is('月度考核报告')")
    page.click("a.report-page")
    page.wait_for_url("**/exports/monthlyreport/report/**")
    page.fill("#id_month", f"{patrolled_city['month']:%Y-%m}")
    page.click(".report-choice [type=submit]")
    headers = page.locator(".report-summary thead th").all_inner_texts()
    at = headers.index("巡查公里数")
    assert headers[at : at + 5] == [
        "巡查公里数",
        "楼栋覆盖率",
        "走访相符率",
        "得分",
        "街道内排名",
    ]
    page.click(".report-summary thead a:text-is('巡查公里数')")
    page.wait_for_url("**sort=patrol_km**")
    figures = month_figures(patrolled_city["month"])
    longest = max(figures.grids, key=lambda row: row.counts.patrol.distance_m)
    first = page.locator(".report-summary tbody tr").first.locator("th, td").all_inner_texts()
    assert first[1] == f"{longest.name}（{longest.code}）"
    assert first[at] == f"{longest.counts.patrol.distance_m / 1000:.2f}"
    print(screenshot(page, "report-page-patrol-figures"))
    assert not console
