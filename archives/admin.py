from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count, Model
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    ReinforcedGuardedModelAdminMixin,
)

from archives import scope, services
from archives.admin_filters import CommunityStreetFilter, org_filters
from archives.models import (
    Building,
    Community,
    Department,
    Grid,
    Household,
    Resident,
    Street,
    Tag,
    Visit,
)
from archives.validators import ID_NUMBER_SHAPE, normalize_id_number


class ScopedAdmin(admin.ModelAdmin):
    """Lists, object pages and autocomplete follow ``archives.scope``.

    Object questions go through ``user.has_perm(perm, obj)``, which the scope backend answers,
    so this admin and third-party admin code ask the same place.
    """

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


class ScopedArchiveAdmin(ScopedAdmin):
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


class OrgUnitAdmin(ReinforcedGuardedModelAdminMixin, ScopedAdmin):
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


@admin.register(Street)
class StreetAdmin(OrgUnitAdmin):
    list_display = ["code", "name", "community_count"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(community_count=Count("communities"))

    @admin.display(description=_("communities"), ordering="community_count")
    def community_count(self, street: Street) -> int:
        return street.community_count


@admin.register(Community)
class CommunityAdmin(OrgUnitAdmin):
    list_display = ["code", "name", "street", "grid_count"]
    list_filter = [CommunityStreetFilter]
    list_select_related = ["street"]
    autocomplete_fields = ["street"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(grid_count=Count("grids"))

    @admin.display(description=_("grids"), ordering="grid_count")
    def grid_count(self, community: Community) -> int:
        return community.grid_count


@admin.register(Grid)
class GridAdmin(OrgUnitAdmin):
    list_display = ["code", "name", "community", "street"]
    list_filter = org_filters("")[:2]
    list_select_related = ["community__street"]
    autocomplete_fields = ["community", "members"]

    @admin.display(description=_("street"), ordering="community__street__name")
    def street(self, grid: Grid) -> Street:
        return grid.community.street


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "needs_visits_per_month"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(OrgUnitAdmin):
    list_display = ["code", "name", "serves_whole_city", "shares_medical_history"]
    filter_horizontal = ["served_tags", "streets"]


@admin.register(Building)
class BuildingAdmin(ScopedArchiveAdmin):
    list_display = ["address", "grid", "community", "units", "floors"]
    list_filter = org_filters("grid")
    list_select_related = ["grid__community"]
    search_fields = ["address", "grid__code"]
    autocomplete_fields = ["grid"]

    @admin.display(description=_("community"), ordering="grid__community__name")
    def community(self, building: Building) -> Community:
        return building.grid.community

    def save_model(self, request, obj, form, change):
        services.building_save(building=obj, actor=request.user)


@admin.register(Household)
class HouseholdAdmin(ScopedArchiveAdmin):
    list_display = ["__str__", "status", "grid"]
    list_filter = ["status", *org_filters("building__grid")]
    show_full_result_count = False
    search_fields = ["building__address", "=room"]
    autocomplete_fields = ["building"]

    def get_queryset(self, request):
        # Its name includes the building's address, also in autocomplete results. (A queryset
        # that already selects related rows makes the changelist skip list_select_related.)
        return super().get_queryset(request).select_related("building__grid")

    @admin.display(description=_("grid"), ordering="building__grid__name")
    def grid(self, household: Household) -> Grid:
        return household.building.grid

    def save_model(self, request, obj, form, change):
        services.household_save(household=obj, actor=request.user)


@admin.register(Resident)
class ResidentAdmin(ScopedArchiveAdmin):
    list_display = [
        "name",
        "id_number_shown",
        "sex",
        "birth_date_shown",
        "phone",
        "residency_status",
        "household",
        "grid",
        "tag_list",
    ]
    list_filter = [
        "residency_status",
        "tags",
        "ethnicity",
        *org_filters("household__building__grid"),
    ]
    list_select_related = ["household__building__grid"]
    # Name or phone by any part; a whole ID number is looked up exactly (get_search_results).
    search_fields = ["name", "phone"]
    autocomplete_fields = ["household", "tags"]
    readonly_fields = ["last_verified_at", "last_verified_by", "created_at", "updated_at"]
    # Counting the whole archive a second time for "N total" costs a full scan at province scale.
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["name", "id_number", "sex", "birth_date", "ethnicity", "phone"]}),
        (
            _("Household"),
            {"fields": ["household", "relation_to_head", "residency_status", "tags"]},
        ),
        (_("Health"), {"fields": ["medical_history"]}),
        (
            _("Record"),
            {"fields": ["last_verified_at", "last_verified_by", "created_at", "updated_at"]},
        ),
    ]

    def get_queryset(self, request):
        residents = super().get_queryset(request).prefetch_related("tags")
        # Each row says whether this user may read its ID number and medical history in full.
        return scope.with_sensitive_flags(residents, request.user)

    def get_fieldsets(self, request, obj=None):
        # Fields the user may not read are not in the form at all: not shown, not posted back.
        hidden = self._hidden_sensitive_fields(request, obj)
        fieldsets = []
        for title, options in self.fieldsets:
            fields = [
                self._MASKED_STAND_INS.get(f, f) if f in hidden else f
                for f in options["fields"]
                if not (f == scope.MEDICAL_HISTORY and f in hidden)
            ]
            if fields:
                fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets

    #: What a user who may not read a field sees in its place on the form.
    _MASKED_STAND_INS = {scope.ID_NUMBER: "masked_id_number", "birth_date": "age"}

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        hidden = self._hidden_sensitive_fields(request, obj)
        return readonly + [self._MASKED_STAND_INS[f] for f in hidden if f in self._MASKED_STAND_INS]

    def _hidden_sensitive_fields(self, request, obj) -> set[str]:
        if obj is None:  # a new resident: the person adding types the ID number in
            return set()
        sensitive = {scope.ID_NUMBER, scope.MEDICAL_HISTORY}
        if hasattr(obj, "shows_id_number"):  # loaded through get_queryset
            hidden = {field for field in sensitive if not getattr(obj, f"shows_{field}")}
        else:
            hidden = sensitive - scope.sensitive_fields_shown(request.user, obj)
        if scope.ID_NUMBER in hidden:
            # The birth date is digits 7-14 of the ID number: with the unmasked ends it would
            # give the whole number back.
            hidden.add("birth_date")
        return hidden

    def get_search_results(self, request, queryset, search_term):
        # An ID number is the one exact key: answer it from its index alone instead of OR-ing it
        # with substring scans of names and phones. Only rows whose ID number the user may read
        # answer it: otherwise a search would confirm whose number it is.
        term = normalize_id_number(search_term)
        if ID_NUMBER_SHAPE.match(term):
            return queryset.filter(id_number=term, shows_id_number=True), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("ID number"))
    def id_number_shown(self, resident: Resident) -> str:
        if resident.shows_id_number:
            return resident.id_number
        return scope.mask_id_number(resident.id_number)

    @admin.display(description=_("ID number"))
    def masked_id_number(self, resident: Resident) -> str:
        return scope.mask_id_number(resident.id_number)

    @admin.display(description=_("birth date"), ordering="birth_date")
    def birth_date_shown(self, resident: Resident) -> str:
        if resident.shows_id_number:
            return formats.date_format(resident.birth_date)
        return self.age(resident)

    @admin.display(description=_("age"))
    def age(self, resident: Resident) -> str:
        return _("%(age)d years") % {"age": resident.age_on(timezone.localdate())}

    @admin.display(description=_("grid"), ordering="household__building__grid__name")
    def grid(self, resident: Resident) -> Grid:
        return resident.household.building.grid

    @admin.display(description=_("tags"))
    def tag_list(self, resident: Resident) -> str:
        return "、".join(tag.name for tag in resident.tags.all())

    def save_model(self, request, obj, form, change):
        services.resident_save(resident=obj, actor=request.user)


@admin.register(Visit)
class VisitAdmin(ScopedArchiveAdmin):
    list_display = ["visited_at", "household", "grid_member", "note"]
    list_filter = org_filters("household__building__grid")
    list_select_related = ["household__building", "grid_member"]
    search_fields = ["household__building__address", "note"]
    autocomplete_fields = ["household"]
    # No date_hierarchy: its year/month links scan every visit for DISTINCT DATE_TRUNC (0.7 s at
    # 850,000 visits); the newest visits come first through the (visited_at, id) index.
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "grid_member":
            # The members of the grids the user may log visits in: a handful of people.
            members = get_user_model().objects.filter(
                grids__in=scope.writable(Grid.objects.all(), request.user, for_model=Visit)
            )
            kwargs["queryset"] = members.distinct().order_by("username")
            kwargs.setdefault("initial", request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        services.visit_save(visit=obj, actor=request.user)
