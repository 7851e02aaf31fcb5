import datetime as dt
import io

import pytest
import time_machine
from openpyxl import load_workbook

from exports.models import MonthlyReport, ReportDownload
from exports.selectors import month_figures
from tests.exports.test_selectors import DECEMBER

REPORT = "/admin/exports/monthlyreport/report/"


@pytest.fixture(autouse=True)
def _in_december():
    with time_machine.travel(DECEMBER, tick=False):
        yield


def test_a_street_official_opens_their_street_report_page(client, report_city):
    client.force_login(report_city["street"])
    response = client.get(REPORT)
    content = response.content.decode()
    assert response.status_code == 200
    assert "S1街道" in content and "S2街道" not in content and "全市" not in content
    assert "2026-11" in content  # last month by default
    assert "发布" in content


def test_another_street_or_the_city_is_not_found_for_a_street_official(client, report_city):
    client.force_login(report_city["street"])
    assert (
        client.get(REPORT, {"month": "2026-10", "street": report_city["s2"].pk}).status_code == 404
    )
    assert client.get(REPORT, {"month": "2026-10", "street": "city"}).status_code == 404
    download = REPORT + "download/"
    query = {"month": "2026-10", "street": report_city["s2"].pk, "format": "pdf"}
    assert client.get(download, query).status_code == 404
    assert not ReportDownload.objects.exists()


def test_a_download_is_the_workbook_and_is_logged(client, report_city):
    client.force_login(report_city["street"])
    response = client.get(
        REPORT + "download/",
        {"month": "2026-10", "street": report_city["s1"].pk, "format": "xlsx"},
    )
    assert response.status_code == 200
    assert "monthly-report-2026-10-S1-draft.xlsx" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert "汇总" in workbook.sheetnames
    assert ReportDownload.objects.get().user == report_city["street"]


def test_publishing_from_the_page_then_correcting(client, report_city):
    client.force_login(report_city["official"])
    response = client.post(
        REPORT + "publish/", {"month": "2026-10", "street": "city", "confirm": "yes"}
    )
    assert response.status_code == 302
    report = MonthlyReport.objects.get()
    page = client.get(REPORT, {"month": "2026-10", "street": "city"}).content.decode()
    assert "已发布：第 1 版" in page
    response = client.post(
        f"/admin/exports/monthlyreport/{report.pk}/correct/", {"reason": "补录走访"}
    )
    assert response.status_code == 302
    assert MonthlyReport.objects.get(version=2).correction_reason == "补录走访"


def test_the_action_asks_for_a_reason_then_corrects(client, report_city):
    client.force_login(report_city["official"])
    client.post(REPORT + "publish/", {"month": "2026-10", "street": "city", "confirm": "yes"})
    report = MonthlyReport.objects.get()
    changelist = "/admin/exports/monthlyreport/"
    data = {"action": "correct_selected", "_selected_action": [report.pk]}
    asked = client.post(changelist, data)
    assert asked.status_code == 200 and "原因" in asked.content.decode()
    assert MonthlyReport.objects.count() == 1
    blank = client.post(changelist, {**data, "reason": "  "}, follow=True)
    assert "说明更正原因" in blank.content.decode() and MonthlyReport.objects.count() == 1
    client.post(changelist, {**data, "reason": "抽查结果更新"})
    assert MonthlyReport.objects.filter(version=2, correction_reason="抽查结果更新").exists()


def test_a_department_cannot_publish_from_the_page(client, report_city):
    client.force_login(report_city["department"])
    response = client.post(
        REPORT + "publish/", {"month": "2026-10", "street": report_city["s2"].pk, "confirm": "yes"}
    )
    assert response.status_code == 404
    assert not MonthlyReport.objects.exists()


def test_the_report_page_shows_the_figures_of_every_grid_before_the_downloads(client, report_city):
    client.force_login(report_city["official"])
    page = client.get(REPORT, {"month": "2026-10", "street": "city"}).content.decode()
    assert page.index("青松网格") < page.index("下载 Excel")
    assert "刘晓彤" in page  # grid members by name
    assert "未抽查" in page  # a grid without an audit says so


def test_a_column_heading_sorts_the_grids_and_a_second_click_reverses(client, report_city):
    client.force_login(report_city["official"])
    figures = month_figures(dt.date(2026, 10, 1))
    scored = sorted((r for r in figures.grids if r.score is not None), key=lambda r: -r.score)
    expected = [f"{r.name}（{r.code}）" for r in scored]
    query = {"month": "2026-10", "street": "city", "sort": "score", "order": "desc"}
    page = client.get(REPORT, query).content.decode()
    positions = [page.index(name) for name in expected]
    assert positions == sorted(positions) and len(expected) >= 2
    assert "sort=score&amp;order=asc" in page  # the sorted heading now links to the reverse


def test_publishing_asks_to_confirm_and_shows_what_will_be_frozen(client, report_city):
    client.force_login(report_city["official"])
    asked = client.post(REPORT + "publish/", {"month": "2026-10", "street": "city"})
    content = asked.content.decode()
    assert asked.status_code == 200 and not MonthlyReport.objects.exists()
    assert "2026-10" in content and "全市" in content and "青松网格" in content
    assert 'name="confirm" value="yes"' in content
    client.post(REPORT + "publish/", {"month": "2026-10", "street": "city", "confirm": "yes"})
    assert MonthlyReport.objects.get().version == 1
