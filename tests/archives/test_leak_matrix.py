"""The leak matrix: every admin URL, for every role, with objects inside and outside its scope.

URLs come from the URL resolver, so a new endpoint is covered without editing this test; a URL
parameter the matrix does not know how to fill fails the test until it is taught. For each
account of ``tests/scoped_city.py``:

- no page it can open shows an object outside its scope, a full ID number it may not read, or
  a medical history it may not read (checked on the content, whatever the status code);
- a page about an object in scope opens and shows it; lists show every row in scope;
- a POST to any view that writes (add, change, delete, grant pages, changelist actions) about an
  object it may not change leaves the database exactly as it was, and a POST it may make works;
- autocomplete offers only rows the account may write into.
"""

import datetime as dt
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.forms import MultiWidget
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import formats
from django.utils.html import escape
from django.utils.http import urlencode

from archives import scope
from archives.models import (
    Building,
    Community,
    Department,
    Grid,
    Household,
    Resident,
    Street,
    Visit,
)
from audits import services as audit_services
from audits.models import AuditCampaign, AuditFieldFinding, AuditItem
from events.models import Event
from exports.models import MonthlyReport
from tests import factories, scoped_city
from wishes.models import Claimer, Wish

pytestmark = pytest.mark.django_db

SNAPSHOT_APPS = {
    "archives",
    "audits",
    "exports",
    "events",
    "wishes",
    "auth",
    "guardian",
    "admin",
}
# Appended to by every page that shows an unmasked value, refused POSTs that show a page again
# included: a record of reading, not a change the matrix looks for.
SNAPSHOT_SKIPPED = {"archives.SensitiveAccess", "exports.ReportDownload"}
WRITING_VIEWS = {
    "revert",
    "add",
    "change",
    "delete",
    "password_change",
    "permissions_manage_user",
    "permissions_manage_group",
    # audit campaigns and items (audits.admin)
    "draw",
    "cancel",
    "close",
    "correct",
    # 核实 on a resident's page and a household's (archives.admin); an audit draw's verify page
    # only reads
    "verify",
    # a step of an event's chain (events.admin.event_page)
    "step",
}
# Site pages that are about no object; logout would end the session the matrix runs in.
SKIPPED_SITE_PAGES = {"logout"}


# URLs from the resolver ----------------------------------------------------------------------


@dataclass(frozen=True)
class AdminRoute:
    route: str  # e.g. "archives/resident/<path:object_id>/change/"
    name: str | None  # e.g. "archives_resident_change"
    model: type | None  # the model the URL belongs to, if any
    view: str  # e.g. "change", or the site page's name

    @property
    def parameters(self) -> list[str]:
        return [a or b for a, b in re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", self.route)]

    def url(self, **values) -> str:
        missing = set(self.parameters) - set(values)
        assert not missing, f"the matrix cannot fill {missing} in {self.route}: teach it"
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), self.route)
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
        return "/admin/" + path.lstrip("^").rstrip("$")


def admin_routes() -> list[AdminRoute]:
    admin_resolver = next(
        p
        for p in get_resolver().url_patterns
        if isinstance(p, URLResolver) and p.namespace == "admin"
    )
    routes = []
    for route, name in _walk(admin_resolver, ""):
        model, view = None, name or ""
        for candidate in admin.site._registry:
            app_label, model_name = candidate._meta.app_label, candidate._meta.model_name
            if route.startswith(f"{app_label}/{model_name}/"):
                # unnamed: <object_id>/, which redirects to the change page
                model = candidate
                view = name.removeprefix(f"{app_label}_{model_name}_") if name else "object"
        routes.append(AdminRoute(route=route, name=name, model=model, view=view))
    return routes


