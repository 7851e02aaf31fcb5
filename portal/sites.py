from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.forms import PortalAuthenticationForm

#: The sidebar and the index list pages by the task people come to do, not by Django app.
#: Each entry: (group label, its slug, the models in it as "app_label.ModelName", in order).
TASK_GROUPS = [
    (_("Residents"), "residents", ["archives.Resident", "archives.Household", "archives.Building"]),
    (_("Visits"), "visits", ["archives.Visit"]),
    # Led by "My round" (patrols/admin/phone.py, no model's list): see ``with_page``.
    (_("Patrols"), "patrols", ["patrols.Patrol", "patrols.TrackingDevice"]),
    (_("Events"), "events", ["events.Event", "events.EventCategory", "events.WorkCalendarDay"]),
    # Led by the board and the love bank (wishes/admin/board.py, no model's lists).
    (
        pgettext_lazy("task group", "Micro-wishes"),
        "wishes",
        ["wishes.Wish", "wishes.Claim", "wishes.Claimer", "wishes.WishCategory"],
    ),
    (_("Audits"), "audits", ["audits.AuditCampaign", "audits.AuditItem"]),
    (
        _("Reports"),
        "reports",
        [
            "exports.MonthlyReport",
            "exports.ReportDownload",
            "archives.ExportRecord",
            "archives.SensitiveAccess",
        ],
    ),
    # Every account's own jobs (imports, exports, reports, draws run in the background).
    (_("Background jobs"), "jobs", ["jobs.Job"]),
    (
        _("Organisation"),
        "organisation",
        [
            "archives.Street",
            "archives.Community",
            "archives.Grid",
            "archives.Department",
            "archives.Tag",
        ],
    ),
    (
        _("Access"),
        "access",
        [
            "auth.User",
            "auth.Group",
            "otp_totp.TOTPDevice",
            "axes.AccessAttempt",
            "axes.AccessFailureLog",
            "axes.AccessLog",
        ],
    ),
]


class PortalAdminSite(admin.AdminSite):
    site_title = _("Community governance portal")
    site_header = _("Community governance portal")
    index_title = _("Resident archive")
    # Asks for the authenticator code of accounts that have one (accounts/forms.py).
    login_form = PortalAuthenticationForm

    def get_urls(self):
        from accounts.views import two_factor_setup
        from patrols.admin import phone

        return [
            path("two-factor/", self.admin_view(two_factor_setup), name="two_factor"),
            *phone.urls(self),
            *super().get_urls(),
        ]

    def index(self, request, extra_context=None):
        from portal.dashboard import dashboard

        return super().index(request, {**dashboard(request.user), **(extra_context or {})})

    def get_app_list(self, request, app_label=None):
        """The index and the sidebar list models by task (``TASK_GROUPS``); an app's own page
        (``/admin/<app_label>/``, reached from breadcrumbs) keeps Django's per-app list."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        # The index asks twice (its own list and the sidebar's, through each_context): a page
        # that only reads gets the list built once. Never kept beyond the request.
        if request.method in ("GET", "HEAD"):
            if "_task_app_list" not in request.__dict__:
                request._task_app_list = self._task_app_list(request)
            return request._task_app_list
        return self._task_app_list(request)

    def _task_app_list(self, request):
        from patrols.admin import phone
        from wishes.admin import board

        groups = with_page(
            group_by_task(self._build_app_dict(request)),
            phone.app_list_entry(request),
            slug="patrols",
            label=_("Patrols"),
        )
        # The board first, then the love bank, at the head of the micro-wishes.
        for entry in reversed(board.app_list_entries(request)):
            groups = with_page(
                groups, entry, slug="wishes", label=pgettext_lazy("task group", "Micro-wishes")
            )
        return groups


def group_by_task(app_dict: dict) -> list[dict]:
    """Django's per-app dict (only models the user may see) regrouped as ``TASK_GROUPS``; a
    model no group names lands in a last group of its own app, so nothing disappears."""
    models = {
        f"{app_label}.{model['object_name']}": model
        for app_label, app in app_dict.items()
        for model in app["models"]
    }
    groups = []
    for label, slug, names in TASK_GROUPS:
        members = [models.pop(name) for name in names if name in models]
        if members:
            groups.append(_group(label, slug, members))
    for app_label, app in app_dict.items():
        rest = [m for m in app["models"] if f"{app_label}.{m['object_name']}" in models]
        if rest:
            groups.append({**app, "models": rest})
    return groups


def with_page(groups: list[dict], entry: dict | None, *, slug: str, label) -> list[dict]:
    """``groups`` with a page that is no model's list (``entry``, or nothing) first in the group
    ``slug``, which is added after the visits if the user sees none of its models."""
    if entry is None:
        return groups
    for group in groups:
        if group["app_label"] == slug:
            group["models"] = [entry, *group["models"]]
            return groups
    # Beside the visits: what a grid member does out in the grid.
    at = next((i + 1 for i, g in enumerate(groups) if g["app_label"] == "visits"), len(groups))
    return [*groups[:at], _group(label, slug, [entry]), *groups[at:]]


def _group(label, slug: str, models: list[dict]) -> dict:
    return {
        "name": label,
        "app_label": slug,
        # The group's heading opens its first list; Django's app pages are per app.
        "app_url": models[0]["admin_url"] or "",
        "has_module_perms": True,
        "models": models,
    }
