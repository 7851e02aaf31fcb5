"""The admin classes every page builds on: lists, object pages, choices and grant pages that
follow ``archives.scope``."""

import html
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IS_FACETS_VAR, IS_POPUP_VAR, TO_FIELD_VAR
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ALL_VAR, ERROR_FLAG, ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    ReinforcedGuardedModelAdminMixin,
)

from accounts.types import Actor
from archives import history, scope
from archives.admin.forms import EDIT_ONLY_FIELDS, ChangeReasonForm
from archives.admin.paging import EstimatingPaginator
from archives.models import Grid

if TYPE_CHECKING:
    # The mixins below are only ever mixed into a ModelAdmin; say so to the type checker.
    ModelAdminMixinBase = admin.ModelAdmin[Any]
else:
    ModelAdminMixinBase = object


#: Where a list's count found without counting its query waits for its paginator.
_KNOWN_COUNT = "_list_count_known"


def list_count_known(request: HttpRequest, count: int) -> None:
    """Give the list's paginator its number of rows, found more cheaply than by counting the
    list's query (from the kept tags): ``ScopedAdmin`` pages by it instead of a COUNT."""
    setattr(request, _KNOWN_COUNT, count)


def actor_of(request: HttpRequest) -> Actor:
    """The signed-in account behind an admin request, as the services want their actor: the
    admin site lets nobody else reach its pages, so anything else is refused."""
    user = request.user
    if not isinstance(user, Actor) or not user.is_active:
        raise PermissionDenied
    return user


#: Query-string parameters that Django's changelist reads itself (paging, popups, facets,
#: "show all", the error flag), and the filters a change page carries back to the list.
_LIST_PARAMETERS = {
    ALL_VAR,
    PAGE_VAR,
    ERROR_FLAG,
    IS_POPUP_VAR,
    TO_FIELD_VAR,
    IS_FACETS_VAR,
    "_changelist_filters",
}
#: What Django's field filters put after a field's path: ``status__exact``, ``tags__id__exact``,
#: ``street__isnull``, a date filter's ``__gte`` and ``__lt``.
_FIELD_FILTER_SUFFIXES = ("", "__exact", "__isnull", "__id__exact", "__gte", "__lt")


class DeclaredLookupsOnly(ModelAdminMixinBase):
    """A list answers only the questions it offers: its filters, its sortable columns and its
    search box. Any other query-string lookup, and any that touches a field the user may not
    read, is refused with 400 on the list and on its export (``scope.lookup_allowed``).

    Every model admin of the portal builds on this, directly or through ``ScopedAdmin``.
    """

    def declared_filter_parameters(self, request) -> set[str]:
        parameters: set[str] = set()
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
                if item.parameter_name:
                    parameters.add(item.parameter_name)
                continue
            # A field path, alone or paired with its filter class.
            path = str(item[0] if isinstance(item, list | tuple) else item)
            parameters.update(path + suffix for suffix in _FIELD_FILTER_SUFFIXES)
        if self.date_hierarchy:
            parameters.update(f"{self.date_hierarchy}__{part}" for part in ("year", "month", "day"))
        return parameters

    def lookup_allowed(self, lookup, value, request=None):
        if request is None:  # asked without a user: only what every list offers
            return False
        return scope.lookup_allowed(
            request.user, self.model, lookup, declared=self.declared_filter_parameters(request)
        )

    def _ordering_paths(self, request) -> dict[str, str | None]:
        """{column: the field its header sorts by} for the list's sortable columns."""
        sortable = set(self.get_sortable_by(request))
        paths: dict[str, str | None] = {}
        for name in self.get_list_display(request):
            if isinstance(name, str) and name in sortable:
                paths[name] = _order_of(self, name) or None
        return paths

    def get_sortable_by(self, request):
        # A column sorted by a hidden value would give its order away: no header link for it.
        sortable = super().get_sortable_by(request)
        return [
            name
            for name in sortable
            if not (
                isinstance(name, str)
                and scope.touches_hidden_field(request.user, self.model, _order_of(self, name))
            )
        ]

    def refused_query(self, request) -> str | None:
        """Why the list's query string is refused (for the 400 page), or None."""
        user, declared = request.user, self.declared_filter_parameters(request)
        for key, value in request.GET.lists():
            if key in _LIST_PARAMETERS:
                continue
            if key == ORDER_VAR:
                if any(value) and not self._ordering_allowed(request, ",".join(value)):
                    return gettext("This list cannot be sorted that way.")
            elif key == SEARCH_VAR:
                if any(v.strip() for v in value) and not self._search_allowed(request):
                    return gettext("This list cannot be searched that way.")
            elif not scope.lookup_allowed(user, self.model, key, declared=declared):
                return gettext("This list cannot be filtered by “%(name)s”.") % {"name": key}
        return None

    def _ordering_allowed(self, request, order: str) -> bool:
        list_display = list(self.get_list_display(request))
        if self.get_actions(request):
            list_display = ["action_checkbox", *list_display]
        paths = self._ordering_paths(request)
        for part in order.replace(",", ".").split("."):
            index = part.rpartition("-")[2]
            if not index.isdigit() or int(index) >= len(list_display):
                return False
            column = list_display[int(index)]
            if column not in paths:
                return False  # not a sortable column (for this user)
            path = paths[column]
            if path is not None and not scope.lookup_allowed(
                request.user, self.model, path, declared={path}
            ):
                return False
        return True

    def _search_allowed(self, request) -> bool:
        fields = [f.lstrip("^=@") for f in self.get_search_fields(request)]
        if not fields:
            return False
        return all(
            scope.lookup_allowed(request.user, self.model, f, declared=fields) for f in fields
        )

    def refused_response(self, request, why: str) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Request refused"),
            "opts": self.opts,
            "why": why,
            "list_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist",
                current_app=self.admin_site.name,
            ),
        }
        return TemplateResponse(request, "admin/refused_query.html", context, status=400)

    def changelist_view(self, request, extra_context=None):
        if why := self.refused_query(request):
            return self.refused_response(request, why)
        return super().changelist_view(request, extra_context)


