"""Each role's day, by clicking only: after signing in, every page is reached from the admin
index through the links and buttons on the pages (no typed URL), at 1366 px and at 390 px.

A walk fails on a page that answers 4xx or 5xx (a link that 404s), on a click that leads
nowhere (every click waits for the page it should open), on a console error and on a Content
Security Policy violation. Every page is saved under test-artifacts/screenshots/walk-*.png.
"""

import datetime as dt
import re
import shutil
import subprocess

import openpyxl
import pytest
from django.utils import timezone

from archives.models import Resident, SensitiveAccess, Visit
from audits.models import AuditCampaign
from exports.models import ReportDownload
from tests import factories
from tests.browser.conftest import PHONE, SCREENSHOTS, screenshot

pytestmark = pytest.mark.browser

WIDE = {"width": 1366, "height": 900}
VIEWPORTS = pytest.mark.parametrize("page", [WIDE, PHONE], indirect=True, ids=["1366", "390"])


class Walk:
    """A signed-in page that remembers every failed answer and numbers its screenshots."""

    def __init__(self, page, console, who: str):
        self.page = page
        self.console = console
        self.name = f"walk-{who}-{page.viewport_size['width']}"
        self.step = 0
        self.failed: list[str] = []
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.failed.append(f"{response.status} {response.url}")
            ),
        )
        for old in SCREENSHOTS.glob(f"{self.name}-*.png") if SCREENSHOTS.is_dir() else []:
            old.unlink(missing_ok=True)  # a shorter walk leaves no stale pages behind

    def shot(self, what: str) -> None:
        self.step += 1
        screenshot(self.page, f"{self.name}-{self.step:02d}-{what}")

    def click(self, target, url: str, what: str) -> None:
        """Click ``target`` (a selector or a locator) and wait for the page at ``url`` (a
        regular expression on the path, and on the query if it names one): a button that does
        nothing fails here."""
        locator = self.page.locator(target).first if isinstance(target, str) else target
        locator.click()
        self.page.wait_for_url(lambda at: re.search(url, at if r"\?" in url else at.split("?")[0]))
        self.page.wait_for_load_state()
        self.shot(what)

    def home(self) -> None:
        self.click(".breadcrumbs a >> nth=0", r"/admin/$", "index")

    def open_list(self, model: str, what: str) -> None:
        """From anywhere: the index, then the list's link in the index's list of pages."""
        self.home()
        self.click(f"#content-main a[href='/admin/{model}/']", rf"/admin/{model}/", what)

    def message(self) -> str:
        return self.page.locator(".messagelist").inner_text()

    def finish(self) -> None:
        assert self.failed == [], self.failed
        assert self.console.csp_violations() == []
        assert list(self.console) == [], list(self.console)


def signed_in(logged_in, console, user, who: str) -> Walk:
    page = logged_in(user)
    walk = Walk(page, console, who)
    walk.shot("index")
    return walk


def pdf_pages_as_png(pdf_path, name: str) -> None:
    """The PDF's first page as a PNG beside the screenshots, to look at as a reader would."""
    if shutil.which("pdftoppm"):
        target = SCREENSHOTS / name
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf_path), str(target)],
            check=True,
        )


# The clerk -----------------------------------------------------------------------------------