def _walk(resolver: URLResolver, prefix: str) -> Iterator[tuple[str, str | None]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


ROUTES = admin_routes()


# What each object looks like on a page, and who may see it -----------------------------------


def grid_code(obj) -> str:
    path = scope.GRID_PATHS[type(obj)].split("__")
    for step in path:
        obj = getattr(obj, step)
    return obj.code


def marker(obj) -> str | None:
    """Text that appears wherever ``obj`` is shown."""
    if isinstance(obj, Resident):
        return obj.name
    if isinstance(obj, Building):
        return obj.address
    if isinstance(obj, Household):
        return obj.building.address
    if isinstance(obj, Visit):
        return obj.note
    if isinstance(obj, Street | Community | Grid | Department):
        return obj.name
    if isinstance(obj, Claimer | Wish):
        return obj.name if isinstance(obj, Claimer) else obj.title
    return None


#: Rows of higher apps walked one by one like the archive's (every row, not the first only).
WALKED_MODELS = (*scope.SCOPED_MODELS, Event, Claimer, Wish)


def sees(username: str, obj) -> bool:
    if type(obj) in scope.GRID_PATHS:
        return grid_code(obj) in scoped_city.archive_grids_seen(username, obj._meta.model_name)
    if isinstance(obj, Grid):
        return obj.code in scoped_city.grids_seen(username)
    if isinstance(obj, Community):
        return any(g.code in scoped_city.grids_seen(username) for g in obj.grids.all())
    if isinstance(obj, Street):
        return any(
            g.code in scoped_city.grids_seen(username)
            for g in Grid.objects.filter(community__street=obj)
        )
    if isinstance(obj, Department):
        return obj.code in scoped_city.departments_seen(username)
    if isinstance(obj, Claimer):
        if obj.user.username == username:
            return True  # one's own name
        return obj.community.code in scoped_city.claimers_seen(username)
    if isinstance(obj, Wish):
        return obj.community.code in scoped_city.wishes_seen(username)
    return obj._meta.model_name == "tag"  # tags are a shared list every role reads


def changes(username: str, obj) -> bool:
    return type(obj) in scope.GRID_PATHS and grid_code(obj) in scoped_city.grids_written(username)


def forbidden_texts(username: str) -> dict[str, str]:
    """Text that must not appear on any page the account sees, and why."""
    texts = {}
    sampled = audited_rows(username)
    for model in scope.SCOPED_MODELS:
        for obj in model.objects.all():
            if obj in sampled:
                continue  # the audit tool shows an auditor the files sampled for them
            if isinstance(obj, Department) and obj.code in scoped_city.event_departments_seen(
                username
            ):
                continue  # an event's page names the department it was transferred to
            if isinstance(obj, Community) and obj.code in scoped_city.wishes_seen(username):
                continue  # a wish's page names its community (claimers contact it, not the
                # resident)
            if not sees(username, obj) and (text := marker(obj)):
                texts[text] = f"{model.__name__} {obj.pk} outside scope"
    for model in (Claimer, Wish):
        for obj in model.objects.select_related("community"):
            if not sees(username, obj):
                texts[marker(obj)] = f"{model.__name__} {obj.pk} outside scope"
                if isinstance(obj, Claimer):
                    texts[obj.phone] = f"phone of claimer {obj.pk} outside scope"
    for resident in Resident.objects.select_related("household__building__grid"):
        if not scoped_city.reads_id_number(username, resident):
            texts[resident.id_number] = f"full ID number of {resident.name}"
            # The birth date is inside the ID number; both ends of it are shown masked.
            texts[formats.date_format(resident.birth_date)] = f"birth date of {resident.name}"
            texts[resident.birth_date.isoformat()] = f"birth date of {resident.name}"
        if not scoped_city.reads_medical_history(username, resident):
            texts[resident.medical_history] = f"medical history of {resident.name}"
    return texts


def audited_rows(username: str) -> set:
    """Residents sampled in campaigns the account audits, with their households and buildings
    (the file as drawn names the household)."""
    rows = set()
    items = AuditItem.objects.filter(campaign__auditors__username=username)
    for item in items.select_related("resident__household__building"):
        resident = item.resident
        rows |= {resident, resident.household, resident.household.building}
    return rows


def audit_setup(city) -> AuditCampaign:
    """A campaign over street SB, created and audited by the auditor (who keeps no grid there),
    drawn, with its one item checked and the phone found wrong: every audit page has something
    to show and every audit button something to do."""
    auditor = city.users["auditor"]
    campaign = audit_services.audit_campaign_save(
        campaign=AuditCampaign(
            name="matrix audit",
            period=dt.date(2026, 11, 1),
            plan=AuditCampaign.Plan.FIXED,
            per_grid=5,
        ),
        actor=auditor,
        streets=[city.streets["SB"]],
        auditors=[auditor],
    )
    audit_services.audit_campaign_draw(campaign=campaign, actor=auditor)
    marks = {code: audit_services.FieldMark("correct") for code in campaign.audited_fields}
    marks["phone"] = audit_services.FieldMark("wrong", "13912345678")
    audit_services.audit_item_record(
        item=campaign.items.get(),
        actor=auditor,
        found=True,
        marks=marks,
        satisfaction=4,
        method=AuditItem.Method.PHONE,
    )
    return campaign


def audit_post(username: str, view: str) -> tuple[dict, bool | None]:
    """What the matrix posts to an audit button, and whether it may work for ``username``.

    Only the auditor manages the matrix campaign (its scope is their street): cancelling or
    closing may work for them (whichever comes first ends the campaign, so the answer is
    checked only for leaks). Nobody may draw it again, and nobody in the matrix may change the
    resident of street SB, so nobody may correct it.
    """
    finding = AuditFieldFinding.objects.filter(mark="wrong").first()
    data = {"reason": "matrix", "finding": finding.pk if finding else 0}
    if view in ("cancel", "close") and username == "auditor":
        return data, None
    return data, False


def report_setup(city) -> None:
    """A published October report for each street and for the city, so that every report page
    has an object to show (files and figures left empty: the pages only name them)."""
    for street in [*city.streets.values(), None]:
        MonthlyReport.objects.create(
            month=dt.date(2026, 10, 1), street=street, state=MonthlyReport.State.PUBLISHED
        )


def report_post(username: str, report: MonthlyReport) -> tuple[dict, bool]:
    """A correction with a reason: only the municipal official (any scope) and the street
    official (their street SA) may publish one."""
    street_code = report.street.code if report.street_id else None
    allowed = username == "official" or (username == "street" and street_code == "SA")
    return {"reason": "matrix"}, allowed


# The database before and after ---------------------------------------------------------------


def snapshot() -> dict[str, list]:
    """Every row of the archive, auth, guardian and admin-log tables.

    Read with plain SELECTs: the matrix takes hundreds of these, and building each query through
    the ORM would cost most of the test's time.
    """
    state = {}
    with connection.cursor() as cursor:
        for label, sql in _snapshot_queries():
            cursor.execute(sql)
            state[label] = cursor.fetchall()
    return state


@functools.cache
def _snapshot_queries() -> list[tuple[str, str]]:
    quote = connection.ops.quote_name
    queries = []
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if model._meta.app_label in SNAPSHOT_APPS and not model._meta.proxy:
            if label in SNAPSHOT_SKIPPED:
                continue
            # Logging in stamps last_login; that is not a change the matrix looks for.
            columns = ", ".join(
                quote(f.column) for f in model._meta.concrete_fields if f.name != "last_login"
            )
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            queries.append((model._meta.label, f"SELECT {columns} FROM {table} ORDER BY {pk}"))
    return queries


# Form data an administrator would post -------------------------------------------------------


def form_data(model, obj, *, fresh: bool) -> dict:
    """What the admin form for ``obj`` posts, with one text changed; ``fresh`` also makes the
    unique fields new, so that posting it to the add page creates a second row."""
    superuser = get_user_model().objects.filter(is_superuser=True).get()
    request = RequestFactory().get("/")
    request.user = superuser
    model_admin = admin.site._registry[model]
    form = model_admin.get_form(request, obj)(instance=obj)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        widget = field.widget
        if isinstance(widget, RelatedFieldWidgetWrapper):
            widget = widget.widget
        if isinstance(widget, MultiWidget):
            for suffix, part in zip(widget.widgets_names, widget.decompress(value), strict=True):
                data[name + suffix] = "" if part is None else str(part)
        elif isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else str(value)
    for text_field in ("note", "address", "name"):
        if text_field in data:
            data[text_field] += "改"
            break
    if fresh:
        for unique_field in ("code", "room"):
            if unique_field in data:
                data[unique_field] += "9"
        if "address" in data and model is Building:
            data["address"] += "新"
        if model is Resident:
            birth_date = dt.date.fromisoformat(data["birth_date"])
            data["id_number"] = factories.id_number_for(birth_date, data["sex"])
    return data


# The matrix ----------------------------------------------------------------------------------


@dataclass
class Findings:
    problems: list[str]

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)


