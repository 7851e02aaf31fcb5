"""The portal under load: people at work, as the production setup serves them (``make loadtest``).

Clerks search (a surname, the last digits of a phone number), edit a resident's phone number
with a reason, and log visits; street and municipal officials open their dashboards and the
monthly report and download it; an auditor goes through the audit items. Everyone signs in with
a demo account (``seed_demo``'s, password ``demo``; the benchmark city has the same logins).

Every write the server accepted is appended to ``LOADTEST_WRITES`` (one JSON object a line: the
resident or visit, the value written and a unique marker in its reason or note);
``python -m loadtest.check_writes`` compares them with the history tables after the run.

Run through ``make loadtest`` (which installs Locust, the ``load`` extra, and checks the writes),
against a server started with ``REQUIRE_TWO_FACTOR=0``: the demo accounts have no authenticator,
and with it on the municipal official is sent to enrol one before anything else.
"""

import csv
import datetime as dt
import io
import json
import os
import random
import re
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

from locust import HttpUser, between, events
from locust.clients import ResponseContextManager
from lxml import html
from requests.cookies import RequestsCookieJar

PASSWORD = os.environ.get("LOADTEST_PASSWORD", "demo")
WRITES = os.environ.get("LOADTEST_WRITES", "loadtest/writes.jsonl")
#: Seconds a person reads a page before the next click, as "lowest,highest". "0" measures the
#: saturation throughput: everyone clicks again as soon as the answer arrives.
THINK_SECONDS = os.environ.get("LOADTEST_THINK_SECONDS", "1,5")


def think_time():
    lowest, _, highest = THINK_SECONDS.partition(",")
    return between(float(lowest), float(highest or lowest))


SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "金", "朴"]
RESIDENT_LINK = re.compile(r"/admin/archives/resident/(\d+)/change/")
HOUSEHOLD_LINK = re.compile(r"/admin/archives/household/(\d+)/change/")
ITEM_LINK = re.compile(r"/admin/audits/audititem/(\d+)/change/")

_writes_lock = threading.Lock()


@events.test_start.add_listener
def _run_started(**_: Any) -> None:
    """The run's start: check_writes reads the history written since."""
    record_write(kind="start", at=dt.datetime.now(dt.UTC).isoformat())


def record_write(**write: Any) -> None:
    with _writes_lock, open(WRITES, "a", encoding="utf-8") as out:
        out.write(json.dumps(write, ensure_ascii=False) + "\n")


def form_fields(page: str, form_id: str | None = None, action: str = "") -> dict[str, Any]:
    """The values a browser would send back from the page's own form (the first that posts, or
    ``form_id``, or the one whose action contains ``action``), as a dict of lists."""
    tree = html.fromstring(page)
    forms = [
        f
        for f in tree.forms
        if (f.get("method") or "").lower() == "post"
        # Every admin page also has the sign-out and language forms.
        and not any(part in (f.get("action") or "") for part in ("/logout/", "/i18n/"))
    ]
    if form_id:
        forms = [f for f in forms if f.get("id") == form_id] or forms
    if action:
        forms = [f for f in forms if action in (f.get("action") or "")] or forms
    fields: dict[str, Any] = {}
    for name, value in forms[0].form_values():
        fields.setdefault(name, []).append(value)
    return fields


class PlainHttpCookieJar(RequestsCookieJar):
    """Keeps the portal's Secure cookies (session, CSRF) for plain HTTP."""

    def set_cookie(self, cookie, *args, **kwargs):  # type: ignore[no-untyped-def]
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


