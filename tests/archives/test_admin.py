"""The archive admin as its users meet it: every page renders, lists stay constant-query, bad
input is refused in words, and a clerk's pages hold only their own grid."""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from archives.models import (
    Building,
    Department,
    ExportRecord,
    Household,
    HouseholdTag,
    Resident,
    SensitiveAccess,
    Visit,
)
from audits import services as audit_services
from audits.models import AuditCampaign, AuditItem
from events import services as event_services
from events.models import EventCategory, EventTimeLimit, WorkCalendarDay
from exports.models import MonthlyReport, ReportDownload
from jobs.models import Job
from patrols import services as patrol_services
from patrols.models import Patrol
from portal.roles import AUDITOR, VOLUNTEER
from tests import factories
from tests.wishes import factories as wish_factories
from wishes import services as wish_services
from wishes.models import Claim

pytestmark = pytest.mark.django_db

REGISTERED_MODELS = list(admin.site._registry)


@pytest.fixture
def one_of_each(two_grids, admin_user):
    resident = two_grids["resident"]
    resident.tags.add(factories.make_tag())
    Department.objects.create(code="health", name="卫健局", serves_whole_city=True)
    Visit.objects.create(
        grid_member=two_grids["clerk"],
        household=resident.household,
        visited_at=dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC),
    )
    SensitiveAccess.objects.create(
        user=admin_user, resident=resident, fields="id_number", view="file"
    )
    ExportRecord.objects.create(user=admin_user, model="resident", rows=1, file_format="csv")
    campaign = audit_services.audit_campaign_save(
        campaign=AuditCampaign(name="抽查", period=dt.date(2026, 11, 1), plan="fixed", per_grid=1),
        actor=admin_user,
        grids=[two_grids["grid"]],
        auditors=[factories.make_user("auditor-1", role=AUDITOR)],
    )
    audit_services.audit_campaign_draw(campaign=campaign, actor=admin_user)
    # Sign-in security: django-axes' records of logins and django-otp's devices.
    login = {"username": "root", "ip_address": "127.0.0.1", "user_agent": "test"}
    AccessAttempt.objects.create(**login, failures_since_start=1)
    AccessFailureLog.objects.create(**login)
    AccessLog.objects.create(**login)
    # Unconfirmed: a confirmed device would sign its owner out of an unverified session.
    TOTPDevice.objects.create(user=two_grids["clerk"], name="authenticator", confirmed=False)
    # Monthly reports: a published version (its files are not needed to list it) and a download.
    report = MonthlyReport.objects.create(month=dt.date(2026, 10, 1), state="published")
    ReportDownload.objects.create(
        user=admin_user, month=report.month, report=report, file_format="pdf", sha256="0" * 64
    )
    # A tracking app's device (patrols), issued to the grid's member.
    patrol_services.tracking_device_issue(actor=admin_user, member=two_grids["clerk"], name="手机")
    # A patrol round the grid's member walked (its points are not in the admin).
    patrol = patrol_services.patrol_start(actor=two_grids["clerk"], grid=two_grids["grid"])
    patrol_services.patrol_end(patrol=patrol, actor=two_grids["clerk"])
    # An event reported in the grid, its category with a time limit, and a holiday.
    category = EventCategory.objects.create(code="rubbish", name="建筑垃圾")
    EventTimeLimit.objects.create(
        category=category, urgency="normal", stage="accept", working_hours=4
    )
    event_services.event_report(
        actor=admin_user, category=category, grid=two_grids["grid"], description="楼道垃圾"
    )
    WorkCalendarDay.objects.create(date=dt.date(2026, 10, 1), is_workday=False, name="国庆节")
    # A micro-wish posted in the grid's community, claimed by an approved volunteer.
    community = two_grids["grid"].community
    volunteer = factories.make_user("volunteer-1", role=VOLUNTEER)
    wish_factories.make_claimer(volunteer, community=community)
    wish = wish_factories.post_wish(admin_user, community, wish_factories.make_category())
    wish_services.wish_claim(actor=volunteer, wish=wish)
    # A background job of the administrator's (a job is only ever its own user's).
    Job.objects.create(kind="archives.import", user=admin_user, title="导入 居民.xlsx")
    return two_grids


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_archive_model_is_in_the_admin():
    models = set(apps.get_app_config("archives").get_models())
    # Grants are managed on guardian's permission pages of the unit they are on, and history
    # tables on the history pages of the row they follow.
    grant_tables = {
        m for m in models if issubclass(m, UserObjectPermissionBase | GroupObjectPermissionBase)
    }
    history_tables = {m for m in models if m.__name__.startswith("Historical")}
    assert len(grant_tables) == 8
    assert len(history_tables) == 10  # nine models and the residents' tags
    # Derived rows, kept by the services and never edited: the tags kept on households.
    derived = {HouseholdTag}
    assert models - grant_tables - history_tables - derived <= set(REGISTERED_MODELS)