class Matrix:
    def __init__(self, city, username: str, client) -> None:
        self.city = city
        self.username = username
        self.user = city.users[username]
        self.client = client
        self.findings = Findings([])
        self.forbidden = forbidden_texts(username)
        self.other_user = city.users["nobody" if username != "nobody" else "clerk"]
        self.group = city.team

    def get(self, url: str):
        response = self.client.get(url)
        content = response.content.decode(errors="replace")
        for text, why in self.forbidden.items():
            self.findings.check(text not in content, f"GET {url} shows the {why}")
        return response, content

    def post(self, url: str, data: dict, *, allowed: bool | None, what: str) -> None:
        """POST and compare the database; ``allowed=None`` checks only the answer's content."""
        before = snapshot()
        response = self.client.post(url, data)
        after = snapshot()
        if allowed is None:
            pass
        elif allowed:
            self.findings.check(
                response.status_code == 302 and before != after,
                f"POST {url} ({what}) may be made but did not work: {response.status_code}",
            )
        else:
            changed = [label for label in before if before[label] != after[label]]
            self.findings.check(not changed, f"POST {url} ({what}) changed {changed}")
        content = response.content.decode(errors="replace")
        posted = " ".join(str(v) for v in data.values())
        for text, why in self.forbidden.items():
            # A form shown again with errors may echo what the user typed, and only that.
            self.findings.check(
                text not in content or text in posted, f"POST {url} answers with the {why}"
            )
        if allowed and response.status_code == 200:  # a form shown again: why?
            errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', content, re.S)
            self.findings.problems.append(f"POST {url} ({what}) form errors: {errors}")

    def run(self) -> list[str]:
        for route in ROUTES:
            if route.model is None:
                self.site_page(route)
            elif not route.parameters:
                self.model_page(route)
            else:
                objects = route.model._default_manager.order_by("pk")
                if route.model not in WALKED_MODELS:
                    objects = objects[:1]  # users, groups, tags: the same answer for every row
                for obj in objects:
                    self.object_page(route, obj)
        self.autocomplete()
        return self.findings.problems

    def site_page(self, route: AdminRoute) -> None:
        if route.view in SKIPPED_SITE_PAGES or route.name is None:
            return
        values = {
            "app_label": "archives",
            "content_type_id": 1,
            "object_id": self.city.residents["GB1a"].pk,
        }
        if route.view == "view_on_site":
            for resident in Resident.objects.all():
                ct = apps.get_model("contenttypes", "ContentType").objects.get_for_model(Resident)
                self.get(route.url(content_type_id=ct.pk, object_id=resident.pk))
            return
        self.get(route.url(**values))

    def model_page(self, route: AdminRoute) -> None:
        model = route.model
        url = route.url()
        response, content = self.get(url)
        if route.view == "changelist" and model in scope.SCOPED_MODELS:
            for obj in model._default_manager.all():
                if sees(self.username, obj):
                    self.findings.check(
                        response.status_code == 200 and marker(obj) in content,
                        f"{url} does not list {model.__name__} {obj.pk}, which is in scope",
                    )
            self.actions(route)
        if route.view == "changelist" and model is Claimer:
            for obj in model._default_manager.all():
                if obj.community.code in scoped_city.claimers_seen(self.username):
                    self.findings.check(
                        response.status_code == 200 and marker(obj) in content,
                        f"{url} does not list claimer {obj.pk}, which is in scope",
                    )
        if route.view == "export" and response.status_code == 200:
            self.exported_file(url, response)
        if route.view == "add" and model in scope.GRID_PATHS:
            for obj in model._default_manager.all():
                self.post(
                    url,
                    form_data(model, obj, fresh=True),
                    allowed=changes(self.username, obj),
                    what=f"a new {model.__name__} beside {obj.pk}",
                )

    def exported_file(self, url: str, response) -> None:
        """The file itself: the same rows and masking as the list."""
        form = response.context["form"]
        choice = next(i for i, label in form.fields["format"].choices if label == "csv")
        data = {"format": choice, "resource": 0}
        skip = ("format", "resource", "export_items")
        data.update({name: "on" for name in form.fields if name not in skip})
        content = self.client.post(url, data).content.decode("utf-8-sig", errors="replace")
        for text, why in self.forbidden.items():
            self.findings.check(text not in content, f"the file from {url} holds the {why}")

    def actions(self, route: AdminRoute) -> None:
        model = route.model
        request = RequestFactory().get("/")
        request.user = get_user_model().objects.filter(is_superuser=True).get()
        selected = [obj.pk for obj in model._default_manager.all()]
        for action in admin.site._registry[model].get_actions(request):
            rows = selected
            if action == "verify_selected":
                # Writers verify their own residents (tests/archives/test_verify.py); here,
                # every resident they may not change: none of those may change.
                rows = [obj.pk for obj in model._default_manager.all()
                        if not changes(self.username, obj)]  # fmt: skip
            self.post(
                route.url(),
                {"action": action, "_selected_action": rows, "post": "yes"},
                allowed=False,  # no role holds a bulk action on rows outside its writes
                what=f"action {action} on every {model.__name__}",
            )

    def object_page(self, route: AdminRoute, obj) -> None:
        model = route.model
        latest = obj.history.order_by("-history_id").first() if hasattr(obj, "history") else None
        values = {
            "history_id": latest.history_id if latest else 0,
            "id": obj.pk,
            "object_id": obj.pk,
            "object_pk": obj.pk,
            "pk": obj.pk,  # django-otp's device QR code page
            "user_id": self.other_user.pk,
            "group_id": self.group.pk,
            "action": "accept",  # an event's step (events.admin.event_page)
        }
        url = route.url(**values)
        response, content = self.get(url)
        visible = model in scope.SCOPED_MODELS and sees(self.username, obj)
        if route.view in ("change", "history") and visible:
            self.findings.check(
                response.status_code == 200 and escape(str(obj)) in content,
                f"{url} does not show {model.__name__} {obj.pk}, which is in scope",
            )
        if route.view == "change" and model is Event:
            shown = response.status_code == 200 and escape(str(obj)) in content
            self.findings.check(
                shown == (obj.grid.code in scoped_city.events_seen(self.username)),
                f"{url} answers {response.status_code} to {self.username}",
            )
        if route.view == "change" and model is Claimer:
            shown = response.status_code == 200 and escape(obj.name) in content
            self.findings.check(
                shown == (obj.community.code in scoped_city.claimers_seen(self.username)),
                f"{url} answers {response.status_code} to {self.username}",
            )
        if route.view == "change" and model is AuditItem:
            # The auditor sees their sample; the official the whole city; nobody else this item.
            shown = response.status_code == 200 and obj.resident.name in content
            self.findings.check(
                shown == (self.username in ("auditor", "official")),
                f"{url} answers {response.status_code} to {self.username}",
            )
        if route.view not in WRITING_VIEWS:
            return
        what = f"{route.view} {model.__name__} {obj.pk}"
        if route.view == "change" and model in scope.SCOPED_MODELS:
            data = form_data(model, obj, fresh=False)
            self.post(url, data, allowed=changes(self.username, obj), what=what)
        elif route.view == "revert":
            # Reverting to the latest version changes nothing even when allowed; that it works
            # is tested in test_history.py.
            allowed = None if changes(self.username, obj) else False
            self.post(url, {}, allowed=allowed, what=what)
        elif route.view == "delete":
            self.post(url, {"post": "yes"}, allowed=False, what=what)
        elif route.view.startswith("permissions_manage"):
            codename = scope.grant_codename(model)
            self.post(url, {"permissions": [codename]}, allowed=False, what=what)
        elif route.view == "correct" and model is MonthlyReport:
            data, allowed = report_post(self.username, obj)
            self.post(url, data, allowed=allowed, what=what)
        elif route.view == "verify" and model in (Resident, Household):
            ticked = (
                [obj.pk] if model is Resident else list(obj.residents.values_list("pk", flat=True))
            )
            self.post(url, {"resident": ticked}, allowed=changes(self.username, obj), what=what)
        elif route.view == "change" and model is Claimer:
            # Approving a sign-up: only its community's staff, only while it waits.
            decides = (self.username, obj.community.code) in scoped_city.CLAIMERS_DECIDED_BY
            # A decided claimer's page saves nothing but the admin's log entry.
            allowed = (obj.status == "pending") if decides else False
            allowed = None if decides and not allowed else allowed
            data = {"verify_phone": "on", "decision": "approve", "note": ""}
            self.post(url, data, allowed=allowed, what=what)
        elif route.view == "step" and model is Event:
            allowed = (self.username, obj.grid.code) in scoped_city.EVENT_ACCEPTED_BY
            self.post(url, {"seen_version": obj.version}, allowed=allowed, what=what)
        elif route.view in ("draw", "cancel", "close", "correct"):
            data, allowed = audit_post(self.username, route.view)
            self.post(url, data, allowed=allowed, what=what)
        elif route.view == "password_change":
            password = {"password1": "Xk2!pigeon-lamp", "password2": "Xk2!pigeon-lamp"}
            self.post(url, {**password, "usable_password": "true"}, allowed=False, what=what)
        else:
            self.post(url, {}, allowed=False, what=what)

    def autocomplete(self) -> None:
        for source_model, model_admin in admin.site._registry.items():
            for field_name in model_admin.autocomplete_fields:
                field = source_model._meta.get_field(field_name)
                target = field.related_model
                url = (
                    f"/admin/autocomplete/?app_label={source_model._meta.app_label}"
                    f"&model_name={source_model._meta.model_name}&field_name={field_name}"
                )
                response, content = self.get(url)
                if response.status_code != 200 or target not in scope.SCOPED_MODELS:
                    continue
                offered = {int(r["id"]) for r in json.loads(content)["results"]}
                may_write = self.user.has_perm(
                    scope.permission_name(source_model, "change")
                ) or self.user.has_perm(scope.permission_name(source_model, "add"))
                expected = {
                    obj.pk
                    for obj in target._default_manager.all()
                    if may_write and _writable_target(self.username, obj)
                }
                self.findings.check(
                    offered == expected,
                    f"{url} offers {sorted(offered)}, expected {sorted(expected)}",
                )