class PortalUser(HttpUser):
    """One person signed in with a demo account; each role's class below only says who it is
    (``login``), how many of it there are (``weight``) and what it does (``tasks``: the
    functions further down, each given the user)."""

    abstract = True
    wait_time = think_time()  # a person reads the page before the next click
    login = ""

    def on_start(self) -> None:
        # Production cookies are Secure; the test talks plain HTTP to gunicorn, where the TLS
        # proxy would (the proxy is not what is measured), so the client sends them anyway.
        self.client.cookies = PlainHttpCookieJar()
        # What the TLS proxy in front says of every request it forwards (README, Production):
        # without it gunicorn's answers would all be redirects to https.
        self.client.headers["X-Forwarded-Proto"] = "https"
        # A browser names the page's origin on every form it posts; Django's CSRF check on an
        # HTTPS request refuses a POST without it (or a Referer) as a cross-site one.
        self.client.headers["Origin"] = "https://" + urlsplit(self.host).netloc
        fields = self.form("/admin/login/", "login page")
        fields.update(username=[self.login], password=[PASSWORD], next=["/admin/"])
        # The sign-in alone, as every other form is measured (``submit``): the page it leads to
        # is requested, and counted, as that page.
        with self.submit("/admin/login/", fields, "login") as response:
            if response.status_code != 302 or "/admin/login/" in response.headers["Location"]:
                response.failure(f"{self.login} could not sign in ({response.status_code})")
        self.page("/admin/", "dashboard")

    def page(self, path: str, name: str) -> str:
        """The page's HTML; a page that ends on the sign-in form (the session lost) fails."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if "/admin/login/" in response.url and "/admin/login/" not in path:
                response.failure(f"{self.login} was sent to sign in again")
            return response.text

    def ids(self, path: str, pattern: re.Pattern[str], name: str) -> list[str]:
        return pattern.findall(self.page(path, name))

    def form(self, path: str, name: str, form_id: str | None = None) -> dict[str, Any]:
        """The fields of the page's form, its CSRF token included, as a browser sends them."""
        return form_fields(self.page(path, name), form_id)

    def submit(
        self, url: str, fields: dict[str, Any], name: str, **kwargs: Any
    ) -> ResponseContextManager:
        """POST a form without following the redirect, for the caller to judge the answer
        (``with user.submit(...) as response``)."""
        return self.client.post(
            url, data=fields, name=name, catch_response=True, allow_redirects=False, **kwargs
        )


# What people do: each function is one task, given the user doing it. -------------------------


def search_surname(user: PortalUser) -> None:
    q = random.choice(SURNAMES)
    user.client.get(f"/admin/archives/resident/?q={q}", name="resident search (surname)")


def search_phone_digits(user: PortalUser) -> None:
    q = f"{random.randint(0, 9999):04d}"
    user.client.get(f"/admin/archives/resident/?q={q}", name="resident search (phone)")


def household_list(user: PortalUser) -> None:
    user.client.get("/admin/archives/household/", name="household list")


def resident_list(user: PortalUser) -> None:
    user.client.get("/admin/archives/resident/", name="resident list")


def dashboard(user: PortalUser) -> None:
    user.client.get("/admin/", name="dashboard")


def edit_resident(user: PortalUser) -> None:
    ids = user.ids("/admin/archives/resident/", RESIDENT_LINK, "resident list")
    if not ids:
        return
    pk = random.choice(ids)
    url = f"/admin/archives/resident/{pk}/change/"
    fields = user.form(url, "resident form", "resident_form")
    marker = uuid.uuid4().hex
    phone = f"139{random.randint(0, 99_999_999):08d}"
    fields["phone"] = [phone]
    fields["change_reason"] = [f"load test {marker}"]
    fields["_save"] = ["Save"]
    with user.submit(url, fields, "resident save") as response:
        location = response.headers.get("Location", "")
        if response.status_code != 302:
            response.failure(f"resident {pk} not saved ({response.status_code})")
        elif location.endswith(url):
            # Back to the form: another clerk saved this file since it was opened (the
            # version field's check). Refused: nothing written, counted by check_writes.
            record_write(kind="refused", id=int(pk), marker=marker)
        else:
            record_write(kind="resident", id=int(pk), phone=phone, marker=marker)


