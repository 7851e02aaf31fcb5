import datetime as dt
import hashlib

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from archives.models import Department, Street
from archives.roles import DEPARTMENT_STAFF, MUNICIPAL_OFFICIAL, STREET_OFFICIAL
from exports.models import MonthlyReport, ReportDownload
from exports.services import (
    monthly_report_correct,
    monthly_report_download,
    monthly_report_publish,
)
from tests import factories
from tests.exports.month_city import OCTOBER, at, build_month_city
from tests.exports.test_selectors import DECEMBER


@pytest.fixture
def city(db):
    built = build_month_city()
    s1, s2 = Street.objects.get(code="S1"), Street.objects.get(code="S2")
    official = factories.make_user("official", role=MUNICIPAL_OFFICIAL)
    street_official = factories.make_user("street-s1", role=STREET_OFFICIAL)
    factories.grant(street_official, s1)
    department = Department.objects.create(code="D1", name="民政局")
    department.streets.add(s2)
    department_staff = factories.make_user("dept", role=DEPARTMENT_STAFF)
    factories.grant(department_staff, department)
    clerk = built.clerks["G1"]
    return {
        "s1": s1,
        "s2": s2,
        "official": official,
        "street": street_official,
        "department": department_staff,
        "clerk": clerk,
    }


@pytest.fixture(autouse=True)
def _in_december():
    with time_machine.travel(DECEMBER, tick=False):
        yield


def test_it_publishes_figures_and_files_with_their_checksums(city):
    report = monthly_report_publish(month=OCTOBER, street=city["s1"], actor=city["street"])
    assert (report.state, report.version, report.published_by) == (
        "published",
        1,
        city["street"],
    )
    assert [g["code"] for g in report.figures["grids"]] == ["G1", "G2"]
    assert report.figures["grids"][0]["score"] == 65.0
    for fmt in ("xlsx", "pdf"):
        content = getattr(report, fmt).read()
        assert hashlib.sha256(content).hexdigest() == getattr(report, f"{fmt}_sha256")


def test_a_published_report_is_never_recomputed(city):
    monthly_report_publish(month=OCTOBER, street=None, actor=city["official"])
    stored = MonthlyReport.objects.get().pdf.read()
    # A resident added to October afterwards (a late entry) changes the history...
    with time_machine.travel(at(10, 30), tick=False):
        factories.make_resident(grid=factories.make_grid(code="G9", street_code="S1"))
    _name, content = monthly_report_download(
        month=OCTOBER, street=None, file_format="pdf", actor=city["official"]
    )
    assert content == stored  # ...but not the published file
    with pytest.raises(ValidationError, match="已发布"):
        monthly_report_publish(month=OCTOBER, street=None, actor=city["official"])


def test_a_correction_is_a_new_version_that_names_the_old_and_says_why(city):
    first = monthly_report_publish(month=OCTOBER, street=None, actor=city["official"])
    with pytest.raises(ValidationError):
        monthly_report_correct(report=first, reason=" ", actor=city["official"])
    second = monthly_report_correct(report=first, reason="补录十月走访", actor=city["official"])
    assert (second.version, second.corrects, second.correction_reason) == (2, first, "补录十月走访")
    first.refresh_from_db()
    assert first.state == "published" and first.pdf_sha256  # the old version stays as it was
    name, _content = monthly_report_download(
        month=OCTOBER, street=None, file_format="xlsx", actor=city["official"]
    )
    assert name == "monthly-report-2026-10-city-v2.xlsx"


def test_a_month_not_yet_ended_cannot_be_published(city):
    with pytest.raises(ValidationError):
        monthly_report_publish(month=dt.date(2026, 12, 1), street=None, actor=city["official"])


def test_every_download_is_logged_drafts_too(city):
    name, content = monthly_report_download(
        month=OCTOBER, street=city["s1"], file_format="xlsx", actor=city["street"]
    )
    assert name == "monthly-report-2026-10-S1-draft.xlsx"
    log = ReportDownload.objects.get()
    assert (log.user, log.street, log.report, log.file_format) == (
        city["street"],
        city["s1"],
        None,
        "xlsx",
    )
    assert log.sha256 == hashlib.sha256(content).hexdigest()


def test_a_street_official_gets_only_their_street(city):
    with pytest.raises(PermissionDenied):
        monthly_report_download(
            month=OCTOBER, street=city["s2"], file_format="pdf", actor=city["street"]
        )
    with pytest.raises(PermissionDenied):
        monthly_report_download(month=OCTOBER, street=None, file_format="pdf", actor=city["street"])
    with pytest.raises(PermissionDenied):
        monthly_report_publish(month=OCTOBER, street=city["s2"], actor=city["street"])
    assert not ReportDownload.objects.exists()


def test_a_department_may_download_its_streets_but_not_publish(city):
    monthly_report_download(
        month=OCTOBER, street=city["s2"], file_format="pdf", actor=city["department"]
    )
    with pytest.raises(PermissionDenied):
        monthly_report_download(
            month=OCTOBER, street=city["s1"], file_format="pdf", actor=city["department"]
        )
    with pytest.raises(PermissionDenied):
        monthly_report_publish(month=OCTOBER, street=city["s2"], actor=city["department"])


def test_a_grid_member_gets_no_report(city):
    with pytest.raises(PermissionDenied):
        monthly_report_download(
            month=OCTOBER, street=city["s1"], file_format="pdf", actor=city["clerk"]
        )
