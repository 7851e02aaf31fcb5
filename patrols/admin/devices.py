"""Tracking devices, for administrators: the phones that send positions from Traccar Client or
OsmAnd, each with a token an administrator issues and revokes.

Tokens are never typed in or edited: *issue* (the list's add button) asks for the member and a
name, has ``tracking_device_issue`` make the token, and shows it once with the app's settings;
only its hash is kept, so no page can show it again. *Revoke* asks for a reason. The services
check that the actor is an administrator; these pages are shown to administrators only.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.names import person_name
from archives.admin.base import DeclaredLookupsOnly, actor_of
from patrols import selectors, services
from patrols.models import TrackingDevice

#: What the setup page suggests for the app: a position every this many seconds while moving.
SUGGESTED_FREQUENCY_S = 30
#: …or after this many metres, whichever comes first.
SUGGESTED_DISTANCE_M = 20


def _administrator(request: HttpRequest) -> bool:
    return selectors.may_manage_tracking_devices(request.user)


def _when(moment) -> str:
    return formats.localize(timezone.localtime(moment)) if moment else "—"


class MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        name, login = person_name(obj), obj.get_username()
        return name if name == login else f"{name} ({login})"


class IssueForm(forms.Form):
    member = MemberChoice(
        queryset=get_user_model().objects.none(),
        label=gettext_lazy("grid member"),
        help_text=gettext_lazy("The positions the device sends count as this member's."),
    )
    name = forms.CharField(
        label=gettext_lazy("name"), max_length=100, help_text=gettext_lazy("E.g. “Li Na’s phone”.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = get_user_model().objects.filter(is_active=True, grids__isnull=False).distinct()
        self.fields["member"].queryset = members.order_by("last_name", "first_name", "username")  # type: ignore[attr-defined]  # a ModelChoiceField


class DeviceState(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("in use")), ("revoked", _("revoked"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(TrackingDevice)
class TrackingDeviceAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    list_display = [
        "member_shown",
        "name",
        "token_end",
        "issued_at",
        "state_short",
        "last_seen_at",
    ]
    list_display_links = ["member_shown", "name"]
    list_filter = [DeviceState]
    search_fields = ["name", "member__username", "member__first_name", "member__last_name"]
    list_select_related = ["member"]
    ordering = ["-issued_at"]
    fields = readonly_fields = (
        "member_shown",
        "name",
        "token_end",
        "issued_at",
        "issuer",
        "state_shown",
        "last_seen_at",
        "history_shown",
    )
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    # Who may do what: administrators, and through the services only -----------------------

    def has_module_permission(self, request):
        return _administrator(request)

    def has_view_permission(self, request, obj=None):
        return _administrator(request)

    def has_add_permission(self, request):
        return _administrator(request)  # "add" is issuing: the page below, not a model form

    def has_change_permission(self, request, obj=None):
        return False  # a token is never edited; a device is revoked

    def has_delete_permission(self, request, obj=None):
        return False  # a revoked device stays, with its history

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if _administrator(request) else queryset.none()

    # Shown ---------------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("grid member"), ordering="member__username")
    def member_shown(self, device: TrackingDevice) -> str:
        return person_name(device.member)

    @admin.display(description=gettext_lazy("token ends with"))
    def token_end(self, device: TrackingDevice) -> str:
        return f"…{device.token_hint}"

    @admin.display(description=gettext_lazy("issued by"))
    def issuer(self, device: TrackingDevice) -> str:
        return person_name(device.issued_by)

    @admin.display(description=gettext_lazy("state"), ordering="revoked_at")
    def state_short(self, device: TrackingDevice) -> str:
        return _("in use") if device.revoked_at is None else _("revoked")

    @admin.display(description=gettext_lazy("state"))
    def state_shown(self, device: TrackingDevice) -> str:
        if device.revoked_at is None:
            return _("in use")
        return _("revoked at %(when)s") % {"when": _when(device.revoked_at)}

    @admin.display(description=gettext_lazy("history"))
    def history_shown(self, device: TrackingDevice) -> str:
        return self._history_table(device)

    @staticmethod
    def _history_table(device: TrackingDevice) -> str:
        records = device.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )
        rows = [
            (
                _when(r.history_date),
                person_name(r.history_user) if r.history_user else _("unknown"),
                r.history_change_reason or "—",
            )
            for r in records
        ]
        return format_html(
            "<table class='device-history'><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>",
            _("when"),
            _("who"),
            _("why"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    # Pages ---------------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/revoke/",
                view(self.revoke_view),
                name="patrols_trackingdevice_revoke",
            ),
            *super().get_urls(),
        ]

    def _device(self, request: HttpRequest, object_id: str) -> TrackingDevice:
        if not _administrator(request):
            raise PermissionDenied
        device = self.get_object(request, unquote(object_id))
        if device is None:
            raise Http404(_("No such device."))
        return device

    def _page(self, request: HttpRequest, template: str, **context: Any) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/patrols/trackingdevice/{template}",
            {**self.admin_site.each_context(request), "opts": self.opts, **context},
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        device = self._device(request, object_id)
        context = {
            "may_revoke": device.revoked_at is None,
            "revoke_url": reverse("admin:patrols_trackingdevice_revoke", args=[device.pk]),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def history_view(self, request, object_id, extra_context=None):
        device = self._device(request, object_id)
        return self._page(
            request,
            "history.html",
            title=_("History of %(name)s") % {"name": device},
            device=device,
            table=self._history_table(device),
        )

    def add_view(self, request, form_url="", extra_context=None):
        """Issue a device: the form, then the token, shown this once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = IssueForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                device, token = services.tracking_device_issue(
                    actor=actor_of(request),
                    member=form.cleaned_data["member"],
                    name=form.cleaned_data["name"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self._issued(request, device, token)
        return self._page(
            request, "issue.html", title=_("Issue a tracking device"), form=form, add=True
        )

    def _issued(self, request: HttpRequest, device: TrackingDevice, token: str) -> HttpResponse:
        response = self._page(
            request,
            "issued.html",
            title=_("Device issued: %(name)s") % {"name": device.name},
            device=device,
            member=person_name(device.member),
            token=token,
            server_url=request.build_absolute_uri(reverse("patrols:osmand")),
            frequency=SUGGESTED_FREQUENCY_S,
            distance=SUGGESTED_DISTANCE_M,
        )
        # Neither the browser nor a proxy keeps the one page that shows the token.
        add_never_cache_headers(response)
        return response

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        device = self._device(request, object_id)
        change_url = reverse("admin:patrols_trackingdevice_change", args=[device.pk])
        error = ""
        if request.method == "POST":
            reason = request.POST.get("reason", "").strip()
            if not reason:
                error = _("Say why the device is revoked.")
            else:
                try:
                    services.tracking_device_revoke(
                        actor=actor_of(request), device=device, reason=reason
                    )
                except ValidationError as refused:
                    messages.error(request, " ".join(refused.messages))
                else:
                    messages.success(
                        request,
                        _("%(name)s is revoked: its positions are refused from now on.")
                        % {"name": device},
                    )
                return HttpResponseRedirect(change_url)
        return self._page(
            request,
            "revoke.html",
            title=_("Revoke %(name)s") % {"name": device},
            device=device,
            change_url=change_url,
            error=error,
        )