def log_visit(user: PortalUser) -> None:
    households = user.ids("/admin/archives/household/", HOUSEHOLD_LINK, "household list")
    if not households:
        return
    page = user.page("/admin/archives/visit/add/", "visit form")
    fields = form_fields(page, "visit_form")
    marker = uuid.uuid4().hex
    now = dt.datetime.now()
    fields["household"] = [random.choice(households)]
    if not any(fields.get("grid_member", [""])):
        options = html.fromstring(page).xpath('//select[@name="grid_member"]/option/@value')
        fields["grid_member"] = [next((v for v in options if v), "")]
    fields["visited_at_0"] = [now.strftime("%Y-%m-%d")]
    fields["visited_at_1"] = [now.strftime("%H:%M:%S")]
    fields["note"] = [f"load test {marker}"]
    fields["_save"] = ["Save"]
    with user.submit("/admin/archives/visit/add/", fields, "visit save") as response:
        if response.status_code == 302:
            record_write(kind="visit", marker=marker)
        else:
            response.failure(f"visit refused ({response.status_code})")


def import_small_file(user: PortalUser) -> None:
    """Export a few of the grid's residents as CSV, change their phone numbers, import the
    file: upload, preview, confirm (a marker in the file's name is in each row's reason)."""
    export = "/admin/archives/resident/export/"
    fields = user.form(export, "export form")
    fields["format"] = ["1"]  # csv (the second of the list's export formats)
    response = user.client.post(export, data=fields, name="export (csv)")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    if len(rows) < 2:
        return
    header, picked = rows[0], random.sample(rows[1:], min(3, len(rows) - 1))
    phone = next(i for i, name in enumerate(header) if "电话" in name or "phone" in name)
    for row in picked:
        row[phone] = f"139{random.randint(0, 99_999_999):08d}"
    out = io.StringIO()
    csv.writer(out).writerows([header, *picked])
    marker = uuid.uuid4().hex
    upload = "/admin/archives/resident/import/"
    preview = user.client.post(
        upload,
        data=user.form(upload, "import form"),
        files={"file": (f"load-test-{marker}.csv", out.getvalue().encode(), "text/csv")},
        name="import preview",
    )
    fields = form_fields(preview.text, action="confirm")
    ticks = html.fromstring(preview.text).xpath('//input[@name="acknowledge"]/@value')
    if ticks:
        fields["acknowledge"] = ticks
    with user.submit(f"{upload}confirm/", fields, "import confirm") as response:
        location = response.headers.get("Location", "")
        written = [{"id_number": row[0], "phone": row[phone]} for row in picked]
        if response.status_code == 302 and not location.endswith(upload):
            # To the list, or to the import's job page when a worker applies it (the job
            # of three rows is done long before check_writes looks).
            record_write(kind="import", marker=marker, rows=written)
        elif response.status_code in (200, 302):
            # Refused (back to the upload) or the preview again: a resident changed since
            # the preview. Nothing written.
            record_write(kind="refused", id=0, marker=marker)
            response.success()
        else:
            response.failure(f"import not confirmed ({response.status_code})")


def monthly_report(user: PortalUser) -> None:
    """The report page, then one of its files: a POST of its download form, which starts the
    file's job and leads to the job's page."""
    page = user.page("/admin/exports/monthlyreport/report/", "monthly report")
    fields = form_fields(page, action="/report/download/")
    fields["format"] = [random.choice(["xlsx", "pdf"])]
    user.client.post(
        "/admin/exports/monthlyreport/report/download/", data=fields, name="report download"
    )


def check_audit_items(user: PortalUser) -> None:
    ids = user.ids("/admin/audits/audititem/", ITEM_LINK, "audit items")
    for pk in random.sample(ids, min(3, len(ids))):
        user.client.get(f"/admin/audits/audititem/{pk}/change/", name="audit item")


# Who does it. --------------------------------------------------------------------------------


class Clerk(PortalUser):
    """A grid member at the office: most of the load."""

    weight = 6
    login = "clerk"
    tasks = {
        search_surname: 6,
        search_phone_digits: 3,
        household_list: 2,
        edit_resident: 3,
        log_visit: 2,
        import_small_file: 1,
    }


class StreetOfficial(PortalUser):
    weight = 2
    login = "street"
    tasks = {dashboard: 3, resident_list: 2, monthly_report: 1}


class MunicipalOfficial(PortalUser):
    weight = 1
    login = "official"
    tasks = {dashboard: 3, monthly_report: 1}


class Auditor(PortalUser):
    weight = 1
    login = "auditor"
    tasks = [check_audit_items]
