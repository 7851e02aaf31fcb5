"""The admin classes every page builds on: lists, object pages, choices and grant pages that
follow ``archives.scope``."""

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Model
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    ReinforcedGuardedModelAdminMixin,
)

from archives import history, scope
from archives.admin.forms import EDIT_ONLY_FIELDS, ChangeReasonForm
from archives.admin.paging import EstimatingPaginator
from archives.models import (
    Grid,
)


class ScopedAdmin(admin.ModelAdmin):
    """Lists, object pages and autocomplete follow ``archives.scope``.

    Object questions go through ``user.has_perm(perm, obj)``, which the scope backend answers,
    so this admin and third-party admin code ask the same place.

    Lists count once: not a second time for "N total" (``show_full_result_count``), never per
    filter choice (facets), and an unfiltered list of a large table is estimated.
    """

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatingPaginator

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if for_model := _autocomplete_source_model(request):
            # Choices offered while editing another row: only where that row may be written.
            return scope.writable(queryset, request.user, for_model=for_model)
        return scope.restrict(queryset, request.user, scope.VIEW)

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return super().has_view_permission(request)
        return self._has_object_perm(request, scope.VIEW, obj) or self._has_object_perm(
            request, scope.CHANGE, obj
        )

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return self._has_object_perm(request, scope.CHANGE, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return super().has_delete_permission(request)
        return self._has_object_perm(request, scope.DELETE, obj)

    def _has_object_perm(self, request, action: str, obj) -> bool:
        return request.user.has_perm(scope.permission_name(self.model, action), obj)


def _autocomplete_source_model(request) -> type[Model] | None:
    """The model whose form asks an autocomplete for choices, if this request is one."""
    match = request.resolver_match
    if match is None or match.url_name != "autocomplete":
        return None
    try:
        return apps.get_model(request.GET["app_label"], request.GET["model_name"])
    except (KeyError, LookupError, ValueError):
        return None  # the autocomplete view itself refuses such a request


class HistoryAdminMixin:
    """Every form asks for an optional reason that the history keeps, and the history page
    shows who changed what, when and why, field by field.

    The page replaces Django's list of admin log entries, which says neither why nor what a
    field said before, and misses changes made outside the admin.
    """

    form = ChangeReasonForm

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            fields = [f for f in fields if f not in EDIT_ONLY_FIELDS]
        return fields

    @staticmethod
    def change_reason(form) -> str:
        return form.cleaned_data.get("change_reason", "")

    def save_model(self, request, obj, form, change):
        # Org units and tags are saved here; archive admins save through their services.
        obj._change_reason = self.change_reason(form)
        super().save_model(request, obj, form, change)

    def _viewable(self, request, object_id):
        """The row, if in the user's scope; a 404 otherwise, as for any other row."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise Http404(_("Not found in your area."))
        return obj

    def history_view(self, request, object_id, extra_context=None):
        obj = self._viewable(request, object_id)
        context = {**self.history_context(request, obj), **(extra_context or {})}
        return TemplateResponse(request, "admin/archives/history.html", context)

    def history_context(self, request, obj) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": _("History of %(name)s") % {"name": obj},
            "opts": self.opts,
            "object": obj,
            "entries": history.row_history(obj, request.user),
        }


class ScopedArchiveAdmin(HistoryAdminMixin, ScopedAdmin):
    """Admin for archive rows: foreign-key choices are limited to where the row may be written,
    and saving goes through a service that checks scope again on the server.
    """

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Choices (and so server-side validation of a posted ID) are limited to writable grids;
        # a forged POST naming another grid's household fails as "not one of the choices".
        related = db_field.related_model
        if related in scope.GRID_PATHS or related is Grid:
            kwargs["queryset"] = scope.writable(
                related._default_manager.all(), request.user, for_model=self.model
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _manages_grants(user) -> bool:
    """The rights guardian's pages ask for (``ReinforcedGuardedModelAdminMixin``)."""
    return user.has_perms(
        [
            "guardian.view_userobjectpermission",
            "guardian.view_groupobjectpermission",
            "guardian.change_userobjectpermission",
            "guardian.change_groupobjectpermission",
        ]
    )


class _OffersOnlyTheGrant:
    """Offers only the unit's grant (``access_<unit>``), not guardian's per-object model
    permissions, which scope ignores."""

    def get_obj_perms_field_choices(self):
        codename = scope.grant_codename(type(self.obj))
        return [choice for choice in super().get_obj_perms_field_choices() if choice[0] == codename]


class GrantUserForm(_OffersOnlyTheGrant, AdminUserObjectPermissionsForm):
    pass


class GrantGroupForm(_OffersOnlyTheGrant, AdminGroupObjectPermissionsForm):
    pass


class OrgUnitAdmin(HistoryAdminMixin, ReinforcedGuardedModelAdminMixin, ScopedAdmin):
    """Org units are listed within scope; grants on them are managed on guardian's pages, which
    ask for change rights on the unit and on guardian's permission tables (administrators).
    """

    search_fields = ["code", "name"]
    readonly_fields = ["who_can_see"]

    def get_obj_perms_base_context(self, request, obj):
        context = super().get_obj_perms_base_context(request, obj)
        # The tables' columns: only the grant, as on the forms.
        codename = scope.grant_codename(type(obj))
        grants = [p for p in context["model_perms"] if p.codename == codename]
        for grant in grants:  # stored in English; shown in the user's language
            grant.name = gettext(grant.name)
        context["model_perms"] = grants
        return context

    def get_obj_perms_manage_user_form(self, request):
        return GrantUserForm

    def get_obj_perms_manage_group_form(self, request):
        return GrantGroupForm

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f != "who_can_see"]
        # Who holds which grant is for those who manage grants, not for all who see the unit.
        if obj and _manages_grants(request.user):
            fields.append("who_can_see")
        return fields

    @admin.display(description=_("who can see it"))
    def who_can_see(self, unit) -> str:
        rows = scope.who_can_see(unit)
        if not rows:
            return _("administrators only")
        return format_html(
            "<ul class='who-can-see'>{}</ul>",
            format_html_join("", "<li>{} <small>({})</small></li>", rows),
        )
