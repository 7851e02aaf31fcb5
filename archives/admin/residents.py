"""The resident admin: masked sensitive fields, exact ID search, history and revert."""

from django.contrib import admin
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from archives import scope, services
from archives.admin.base import ScopedArchiveAdmin
from archives.admin.filters import org_filters
from archives.models import (
    Grid,
    Resident,
)
from archives.validators import ID_NUMBER_SHAPE, normalize_id_number


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
