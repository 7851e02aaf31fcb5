import io

import pytest
import time_machine
from openpyxl import load_workbook

from exports.models import MonthlyReport, ReportDownload
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
    response = client.post(REPORT + "publish/", {"month": "2026-10", "street": "city"})
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
    client.post(REPORT + "publish/", {"month": "2026-10", "street": "city"})
    report = MonthlyReport.objects.get()
    changelist = "/admin/exports/monthlyreport/"
    data = {"action": "correct_selected", "_selected_action": [report.pk]}
    asked = client.post(changelist, data)
    assert asked.status_code == 200 and "原因" in asked.content.decode()
    assert MonthlyReport.objects.count() == 1
    client.post(changelist, {**data, "reason": "抽查结果更新"})
    assert MonthlyReport.objects.filter(version=2, correction_reason="抽查结果更新").exists()


def test_a_department_cannot_publish_from_the_page(client, report_city):
    client.force_login(report_city["department"])
    response = client.post(
        REPORT + "publish/", {"month": "2026-10", "street": report_city["s2"].pk}
    )
    assert response.status_code == 404
    assert not MonthlyReport.objects.exists()