def _writable_target(username: str, obj) -> bool:
    if isinstance(obj, Grid):
        return obj.code in scoped_city.grids_written(username)
    return changes(username, obj)


@pytest.mark.parametrize("username", scoped_city.ACCOUNTS)
def test_no_admin_page_leaks_outside_scope(city, client, admin_user, username):
    audit_setup(city)
    report_setup(city)
    scoped_city.build_events(city)
    scoped_city.build_wishes(city)
    client.force_login(city.users[username])
    problems = Matrix(city, username, client).run()
    assert problems == [], "\n".join(problems)


def test_the_matrix_covers_every_kind_of_admin_page():
    views = {(route.model.__name__ if route.model else "site", route.view) for route in ROUTES}
    for model in (Resident, Household, Building, Visit, Street, Community, Grid, Department):
        for view in ("changelist", "add", "change", "delete", "history"):
            assert (model.__name__, view) in views
    for model in (Street, Community, Grid, Department):
        assert (model.__name__, "permissions_manage_user") in views
    assert ("site", "autocomplete") in views
    assert ("site", "index") in views  # the dashboards
    assert ("Building", "plan") in views and ("Grid", "plan") in views
    assert ("Event", "change") in views and ("Event", "step") in views
    assert ("Event", "long_open") in views
    assert ("Claimer", "changelist") in views and ("Claimer", "change") in views