@pytest.mark.parametrize("model", REGISTERED_MODELS, ids=lambda m: m.__name__)
def test_admin_can_open_every_list_add_change_and_history_page(admin_client, one_of_each, model):
    obj = model._default_manager.first()
    assert obj is not None, f"the fixture has no {model.__name__}"
    # Nobody adds to the logs by hand; audit items come from a draw, monthly reports from
    # publishing, patrol rounds from a phone.
    read_only_log = model in (
        Patrol,
        MonthlyReport,
        ReportDownload,
        SensitiveAccess,
        ExportRecord,
        AuditItem,
        AccessAttempt,
        AccessFailureLog,
        AccessLog,
        Claim,  # claims are made on the board
        Job,  # jobs are started by the pages that need one
    )
    for url in (
        admin_url(model, "changelist"),
        *([] if read_only_log else [admin_url(model, "add")]),
        admin_url(model, "change", obj.pk),
        admin_url(model, "history", obj.pk),
    ):
        # A claim's page is its wish's page, where its steps are; a job's is its progress page.
        response = admin_client.get(url, follow=model in (Claim, Job))
        assert response.status_code == 200, url


def count_changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", [Resident, Household, Building, Visit], ids=lambda m: m.__name__)
def test_changelist_queries_do_not_grow_with_the_rows_on_the_page(admin_client, model):
    grid = factories.make_grid()
    tags = [factories.make_tag("a", "甲"), factories.make_tag("b", "乙")]
    visitor = factories.make_user("visitor")

    def add_rows(n: int) -> None:
        for _ in range(n):
            resident = factories.make_resident(grid=grid)
            resident.tags.set(tags)
            Visit.objects.create(
                grid_member=visitor,
                household=resident.household,
                visited_at=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
            )

    url = admin_url(model, "changelist")
    add_rows(3)
    few = count_changelist_queries(admin_client, url)
    add_rows(25)
    many = count_changelist_queries(admin_client, url)
    assert model._default_manager.count() >= 28
    assert many == few


def resident_form(household: Household, **overrides) -> dict:
    data = {
        "name": "崔英兰",
        "id_number": factories.id_number_for(dt.date(1950, 5, 1), "F"),
        "sex": "F",
        "birth_date": "1950-05-01",
        "ethnicity": "korean",
        "phone": "13943321234",
        "household": household.pk,
        "relation_to_head": "head",
        "residency_status": "registered",
        "medical_history": "",
    }
    data.update(overrides)
    return data