@VIEWPORTS
def test_a_clerks_day_by_clicking(logged_in, console, city, tmp_path):
    clerk = city.users["clerk"]
    resident = city.residents["GA1a"]
    household = resident.household
    factories.make_resident(household=household, name="居民金成哲", relation_to_head="spouse")
    walk = signed_in(logged_in, console, clerk, "clerk")
    page = walk.page

    # Search a resident and edit their phone with a reason.
    walk.click("#content-main a[href='/admin/archives/resident/']", r"/resident/$", "residents")
    page.fill("#searchbar", "居民GA1a")
    page.press("#searchbar", "Enter")
    page.wait_for_url(re.compile(r"/resident/\?q="))
    walk.shot("search")
    resident_link = f"#changelist a[href^='/admin/archives/resident/{resident.pk}/change/']"
    walk.click(resident_link, rf"/resident/{resident.pk}/change/$", "resident")
    page.fill("#id_phone", "13612345678")
    page.fill("#id_change_reason", "住户来电更新号码")
    walk.click("input[name=_save]", r"/resident/(\?.*)?$", "resident-saved")
    assert "成功修改了" in walk.message()

    # Mark the file verified: a button, not the save.
    walk.click(resident_link, rf"/resident/{resident.pk}/change/$", "resident-again")
    walk.click(".verify-button", rf"/resident/{resident.pk}/change/$", "resident-verified")
    assert "已标记为已核实" in walk.message()
    resident.refresh_from_db()
    assert resident.last_verified_by == clerk and resident.phone == "13612345678"

    # The history keeps both.
    walk.click(".object-tools a.historylink", rf"/resident/{resident.pk}/history/$", "history")
    history = page.locator("#change-history").inner_text()
    assert "住户来电更新号码" in history and "已核实" in history

    # The household page: its residents and visits; log a visit from it.
    walk.click(
        f".breadcrumbs a[href='/admin/archives/resident/{resident.pk}/change/']",
        rf"/resident/{resident.pk}/change/$",
        "resident-from-history",
    )
    walk.click(
        f".object-tools a[href='/admin/archives/household/{household.pk}/change/']",
        rf"/household/{household.pk}/change/$",
        "household",
    )
    residents = page.locator(".household-register").inner_text()
    assert "居民GA1a" in residents and "居民金成哲" in residents and "独居老人" in residents
    walk.click(".household-log-visit", r"/visit/add/\?household=", "visit-add")
    page.fill("#id_visited_at_0", "2026-11-20")
    page.fill("#id_visited_at_1", "09:30")
    page.fill("#id_note", "老人身体状况良好")
    walk.click("input[name=_save]", r"/visit/(\?.*)?$", "visit-saved")
    assert "老人身体状况良好" in page.locator("#result_list").inner_text()
    assert Visit.objects.filter(household=household, note="老人身体状况良好").exists()

    # The plan of their grid, from the dashboard; a square opens the household page.
    walk.home()
    walk.click(
        f".clerk-panel h3 a[href='/admin/archives/grid/{city.grids['GA1a'].pk}/plan/']",
        r"/grid/\d+/plan/$",
        "grid-plan",
    )
    walk.click(
        f"a.plan-square[data-household='{household.pk}']",
        rf"/household/{household.pk}/change/$",
        "household-from-plan",
    )
    assert "老人身体状况良好" in page.locator(".household-visits").inner_text()

    # Verify the household's residents from its page.
    walk.click(
        ".household-verify button", rf"/household/{household.pk}/change/$", "household-verified"
    )
    assert "2 份档案已标记为已核实" in walk.message()

    # The printable register: the print view (as on screen and as printed) and the PDF.
    walk.click(".household-print", rf"/household/{household.pk}/register/$", "register")
    page.emulate_media(media="print")
    walk.shot("register-printed")
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.locator(".household-print-page a[href$='register.pdf']").click()
    pdf = tmp_path / "register.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    pdf_pages_as_png(pdf, f"{walk.name}-register-pdf")
    assert SensitiveAccess.objects.filter(user=clerk, view="register").count() == 4

    # The import page opens from the resident list.
    walk.open_list("archives/resident", "residents-again")
    walk.click("a.import_link", r"/resident/import/$", "import")
    assert page.locator("input[type=file]").count() == 1
    walk.finish()


# The auditor ---------------------------------------------------------------------------------