def test_the_matrix_posts_what_an_administrator_could_save(city, admin_client):
    # Otherwise "nothing changed" could only mean the form data was wrong.
    for model in (Resident, Household, Building, Visit, Street, Community, Grid, Department):
        obj = model._default_manager.first()
        route = next(r for r in ROUTES if r.model is model and r.view == "change")
        before = snapshot()
        response = admin_client.post(
            route.url(object_id=obj.pk), form_data(model, obj, fresh=False)
        )
        assert response.status_code == 302, (model, response.content.decode()[:2000])
        assert snapshot() != before
        add = next(r for r in ROUTES if r.model is model and r.view == "add")
        count = model._default_manager.count()
        response = admin_client.post(add.url(), form_data(model, obj, fresh=True))
        assert response.status_code == 302, (model, response.content.decode()[:2000])
        assert model._default_manager.count() == count + 1
    street = Street.objects.first()
    route = next(r for r in ROUTES if r.model is Street and r.view == "permissions_manage_user")
    nobody = city.users["nobody"]
    admin_client.post(
        route.url(object_pk=street.pk, user_id=nobody.pk), {"permissions": ["access_street"]}
    )
    assert scope.restrict(Resident.objects.all(), nobody).exists()


def test_a_group_grant_page_grants_to_the_whole_group(city, admin_client):
    grid = city.grids["GB1a"]
    route = next(r for r in ROUTES if r.model is Grid and r.view == "permissions_manage_group")
    admin_client.post(
        route.url(object_pk=grid.pk, group_id=city.team.pk), {"permissions": ["access_grid"]}
    )
    team_member = city.users["team"]
    assert team_member.has_perm("archives.change_resident", city.residents["GB1a"])
    assert Group.objects.get(pk=city.team.pk)  # the group itself is untouched


