"""Verifying resident files (核实) from the admin: a button on a resident's page and an action
on the resident list. Both call ``services.resident_verify``; saving a form never verifies."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from archives import services
from archives.admin.base import ModelAdminMixinBase, actor_of


def verified_message(residents) -> str:
    when = formats.localize(timezone.localtime())
    if len(residents) == 1:
        return _("%(name)s's file is marked verified (%(when)s); the history keeps it.") % {
            "name": residents[0].name,
            "when": when,
        }
    return ngettext(
        "%(count)d file is marked verified (%(when)s); the history keeps it.",
        "%(count)d files are marked verified (%(when)s); the history keeps it.",
        len(residents),
    ) % {"count": len(residents), "when": when}


class ResidentVerifyMixin(ModelAdminMixinBase):
    """Adds ``<object_id>/verify/`` (POST) and the list action "verify"."""

    actions = ["verify_selected"]

    def get_urls(self):
        verify = path(
            "<path:object_id>/verify/",
            self.admin_site.admin_view(self.verify_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_verify",
        )
        return [verify, *super().get_urls()]

    def verify_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        resident = self._viewable(request, object_id)  # a 404 outside the user's scope
        if not self.has_change_permission(request, resident):
            raise PermissionDenied
        rows = services.resident_verify(
            residents=[resident], actor=actor_of(request), note=request.POST.get("note", "")
        )
        messages.success(request, verified_message(rows))
        return HttpResponseRedirect(
            reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[resident.pk]
            )
        )

    @admin.action(
        description=gettext_lazy("Mark the selected files verified"), permissions=["change"]
    )
    def verify_selected(self, request, queryset):
        try:
            rows = services.resident_verify(residents=list(queryset), actor=actor_of(request))
        except PermissionDenied as refused:
            messages.error(request, str(refused))
            return
        messages.success(request, verified_message(rows))