@VIEWPORTS
def test_an_auditors_day_by_clicking(logged_in, console, city):
    auditor = city.users["auditor"]
    grid = city.grids["GB1a"]
    for n in range(2):
        factories.make_resident(grid=grid, name=f"抽查居民{n}", birth_date=dt.date(1960 + n, 5, 6))
    walk = signed_in(logged_in, console, auditor, "auditor")
    page = walk.page
    campaigns = r"/auditcampaign/(\?.*)?$"

    # Create a campaign over their street.
    walk.click("#content-main a[href='/admin/audits/auditcampaign/']", campaigns, "campaigns")
    walk.click(".object-tools a.addlink", r"/auditcampaign/add/$", "campaign-add")
    page.fill("#id_name", "十二月抽查")
    page.fill("#id_period", "2026-11-01")
    page.select_option("#id_streets_from", label="SB街道")
    page.click("#id_streets_add")
    page.select_option("#id_plan", "fixed")
    page.fill("#id_per_grid", "3")
    page.check(f"input[name=auditors][value='{auditor.pk}']")
    walk.shot("campaign-filled")
    walk.click("input[name=_save]", campaigns, "campaign-saved")
    campaign = AuditCampaign.objects.get(name="十二月抽查")
    campaign_page = rf"/auditcampaign/{campaign.pk}/change/$"

    # Draw.
    walk.click(
        f"#result_list a[href*='/auditcampaign/{campaign.pk}/change/']", campaign_page, "campaign"
    )
    walk.click(".object-tools a.audit-draw", rf"/auditcampaign/{campaign.pk}/draw/$", "draw")
    walk.click("input[type=submit]", r"/jobs/job/[-0-9a-f]+/progress/$", "draw-job")
    assert "已完成抽样" in page.locator(".job-summary").inner_text()
    walk.click("a.job-link", campaign_page, "drawn")
    items = list(campaign.items.order_by("pk"))
    assert len(items) == 3

    # Check two items, one after the other.
    walk.click(".object-tools a[href*='/audititem/?campaign=']", r"/audititem/\?campaign=", "items")
    walk.click(
        f"#result_list a[href*='/audititem/{items[0].pk}/change/']",
        rf"/audititem/{items[0].pk}/change/$",
        "item-1",
    )

    def check(item, button: str, then: str, what: str) -> None:
        page.check("input[name=found][value=yes]")
        for code in campaign.audited_fields:
            page.check(f"input[name=mark_{code}][value=correct]")
        page.check("input[name=satisfaction][value='5']")
        page.check("input[name=method][value=phone]")
        walk.click(f"input[name={button}]", then, what)

    check(items[0], "_next", rf"/audititem/{items[1].pk}/change/$", "item-2")
    check(items[1], "_next", rf"/audititem/{items[2].pk}/change/$", "item-3")

    # Closing now would leave one unchecked: the page says so and asks why. Go back instead.
    walk.open_list("audits/auditcampaign", "campaigns-again")
    walk.click(
        f"#result_list a[href*='/auditcampaign/{campaign.pk}/change/']",
        campaign_page,
        "campaign-in-progress",
    )
    walk.click(
        f".object-tools a[href='/admin/audits/auditcampaign/{campaign.pk}/close/']",
        rf"/auditcampaign/{campaign.pk}/close/$",
        "close-unfinished",
    )
    assert "3 项中有 1 项尚未检查" in page.locator(".audit-incomplete").inner_text()
    assert page.locator("textarea#id_reason[required]").count() == 1
    walk.click("a.cancel-link", campaign_page, "close-cancelled")

    # Check the last item, then close.
    walk.click(
        ".object-tools a[href*='/audititem/?campaign=']", r"/audititem/\?campaign=", "items-left"
    )
    walk.click(
        f"#result_list a[href*='/audititem/{items[2].pk}/change/']",
        rf"/audititem/{items[2].pk}/change/$",
        "item-3-again",
    )
    check(items[2], "_save", r"/audititem/\?campaign=", "all-checked")
    walk.open_list("audits/auditcampaign", "campaigns-checked")
    walk.click(
        f"#result_list a[href*='/auditcampaign/{campaign.pk}/change/']",
        campaign_page,
        "campaign-checked",
    )
    walk.click(
        f".object-tools a[href='/admin/audits/auditcampaign/{campaign.pk}/close/']",
        rf"/auditcampaign/{campaign.pk}/close/$",
        "close",
    )
    assert page.locator(".audit-incomplete").count() == 0
    walk.click("input[type=submit]", campaign_page, "closed")
    campaign.refresh_from_db()
    assert campaign.state == AuditCampaign.State.CLOSED

    # The results, and the draw verified.
    walk.click(
        f".object-tools a[href='/admin/audits/auditcampaign/{campaign.pk}/results/']",
        rf"/auditcampaign/{campaign.pk}/results/$",
        "results",
    )
    assert "100.0% (3/3" in page.locator("#content").inner_text()
    walk.click(
        f".breadcrumbs a[href='/admin/audits/auditcampaign/{campaign.pk}/change/']",
        campaign_page,
        "back",
    )
    walk.click(
        f".object-tools a[href='/admin/audits/auditcampaign/{campaign.pk}/verify/']",
        rf"/auditcampaign/{campaign.pk}/verify/$",
        "verify",
    )
    assert page.locator(".audit-verified").is_visible()
    walk.finish()