# The lookup dimension -------------------------------------------------------------------------
#
# A list must not answer questions it does not offer. For every registered model admin, every
# concrete field of its model and of each model one relation away, and every account: a
# ``?field=value`` lookup, each ``o=`` ordering and the export with that lookup are refused
# (400), or the page cannot be opened at all, or the answer does not narrow the list; a lookup
# that narrows must be one of the list's declared filters and touch no field the account may
# not read; an ordering the list accepts must not sort by such a field.

SENSITIVE_RESIDENT_FIELDS = {"id_number", "birth_date", "medical_history"}
REFUSED = {400, 403, 404}


def lookup_paths(model) -> list[str]:
    """Every concrete field of ``model`` and of each related model, as a lookup path."""
    paths = [f.name for f in model._meta.concrete_fields]
    for relation in model._meta.get_fields(include_hidden=False):
        target = relation.related_model
        if not relation.is_relation or target is None or not hasattr(target, "_meta"):
            continue
        name = relation.name
        paths += [f"{name}__{f.name}" for f in target._meta.concrete_fields]
    return paths


def touches_sensitive(model, path: str) -> bool:
    current = model
    for part in path.split("__"):
        try:
            field = current._meta.get_field(part)
        except Exception:
            return False
        resident_like = current is Resident or current is Resident.history.model
        if resident_like and part in SENSITIVE_RESIDENT_FIELDS:
            return True
        if not field.is_relation:
            return False
        current = field.related_model
    return False