def test_admin_adds_a_resident_with_a_valid_form(admin_client, two_grids):
    household = two_grids["resident"].household
    response = admin_client.post(admin_url(Resident, "add"), resident_form(household))
    assert response.status_code == 302
    assert Resident.objects.filter(name="崔英兰", household=household).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"id_number": "110105194912310021"}, "id_number", ["check digit", "校验"]),
        ({"id_number": "22240519500230002X"}, "id_number", ["not a real date", "不是真实"]),
        ({"birth_date": "1950-05-02"}, "birth_date", ["1950-05-01"]),
        ({"sex": "M"}, "sex", ["ID number", "身份证"]),
        ({"phone": "1394332123"}, "phone", ["0433-3221234"]),
        ({"birth_date": "1950-02-30"}, "birth_date", ["date", "日期"]),
    ],
    ids=["check-digit", "impossible-id-date", "birth-date", "sex", "phone", "impossible-date"],
)
def test_bad_input_gets_a_field_error_and_saves_nothing(
    admin_client, two_grids, overrides, field, words
):
    before = Resident.objects.count()
    response = admin_client.post(
        admin_url(Resident, "add"), resident_form(two_grids["resident"].household, **overrides)
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors, errors
    assert any(word in " ".join(errors[field]) for word in words), errors[field]
    assert Resident.objects.count() == before


def test_a_second_active_resident_with_the_same_id_number_is_refused(admin_client, two_grids):
    existing = two_grids["resident"]
    form = resident_form(
        existing.household,
        id_number=existing.id_number,
        birth_date=existing.birth_date.isoformat(),
        sex=existing.sex,
    )
    response = admin_client.post(admin_url(Resident, "add"), form)
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert Resident.objects.filter(id_number=existing.id_number).count() == 1


@pytest.mark.parametrize(
    "query", ["金顺", "lookup-id", "3321234"], ids=["name-part", "whole-id", "phone-digits"]
)
def test_admin_finds_a_resident_by_name_id_number_or_phone(admin_client, two_grids, query):
    resident = two_grids["resident"]
    query = resident.id_number if query == "lookup-id" else query
    response = admin_client.get(admin_url(Resident, "changelist"), {"q": query})
    names = [r.name for r in response.context["cl"].result_list]
    assert resident.name in names
    assert two_grids["other_resident"].name not in names


def test_clerk_lists_only_residents_of_their_own_grid(client, two_grids):
    client.force_login(two_grids["clerk"])
    response = client.get(admin_url(Resident, "changelist"))
    names = [r.name for r in response.context["cl"].result_list]
    assert names == [two_grids["resident"].name]


def test_clerk_cannot_open_a_resident_of_another_grid(client, two_grids):
    client.force_login(two_grids["clerk"])
    other = two_grids["other_resident"]
    response = client.get(admin_url(Resident, "change", other.pk), follow=True)
    assert other.id_number not in response.content.decode()
    assert other.name not in response.content.decode()


def test_a_forged_post_into_another_grids_household_changes_nothing(client, two_grids):
    client.force_login(two_grids["clerk"])
    foreign_household = two_grids["other_resident"].household
    before = Resident.objects.count()
    response = client.post(admin_url(Resident, "add"), resident_form(foreign_household))
    assert response.status_code == 200
    assert "household" in response.context["adminform"].form.errors
    assert Resident.objects.count() == before


def test_a_user_with_no_grants_sees_an_empty_list_not_an_error(client, two_grids):
    client.force_login(factories.make_user("nobody", role="street official"))
    response = client.get(admin_url(Resident, "changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_org_filters_cascade_from_street_to_community_to_grid(admin_client, two_grids):
    grid = two_grids["grid"]
    community = grid.community
    url = admin_url(Resident, "changelist")

    def offered(params: dict) -> set[str]:
        response = admin_client.get(url, params)
        return {
            choice["display"]
            for spec in response.context["cl"].filter_specs
            for choice in spec.choices(response.context["cl"])
        }

    assert community.street.name in offered({})
    assert community.name not in offered({})
    assert community.name in offered({"street": community.street_id})
    assert grid.name not in offered({"street": community.street_id})
    with_grids = offered({"street": community.street_id, "community": community.pk})
    assert grid.name in with_grids
    assert two_grids["other_grid"].name not in with_grids


def test_the_grid_filter_narrows_the_list(admin_client, two_grids):
    grid = two_grids["grid"]
    response = admin_client.get(
        admin_url(Resident, "changelist"),
        {"street": grid.community.street_id, "community": grid.community_id, "grid": grid.pk},
    )
    assert [r.name for r in response.context["cl"].result_list] == [two_grids["resident"].name]


def test_a_link_to_one_grid_filters_the_list_on_its_own(admin_client, two_grids):
    response = admin_client.get(admin_url(Resident, "changelist"), {"grid": two_grids["grid"].pk})
    assert [r.name for r in response.context["cl"].result_list] == [two_grids["resident"].name]


def test_a_department_added_on_its_page_keeps_its_tags_streets_and_reason(admin_client, two_grids):
    street = two_grids["grid"].community.street
    tag = factories.make_tag()
    response = admin_client.post(
        "/admin/archives/department/add/",
        {
            "code": "health",
            "name": "卫健局",
            "served_tags": [str(tag.pk)],
            "streets": [str(street.pk)],
            "change_reason": "新设部门",
        },
    )
    assert response.status_code == 302
    department = Department.objects.get(code="health")
    assert list(department.served_tags.all()) == [tag]
    assert list(department.streets.all()) == [street]
    assert department.history.get().history_change_reason == "新设部门"
