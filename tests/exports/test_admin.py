import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse
from guardian.shortcuts import remove_perm
from openpyxl import load_workbook

from exports.models import MonthlyReport, ReportDownload
from exports.selectors import month_figures
from jobs.models import Job
from tests.exports.test_selectors import DECEMBER
from tests.job_steps import followed, job_file, jobs_held, run_held

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
    assert client.post(download, query).status_code == 404
    assert client.get(download, query).status_code == 404
    assert not ReportDownload.objects.exists()


def test_a_download_is_the_workbook_and_is_logged(client, report_city):
    client.force_login(report_city["street"])
    response = client.post(
        REPORT + "download/",
        {"month": "2026-10", "street": report_city["s1"].pk, "format": "xlsx"},
    )
    job, page = followed(client, response)
    assert "monthly-report-2026-10-S1-draft.xlsx" in page and "job-download" in page
    assert "返回报告" in page and f"street={report_city['s1'].pk}" in page
    disposition, content = job_file(client, job)
    assert "monthly-report-2026-10-S1-draft.xlsx" in disposition
    workbook = load_workbook(io.BytesIO(content))
    assert "汇总" in workbook.sheetnames
    assert ReportDownload.objects.get().user == report_city["street"]


def test_the_city_reports_pdf_is_made_by_a_job_and_offered_to_its_user_only(client, report_city):
    client.force_login(report_city["official"])
    query = {"month": "2026-10", "street": "city", "format": "pdf"}
    job, page = followed(client, client.post(REPORT + "download/", query))
    assert job.state == "done" and "monthly-report-2026-10-city-draft.pdf" in page
    assert job_file(client, job)[1].startswith(b"%PDF")
    client.force_login(report_city["street"])
    assert client.get(reverse("admin:jobs_job_progress", args=[job.pk])).status_code == 404
    assert client.get(reverse("admin:jobs_job_download", args=[job.pk])).status_code == 404


def test_a_download_whose_grant_went_before_the_job_ran_says_why_and_logs_nothing(
    client, report_city
):
    street_official = report_city["street"]
    client.force_login(street_official)
    query = {"month": "2026-10", "street": report_city["s1"].pk, "format": "xlsx"}
    with jobs_held():
        response = client.post(REPORT + "download/", query)
    remove_perm("archives.access_street", street_official, report_city["s1"])
    job = run_held(Job.objects.get())
    _, page = followed(client, response)
    assert job.state == "failed" and "job-download" not in page
    assert job.message in page and job.message
    assert not ReportDownload.objects.exists()


def test_publishing_from_the_page_then_correcting(client, report_city):
    client.force_login(report_city["official"])
    response = client.post(
        REPORT + "publish/", {"month": "2026-10", "street": "city", "confirm": "yes"}
    )
    job, job_page = followed(client, response)
    report = MonthlyReport.objects.get()
    assert job.state == "done" and f"已发布 {report}" in job_page
    assert "查看已发布的报告" in job_page and "street=city" in job_page
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


def test_publishing_again_fails_in_its_job_and_changes_nothing(client, report_city):
    client.force_login(report_city["official"])
    data = {"month": "2026-10", "street": "city", "confirm": "yes"}
    client.post(REPORT + "publish/", data)
    stored = list(MonthlyReport.objects.values())
    job, page = followed(client, client.post(REPORT + "publish/", data))
    assert job.state == "failed" and "已发布（第 1 版）" in page
    assert list(MonthlyReport.objects.values()) == stored


def test_a_publish_whose_user_lost_the_right_before_the_job_ran_is_refused(client, report_city):
    official = report_city["official"]
    client.force_login(official)
    data = {"month": "2026-10", "street": "city", "confirm": "yes"}
    with jobs_held():
        response = client.post(REPORT + "publish/", data)
    official.groups.clear()
    job = run_held(Job.objects.get())
    _, page = followed(client, response)
    assert job.state == "failed" and job.message in page
    assert not MonthlyReport.objects.exists()


def test_the_report_pages_downloads_and_publishing_are_forms_that_post(client, report_city):
    client.force_login(report_city["official"])
    page = client.get(REPORT, {"month": "2026-10", "street": "city"}).content.decode()
    for action in ("download/", "publish/"):
        assert f'<form method="post" action="{REPORT}{action}"' in page
        assert f'href="{REPORT}{action}' not in page  # no link a crawler could follow
    assert 'name="format" value="xlsx"' in page and 'name="format" value="pdf"' in page
    assert page.count("csrfmiddlewaretoken") >= 3  # the sign-out form's, and each of these


def test_a_get_of_a_download_or_publish_address_starts_nothing(client, report_city):
    """A crawler, a browser's prefetch or a reload of the address: a page with a button."""
    client.force_login(report_city["official"])
    query = {"month": "2026-10", "street": "city", "format": "pdf"}
    asked = client.get(REPORT + "download/", query)
    content = asked.content.decode()
    assert asked.status_code == 200
    assert "2026-10" in content and "全市" in content and "生成 PDF 文件" in content
    assert 'name="format" value="pdf"' in content and 'method="post"' in content
    published = client.get(REPORT + "publish/", {**query, "confirm": "yes"})
    assert published.status_code == 200
    assert 'name="confirm" value="yes"' in published.content.decode()  # asks to confirm
    assert not Job.objects.exists()
    assert not ReportDownload.objects.exists() and not MonthlyReport.objects.exists()

    job, page = followed(client, client.post(REPORT + "download/", query))
    assert job.state == "done" and "monthly-report-2026-10-city-draft.pdf" in page
