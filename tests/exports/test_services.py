import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from exports.models import MonthlyReport, ReportDownload
from exports.selectors import default_report_street
from exports.services import (
    monthly_report_correct,
    monthly_report_download,
    monthly_report_publish,
    monthly_report_publish_refusal,
)
from tests import factories
from tests.exports.month_city import OCTOBER, at
from tests.exports.test_selectors import DECEMBER


@pytest.fixture(autouse=True)
def _in_december():
    with time_machine.travel(DECEMBER, tick=False):
        yield


def test_it_publishes_figures_and_files_with_their_checksums(report_city):
    report = monthly_report_publish(
        month=OCTOBER, street=report_city["s1"], actor=report_city["street"]
    )
    assert (report.state, report.version, report.published_by) == (
        "published",
        1,
        report_city["street"],
    )
    assert [g["code"] for g in report.figures["grids"]] == ["G1", "G2"]
    assert report.figures["grids"][0]["score"] == 65.0
    for fmt in ("xlsx", "pdf"):
        content = getattr(report, fmt).read()
        assert hashlib.sha256(content).hexdigest() == getattr(report, f"{fmt}_sha256")


def test_a_published_report_is_never_recomputed(report_city):
    monthly_report_publish(month=OCTOBER, street=None, actor=report_city["official"])
    stored = MonthlyReport.objects.get().pdf.read()
    # A resident added to October afterwards (a late entry) changes the history...
    with time_machine.travel(at(10, 30), tick=False):
        factories.make_resident(grid=factories.make_grid(code="G9", street_code="S1"))
    _name, content = monthly_report_download(
        month=OCTOBER, street=None, file_format="pdf", actor=report_city["official"]
    )
    assert content == stored  # ...but not the published file
    with pytest.raises(ValidationError, match="已发布"):
        monthly_report_publish(month=OCTOBER, street=None, actor=report_city["official"])


def test_a_correction_is_a_new_version_that_names_the_old_and_says_why(report_city):
    first = monthly_report_publish(month=OCTOBER, street=None, actor=report_city["official"])
    with pytest.raises(ValidationError):
        monthly_report_correct(report=first, reason=" ", actor=report_city["official"])
    second = monthly_report_correct(
        report=first, reason="补录十月走访", actor=report_city["official"]
    )
    assert (second.version, second.corrects, second.correction_reason) == (2, first, "补录十月走访")
    first.refresh_from_db()
    assert first.state == "published" and first.pdf_sha256  # the old version stays as it was
    name, _content = monthly_report_download(
        month=OCTOBER, street=None, file_format="xlsx", actor=report_city["official"]
    )
    assert name == "monthly-report-2026-10-city-v2.xlsx"


def test_a_month_not_yet_ended_cannot_be_published(report_city):
    with pytest.raises(ValidationError):
        monthly_report_publish(
            month=dt.date(2026, 12, 1), street=None, actor=report_city["official"]
        )


def test_the_refusal_the_page_asks_is_the_one_publishing_raises(report_city):
    def refusal(month: dt.date, street_key: str | None, actor_key: str):
        street = report_city[street_key] if street_key else None
        return monthly_report_publish_refusal(
            month=month, street=street, actor=report_city[actor_key]
        )

    assert refusal(OCTOBER, "s1", "street") is None
    assert isinstance(refusal(OCTOBER, None, "street"), PermissionDenied)
    assert isinstance(refusal(OCTOBER, "s2", "department"), PermissionDenied)
    assert isinstance(refusal(dt.date(2026, 12, 1), None, "official"), ValidationError)
    with pytest.raises(PermissionDenied):
        monthly_report_publish(month=OCTOBER, street=None, actor=report_city["street"])


def test_a_report_opens_on_the_city_or_else_the_users_first_street(report_city):
    assert default_report_street(report_city["official"]) is None
    assert default_report_street(report_city["street"]) == report_city["s1"]
    assert default_report_street(report_city["department"]) == report_city["s2"]
    assert default_report_street(report_city["clerk"]) is None


def test_every_download_is_logged_drafts_too(report_city):
    name, content = monthly_report_download(
        month=OCTOBER,
        street=report_city["s1"],
        file_format="xlsx",
        actor=report_city["street"],
    )
    assert name == "monthly-report-2026-10-S1-draft.xlsx"
    log = ReportDownload.objects.get()
    assert (log.user, log.street, log.report, log.file_format) == (
        report_city["street"],
        report_city["s1"],
        None,
        "xlsx",
    )
    assert log.sha256 == hashlib.sha256(content).hexdigest()


def test_a_street_official_gets_only_their_street(report_city):
    with pytest.raises(PermissionDenied):
        monthly_report_download(
            month=OCTOBER,
            street=report_city["s2"],
            file_format="pdf",
            actor=report_city["street"],
        )
    with pytest.raises(PermissionDenied):
        monthly_report_download(
            month=OCTOBER, street=None, file_format="pdf", actor=report_city["street"]
        )
    with pytest.raises(PermissionDenied):
        monthly_report_publish(month=OCTOBER, street=report_city["s2"], actor=report_city["street"])
    assert not ReportDownload.objects.exists()


def test_a_department_may_download_its_streets_but_not_publish(report_city):
    monthly_report_download(
        month=OCTOBER,
        street=report_city["s2"],
        file_format="pdf",
        actor=report_city["department"],
    )
    with pytest.raises(PermissionDenied):
        monthly_report_download(
            month=OCTOBER,
            street=report_city["s1"],
            file_format="pdf",
            actor=report_city["department"],
        )
    with pytest.raises(PermissionDenied):
        monthly_report_publish(
            month=OCTOBER, street=report_city["s2"], actor=report_city["department"]
        )


def test_a_grid_member_gets_no_report(report_city):
    with pytest.raises(PermissionDenied):
        monthly_report_download(
            month=OCTOBER,
            street=report_city["s1"],
            file_format="pdf",
            actor=report_city["clerk"],
        )