def _order_of(model_admin, column: str) -> str:
    """The field a column sorts by (empty when it is not a field path)."""
    try:
        return model_admin.model._meta.get_field(column).name
    except FieldDoesNotExist:
        pass
    attr = getattr(model_admin, column, None) or getattr(model_admin.model, column, None)
    if isinstance(attr, property):
        attr = attr.fget
    order = getattr(attr, "admin_order_field", None)
    return order if isinstance(order, str) else ""


class ScopedAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    """Lists, object pages and autocomplete follow ``archives.scope``.

    Object questions go through ``user.has_perm(perm, obj)``, which the scope backend answers,
    so this admin and third-party admin code ask the same place.

    Lists count once: not a second time for "N total" (``show_full_result_count``), never per
    filter choice (facets), and an unfiltered list of a large table is estimated.
    """

    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatingPaginator

    def action_checkbox(self, obj):
        """Django's row checkbox, the same markup written out: Django renders it as a form
        widget through three templates, once per row, a fifth of a 100-row list's CPU. Joined
        as one string (the label's text escaped, the translated sentence taken as markup, as
        ``format_html`` takes its format) rather than through ``format_html``, whose lazy-argument
        checks cost as much again."""
        label = gettext("Select this object for an action - {}").format(html.escape(str(obj)))
        return mark_safe(
            f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" '
            f'value="{html.escape(str(obj.pk))}" class="action-select" aria-label="{label}">'
        )

    def get_paginator(self, request, *args, **kwargs):
        paginator = super().get_paginator(request, *args, **kwargs)
        known = getattr(request, _KNOWN_COUNT, None)
        if known is not None:
            paginator.__dict__["count"] = known  # Paginator.count is a cached property
        return paginator

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if for_model := _autocomplete_source_model(request):
            # Choices offered while editing another row: only where that row may be written.
            return scope.writable(queryset, request.user, for_model=for_model)
        return scope.restrict(
            queryset, request.user, scope.VIEW, narrowed=self.list_narrowed(request)
        )

    def list_narrowed(self, request) -> bool:
        """Whether the page's own filter keeps few rows through an index of its own
        (``scope.restrict(..., narrowed=True)``)."""
        return False

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
        perm = scope.permission_name(self.model, action)
        if request.method not in ("GET", "HEAD") or obj.pk is None:
            return request.user.has_perm(perm, obj)
        # A page asks the same question of its object several times (the change form: the
        # view, each inline, the buttons, the fields shown), each a query; a page that only
        # reads gets the same answer each time, so it is asked once per request. Never kept
        # across requests, nor in a POST, whose save may move the object out of scope.
        answers: dict[tuple[str, object], bool] = request.__dict__.setdefault("_object_perms", {})
        key = (perm, obj.pk)
        if key not in answers:
            answers[key] = request.user.has_perm(perm, obj)
        return answers[key]


def _autocomplete_source_model(request) -> type[Model] | None:
    """The model whose form asks an autocomplete for choices, if this request is one."""
    match = request.resolver_match
    if match is None or match.url_name != "autocomplete":
        return None
    try:
        return apps.get_model(request.GET["app_label"], request.GET["model_name"])
    except (KeyError, LookupError, ValueError):
        return None  # the autocomplete view itself refuses such a request


class HistoryAdminMixin(ModelAdminMixinBase):
    """Every form asks for an optional reason that the history keeps, and the history page
    shows who changed what, when and why, field by field.

    The page replaces Django's list of admin log entries, which says neither why nor what a
    field said before, and misses changes made outside the admin.
    """

    form: Any = ChangeReasonForm
    #: The fields the history page shows, for a higher app's model that
    #: ``archives.history.HISTORY_FIELDS`` cannot name; None: that table's entry.
    history_fields: list[str] | None = None

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            fields = [f for f in fields if f not in EDIT_ONLY_FIELDS]
        return fields

    @staticmethod
    def change_reason(form) -> str:
        return form.cleaned_data.get("change_reason", "")

    def save_model(self, request, obj, form, change):
        # Each page saves through its service (archives.services), which checks scope again
        # and records the actor and the reason; never Django's bare save.
        raise NotImplementedError(f"{type(self).__name__} saves through a service")

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
            "entries": history.row_history(obj, request.user, fields=self.history_fields),
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


# guardian types its change_form_template as a plain str where Django allows None.
class OrgUnitAdmin(HistoryAdminMixin, ReinforcedGuardedModelAdminMixin, ScopedAdmin):  # type: ignore[misc]
    """Org units are listed within scope; grants on them are managed on guardian's pages, which
    ask for change rights on the unit and on guardian's permission tables (administrators).
    """

    search_fields = ["code", "name"]
    readonly_fields = ["who_can_see"]

    def save_related(self, request, form, formsets, change):
        # The units' links (grid members, a department's tags and streets) were saved by the
        # unit's service with the unit.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

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
    def who_can_see(self, unit: Model) -> str:
        rows = scope.who_can_see(unit)
        if not rows:
            return gettext("administrators only")
        return format_html(
            "<ul class='who-can-see'>{}</ul>",
            format_html_join("", "<li>{} <small>({})</small></li>", rows),
        )