def reads_every_sensitive_field(username: str) -> bool:
    """Whether the account reads ID number, birth date and medical history of every resident it
    sees in the archive (from the hand-written expectations, not from ``archives.scope``)."""
    seen = [r for r in Resident.objects.all() if sees(username, r)]
    return bool(seen) and all(
        scoped_city.reads_id_number(username, r) and scoped_city.reads_medical_history(username, r)
        for r in seen
    )


def declared_filters(model_admin) -> set[str]:
    """The parameters a list's filters read: a simple filter's name, a field filter's path."""
    declared = set()
    for item in model_admin.list_filter:
        if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
            declared.add(item.parameter_name)
        else:
            path = item[0] if isinstance(item, tuple | list) else item
            declared |= {path, f"{path}__exact", f"{path}__id__exact", f"{path}__isnull"}
    if model_admin.date_hierarchy:
        declared |= {f"{model_admin.date_hierarchy}__{p}" for p in ("year", "month", "day")}
    return declared


def column_sort_path(model_admin, column) -> str | None:
    if not isinstance(column, str):
        return None
    try:
        return model_admin.model._meta.get_field(column).name
    except Exception:
        attr = getattr(model_admin, column, None) or getattr(model_admin.model, column, None)
        order = getattr(attr, "admin_order_field", None)
        return order if isinstance(order, str) else None