# Street and municipal officials --------------------------------------------------------------


@VIEWPORTS
@pytest.mark.parametrize("who", ["street", "official"])
def test_an_officials_day_by_clicking(logged_in, console, city, tmp_path, who):
    official = city.users[who]
    walk = signed_in(logged_in, console, official, who)
    page = walk.page
    assert page.locator(".official-panel figure.residents-chart svg rect").count() >= 1

    walk.click(
        "#content-main a[href='/admin/exports/monthlyreport/']", r"/monthlyreport/", "reports"
    )
    walk.click(".object-tools a.report-page", r"/monthlyreport/report/", "report-page")
    # The test city was built today: this month's report has its grids (last month's has none).
    page.fill("#id_month", timezone.localdate().strftime("%Y-%m"))
    walk.click(".report-choice input[type=submit]", r"\?month=", "report-this-month")
    files = {}
    for file_format in ("xlsx", "pdf"):
        # A job makes the file; its page offers it, and leads back to the report.
        walk.click(
            f".report-downloads button[value='{file_format}']",
            r"/jobs/job/[-0-9a-f]+/progress/$",
            f"report-job-{file_format}",
        )
        with page.expect_download() as download:
            page.locator("a.job-download").click()
        files[file_format] = tmp_path / download.value.suggested_filename
        download.value.save_as(files[file_format])
        walk.click("a.job-link", r"/monthlyreport/report/", f"report-again-{file_format}")
    book = openpyxl.load_workbook(files["xlsx"], read_only=True)
    cells = {cell for sheet in book.worksheets for row in sheet.values for cell in row}
    assert "GA1a网格" in cells
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    assert ReportDownload.objects.filter(user=official).count() == 2
    walk.finish()


# A department --------------------------------------------------------------------------------


@VIEWPORTS
def test_a_departments_day_by_clicking(logged_in, console, city):
    walk = signed_in(logged_in, console, city.users["department"], "department")
    page = walk.page
    served = city.residents["GA2a"]
    walk.click("#content-main a[href='/admin/archives/resident/']", r"/resident/$", "residents")
    listed = page.locator("#changelist").inner_text()
    assert served.name in listed and city.residents["GA1a"].name not in listed
    walk.click(
        f"#changelist a[href^='/admin/archives/resident/{served.pk}/change/']",
        rf"/resident/{served.pk}/change/$",
        "file",
    )
    content = page.locator("#content").inner_text()
    assert served.id_number not in content and "病史GA2a" in content  # masked; health shares
    assert page.locator(".verify-button").count() == 0
    assert Resident.objects.get(pk=served.pk).last_verified_at is None
    walk.finish()