def lookup_value(model, path: str) -> str:
    """A value that narrows the list if the lookup were obeyed: one a stored row holds."""
    try:
        values = model._default_manager.exclude(**{f"{path}__isnull": True})
        value = values.values_list(path, flat=True).order_by("pk").first()
    except Exception:
        return "1"
    if value is None or isinstance(value, bytes | memoryview):
        return "1"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value) if not isinstance(value, list | dict) else json.dumps(value)


class LookupMatrix(Matrix):
    def run_lookups(self) -> list[str]:
        reads_all = reads_every_sensitive_field(self.username)
        for model, model_admin in admin.site._registry.items():
            base = reverse_changelist(model)
            response = self.client.get(base)
            if response.status_code != 200:
                continue  # the list is closed to this account: it answers nothing
            listed = self.listed(response)
            declared = declared_filters(model_admin)
            has_export = hasattr(model_admin, "export_action")
            for path in lookup_paths(model):
                hidden = touches_sensitive(model, path) and not reads_all
                value = lookup_value(model, path)
                query = "?" + urlencode({path: value})
                response = self.get_asking(base + query, value)
                what = f"{base}{query} as {self.username}"
                if response.status_code == 200:
                    narrowed = self.listed(response) != listed
                    self.findings.check(
                        not narrowed or (path in declared and not hidden),
                        f"{what} narrows the list by an undeclared or hidden field",
                    )
                else:
                    self.findings.check(
                        response.status_code in REFUSED | {302},
                        f"{what} answers {response.status_code}",
                    )
                if has_export and (response.status_code == 400 or hidden):
                    # The export reads the same query string; posting for the file is tried
                    # where it matters most, on the hidden fields.
                    export = base + "export/" + query
                    answers = [self.get_asking(export, value)]
                    if hidden:
                        answers.append(self.client.post(export, {"format": 0, "resource": 0}))
                    for answer in answers:
                        self.findings.check(
                            answer.status_code in REFUSED,
                            f"the export {export} as {self.username} answers {answer.status_code}",
                        )
            self.orderings(model, model_admin, base, reads_all)
        return self.findings.problems

    def get_asking(self, url: str, asked: str):
        """GET, checking the page for leaks other than the value the account typed itself (the
        language switch carries the page's address back)."""
        response = self.client.get(url)
        content = response.content.decode(errors="replace")
        for text, why in self.forbidden.items():
            if text not in asked:
                self.findings.check(text not in content, f"GET {url} shows the {why}")
        return response

    def orderings(self, model, model_admin, base: str, reads_all: bool) -> None:
        request = RequestFactory().get(base)
        request.user = self.user
        columns = list(model_admin.get_list_display(request))
        if model_admin.get_actions(request):
            columns = ["action_checkbox", *columns]
        for index in range(len(columns) + 1):
            column = columns[index] if index < len(columns) else None
            path = column_sort_path(model_admin, column) if column else None
            for order in (str(index), f"-{index}"):
                response = self.client.get(f"{base}?o={order}")
                if response.status_code == 200 and self.listed(response):  # empty: no order
                    self.findings.check(
                        not (path and touches_sensitive(model, path) and not reads_all),
                        f"{base}?o={order} sorts {self.username}'s list by the hidden {path}",
                    )

    @staticmethod
    def listed(response) -> list | None:
        changelist = (getattr(response, "context", None) or {}).get("cl")
        return None if changelist is None else [obj.pk for obj in changelist.result_list]


def reverse_changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize("username", scoped_city.ACCOUNTS)
def test_no_list_answers_a_lookup_it_does_not_offer(city, client, admin_user, username):
    audit_setup(city)
    report_setup(city)
    scoped_city.build_events(city)
    scoped_city.build_wishes(city)
    client.force_login(city.users[username])
    client.raise_request_exception = False  # a lookup that breaks the page is a finding too
    problems = LookupMatrix(city, username, client).run_lookups()
    assert problems == [], "\n".join(problems)


def test_the_lookup_matrix_asks_about_hidden_fields_through_relations():
    assert "id_number" in lookup_paths(Resident)
    assert "residents__id_number" in lookup_paths(Household)
    assert "resident__birth_date" in lookup_paths(AuditItem)
    assert "pinned_record__id_number" in lookup_paths(AuditItem)
    assert touches_sensitive(Household, "residents__medical_history")
