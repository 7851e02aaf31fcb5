"""The resident admin: masked sensitive fields, exact ID search, history and revert."""

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import lookup_spawns_duplicates
from django.contrib.admin.views.main import ORDER_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from archives import history, scope, search, services, sql
from archives.admin.base import ScopedArchiveAdmin, actor_of, list_count_known
from archives.admin.exports import ArchiveExportMixin
from archives.admin.filters import org_filters
from archives.admin.forms import EDIT_ONLY_FIELDS, ResidentForm
from archives.admin.imports import RESIDENTS, ImportMixin
from archives.admin.task_filters import VerificationDueFilter
from archives.admin.verify import ResidentVerifyMixin
from archives.models import Grid, Resident, SensitiveAccess
from archives.resources import ResidentResource

_ResidentTag = Resident.tags.through
#: Search readings whose matches one index finds, each few (a surname: 6,700 of a million).
_FEW_MATCHES = {search.Reading.NAME, search.Reading.ID_NUMBER, search.Reading.PHONE}


class TagFilter(admin.RelatedFieldListFilter):
    """Django's filter for the tags, with the same choices and parameters
    (``tags__id__exact``, ``tags__isnull``), answered by a subquery on the tags table instead
    of a join: a join gives a resident once per matching tag, so the list would need SELECT
    DISTINCT over every column, which made a tag's first page take 0.3–1.1 s at a million
    residents (a sort of all its residents, twice: for the rows and for the count)."""

    #: The query parameter naming the tags to show.
    PARAMETER = "tags__id__exact"

    def tag_ids(self) -> list[int] | None:
        """The tags filtered on, or None when none (or something not a tag ID) is named."""
        return self.parse(self.used_parameters.get(self.lookup_kwarg, []))

    @staticmethod
    def parse(named: Any) -> list[int] | None:
        """The tag IDs in the parameter's values, or None when none (or something not a tag
        ID) is named."""
        try:
            return [int(tag) for tag in named] or None
        except (TypeError, ValueError):
            return None

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        conditions = []
        try:
            if tag_ids := self.used_parameters.get(self.lookup_kwarg):
                tagged = _ResidentTag.objects.filter(tag_id__in=tag_ids)
                conditions.append(Q(pk__in=tagged.values("resident_id")))
            asked_untagged: Any = self.used_parameters.get(self.lookup_kwarg_isnull, [])
            for untagged in asked_untagged:
                any_tag = Exists(_ResidentTag.objects.filter(resident_id=OuterRef("pk")))
                conditions.append(~Q(any_tag) if untagged else Q(any_tag))
            return queryset.filter(*conditions)
        except (ValueError, ValidationError) as error:
            raise IncorrectLookupParameters(error) from error


class ResidentChangeList(ChangeList):
    """The list without SELECT DISTINCT for the tag filter, whose subquery never repeats a
    resident (any other filter that could still gets it), and counted from the tags table when
    nothing narrows what the reader sees and scope can say it that way
    (``scope.served_tags_only``: a department's staff).

    Filtered by tags alone, when every carrier of those tags is in the reader's scope
    (``scope.sees_every_carrier``: administrators, the whole city, a whole-city department
    serving the tags), the list is those carriers: read without the scope's own condition, which
    there keeps every row and only changes the plan (a department's check per row joined and
    sorted all 20,000 carriers of a tag for a page of 100), and counted from the tags table.

    A name search lists by name (``ResidentAdmin.get_ordering``) unless a column's heading was
    clicked: the name column's heading then shows it sorted, and the line under the search box
    says so."""

    #: Whether the rows are in name order because the search is a name (set by get_ordering).
    lists_by_name = False

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if self.lists_by_name:
            self.search_help_text = _(
                "Listed by name. Click a column's heading to sort by that column."
            )

    def get_ordering(self, request, queryset):
        self.lists_by_name = not self.params.get(ORDER_VAR) and self.model_admin.lists_by_name(
            request
        )
        return super().get_ordering(request, queryset)

    def get_ordering_field(self, field_name):
        # The name sorts as the search lists it, in the order of its index.
        if field_name == "name":
            return sql.name_order()[0]
        return super().get_ordering_field(field_name)

    def get_ordering_field_columns(self):
        if self.lists_by_name and "name" in self.list_display:
            return {self.list_display.index("name"): "asc"}
        return super().get_ordering_field_columns()

    def get_queryset(self, request, exclude_parameters=None):
        tag_ids = self._tags_alone() if exclude_parameters is None else None
        if tag_ids is None or not scope.sees_every_carrier(request.user, tag_ids):
            return super().get_queryset(request, exclude_parameters)
        restricted = self.root_queryset
        self.root_queryset = self.model_admin.every_resident(request)
        try:
            carriers = super().get_queryset(request)
        finally:
            self.root_queryset = restricted
        # Never wider than the scope: only when the tag filter kept exactly those tags.
        if self._applied_tags() != tag_ids:
            return super().get_queryset(request)
        return carriers

    def _tags_alone(self) -> list[int] | None:
        """The tags filtered on, when the tag filter is the list's only filter."""
        params = self.get_filters_params()
        if set(params) != {TagFilter.PARAMETER}:
            return None
        return TagFilter.parse(params[TagFilter.PARAMETER])

    def _applied_tags(self) -> list[int] | None:
        return next((s.tag_ids() for s in self.filter_specs if isinstance(s, TagFilter)), None)

    def get_results(self, request):
        if not self.query and (counted_tags := self._counted_from_tags(request)) is not None:
            list_count_known(request, scope.resident_tags_count(counted_tags))
        super().get_results(request)

    def _counted_from_tags(self, request) -> list[int] | None:
        """The tags whose residents are exactly the list's rows, when that can be said: the
        served tags, unfiltered; the tags filtered on, when only the tag filter is used and
        every carrier of them is in scope (the scope then adds nothing to the filter)."""
        if not self.has_active_filters:
            return scope.served_tags_only(request.user)
        tag_ids = self._tags_alone()
        if (
            tag_ids
            and tag_ids == self._applied_tags()
            and scope.sees_every_carrier(request.user, tag_ids)
        ):
            return tag_ids
        return None

    def get_filters(self, request):
        specs, has_filters, remaining, _duplicates, active = super().get_filters(request)
        duplicates = any(lookup_spawns_duplicates(self.lookup_opts, key) for key in remaining)
        duplicates |= any(
            isinstance(spec, admin.FieldListFilter)
            and not isinstance(spec, TagFilter)
            and spec.used_parameters
            and lookup_spawns_duplicates(self.lookup_opts, spec.field_path)
            for spec in specs
        )
        return specs, has_filters, remaining, duplicates, active


@admin.register(Resident)
class ResidentAdmin(ResidentVerifyMixin, ImportMixin, ArchiveExportMixin, ScopedArchiveAdmin):
    importer = RESIDENTS
    form = ResidentForm
    resource_classes = [ResidentResource]
    list_display = [
        "name",
        "id_number_shown",
        "sex",
        "birth_date_shown",
        "phone",
        "residency_status",
        "household",
        "grid_name",
        "tag_list",
    ]
    list_filter = [
        "residency_status",
        VerificationDueFilter,
        ("tags", TagFilter),
        "ethnicity",
        *org_filters("grid"),
    ]
    list_select_related = ["household__building", "grid"]
    # What clerks type, each looked up through an index: archives/search.py.
    search_fields = ["name"]
    search_help_text = _(
        "A surname or the start of a name, a whole ID number, the last digits of a phone "
        "number, or the start of an address."
    )
    autocomplete_fields = ["household", "tags"]
    readonly_fields = ["last_verified_at", "last_verified_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "id_number", "sex", "birth_date", "ethnicity", "phone"]}),
        (
            _("Household"),
            {"fields": ["household", "relation_to_head", "residency_status", "tags"]},
        ),
        (_("Health"), {"fields": ["medical_history"]}),
        (
            _("Record"),
            {
                "fields": [
                    "last_verified_at",
                    "last_verified_by",
                    "created_at",
                    "updated_at",
                    "change_reason",
                    "loaded_version",
                ]
            },
        ),
    ]

    def get_changelist(self, request, **kwargs):
        return ResidentChangeList

    def list_narrowed(self, request):
        # A tag's residents are read from the tags index, a searched name's, ID number's or
        # phone's from theirs: a department's scope is then checked for each of them rather
        # than for every resident it serves (its count of a surname's 6,700 residents hashed
        # all 163,000 served ones first). Not a term that also starts addresses: a road's
        # residents can be most of a street.
        if TagFilter.PARAMETER in request.GET:
            return True
        term = request.GET.get(SEARCH_VAR, "")
        return bool(term) and self._reading(request, term) in _FEW_MATCHES

    def get_queryset(self, request):
        return self._listed(super().get_queryset(request), request)

    def every_resident(self, request) -> QuerySet[scope.FlaggedResident]:
        """Every resident, as the list shows them, without the scope's condition: only for a
        list that its filter keeps within the scope (``ResidentChangeList.get_queryset``)."""
        return self._listed(admin.ModelAdmin.get_queryset(self, request), request)

    def _listed(self, residents: QuerySet[Resident], request) -> QuerySet[scope.FlaggedResident]:
        # Each row says whether this user may read its ID number and medical history in full.
        return scope.with_sensitive_flags(residents.prefetch_related("tags"), request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # What the form may say about an ID number held elsewhere depends on who types it.
        return type(form.__name__, (form,), {"user": actor_of(request)})

    def get_fieldsets(self, request, obj=None):
        # Fields the user may not read are not in the form at all: not shown, not posted back.
        hidden = self._hidden_sensitive_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            hidden |= set(EDIT_ONLY_FIELDS)
        fieldsets = []
        for title, options in self.fieldsets:
            fields = [
                self._MASKED_STAND_INS.get(f, f) if f in hidden else f
                for f in options["fields"]
                if not (f in (scope.MEDICAL_HISTORY, *EDIT_ONLY_FIELDS) and f in hidden)
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
        return scope.hidden_fields(request.user, obj)

    def get_search_results(self, request, queryset, search_term):
        reading = self._reading(request, search_term)
        return search.resident_search(queryset, search_term, reading), False

    def get_ordering(self, request):
        # A name search lists by name, like a phone book: the name index then answers the page
        # without sorting every match by grid and address (archives/search.py). A clicked
        # heading still wins (the changelist puts it first).
        if self.lists_by_name(request):
            return sql.name_order()
        return super().get_ordering(request)

    def lists_by_name(self, request: HttpRequest) -> bool:
        """Whether the list's search term is only a name."""
        term = request.GET.get(SEARCH_VAR, "")
        return bool(term) and self._reading(request, term) is search.Reading.NAME

    @staticmethod
    def _reading(request: HttpRequest, term: str) -> search.Reading:
        # Asked for the ordering and for the search: the probe of the addresses runs once.
        readings = request.__dict__.setdefault("_resident_search_readings", {})
        if term not in readings:
            readings[term] = search.read_term(term)
        return readings[term]

    @admin.display(description=_("ID number"))
    def id_number_shown(self, resident: scope.FlaggedResident) -> str:
        if resident.shows_id_number:
            return resident.id_number
        return scope.mask_id_number(resident.id_number)

    @admin.display(description=_("ID number"))
    def masked_id_number(self, resident: Resident) -> str:
        return scope.mask_id_number(resident.id_number)

    @admin.display(description=_("birth date"), ordering="birth_date")
    def birth_date_shown(self, resident: scope.FlaggedResident) -> str:
        if resident.shows_id_number:
            return formats.date_format(resident.birth_date)
        return self.age(resident)

    @admin.display(description=_("age"))
    def age(self, resident: Resident) -> str:
        return _("%(age)d years") % {"age": resident.age_on(timezone.localdate())}

    # Not named "grid": the admin would show the model's field of that name instead.
    @admin.display(description=_("grid"), ordering="grid__name")
    def grid_name(self, resident: Resident) -> Grid:
        return resident.grid

    @admin.display(description=_("tags"))
    def tag_list(self, resident: Resident) -> str:
        return "、".join(tag.name for tag in resident.tags.all())

    # Saving: one history entry per save, tags included; no lost updates -------------------

    def save_model(self, request, obj, form, change):
        try:
            services.resident_save(
                resident=obj,
                actor=actor_of(request),
                tags=form.cleaned_data.get("tags"),
                reason=self.change_reason(form),
                loaded_version=form.cleaned_data.get("loaded_version"),
            )
        except services.ConcurrentEditError as conflict:
            conflict.attempted = [
                str(form.fields[name].label)
                for name in form.changed_data
                if name not in EDIT_ONLY_FIELDS
            ]
            raise

    def save_related(self, request, form, formsets, change):
        # The tags were saved by resident_save, in the same history entry as the fields.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ConcurrentEditError as conflict:
            # The transaction around the view is rolled back: nothing of this save remains.
            messages.error(request, self._conflict_message(request, conflict))
            return HttpResponseRedirect(request.path)

    def _conflict_message(self, request, conflict: services.ConcurrentEditError) -> str:
        since = [
            entry
            for entry in history.row_history(conflict.resident, request.user, limit=20)
            if entry.record.version > conflict.loaded_version
        ]
        changes = "; ".join(
            f"{change.label}: {change.old or '—'} → {change.new}"
            for entry in reversed(since)
            for change in entry.changes
        )
        who = ", ".join(sorted({entry.who for entry in since})) or _("someone")
        return _(
            "Not saved: %(who)s saved this file after you opened it. Changed in between: "
            "%(changes)s. Your edits (%(yours)s) were not applied; the form now shows the "
            "current file — make them again if they still apply."
        ) % {
            "who": who,
            "changes": changes or "—",
            "yours": "、".join(getattr(conflict, "attempted", [])) or "—",
        }

    def delete_model(self, request: HttpRequest, obj: Resident) -> None:
        # Only administrators get here (has_delete_permission); the history keeps the record.
        services.resident_delete(resident=obj, actor=actor_of(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Resident]) -> None:
        # The list's "delete selected": each file as delete_model removes it.
        for resident in queryset:
            services.resident_delete(resident=resident, actor=actor_of(request))

    def has_delete_permission(self, request, obj=None):
        return scope.may_delete_residents(request.user) and super().has_delete_permission(
            request, obj
        )

    # Reading: unmasked values are logged ------------------------------------------------------

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            services.sensitive_reads_record(
                user=actor_of(request),
                shown={
                    r.pk: {scope.ID_NUMBER} for r in changelist.result_list if r.shows_id_number
                },
                view=SensitiveAccess.View.LIST,
            )
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            self._log_reads(request, obj, SensitiveAccess.View.FILE)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _log_reads(self, request, obj: Resident, view: str) -> None:
        services.resident_sensitive_reads_record(user=actor_of(request), resident=obj, view=view)

    # History: who changed what, when and why; the file as of a date; revert ----------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/history/<int:history_id>/",
                view(self.history_entry_view),
                name=f"{prefix}_history_entry",
            ),
            path(
                "<path:object_id>/history/<int:history_id>/revert/",
                view(self.revert_view),
                name=f"{prefix}_revert",
            ),
            *super().get_urls(),
        ]

    def history_context(self, request, obj: Resident) -> dict:
        try:
            as_of_day = parse_date(request.GET.get("as_of") or "")
        except ValueError:  # well-formed but impossible, e.g. 2026-02-30
            as_of_day = None
        snapshot = None
        if as_of_day is not None:
            end_of_day = timezone.make_aware(dt.datetime.combine(as_of_day, dt.time.max))
            snapshot = history.resident_as_of(obj, request.user, end_of_day)
        self._log_reads(request, obj, SensitiveAccess.View.HISTORY)
        return {
            **super().history_context(request, obj),
            "as_of_enabled": True,
            "as_of": as_of_day,
            "as_of_asked": "as_of" in request.GET,
            "snapshot": snapshot,
            "entry_links": True,
        }

    def history_entry_view(self, request, object_id, history_id):
        obj = self._viewable(request, object_id)
        record = get_object_or_404(obj.history, history_id=history_id)
        self._log_reads(request, obj, SensitiveAccess.View.HISTORY)
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(name)s as of %(when)s")
            % {"name": obj, "when": formats.localize(timezone.localtime(record.history_date))},
            "opts": self.opts,
            "object": obj,
            "record": record,
            "snapshot": history.file_at(record, request.user),
            "can_revert": self.has_change_permission(request, obj),
        }
        return TemplateResponse(request, "admin/archives/resident/history_entry.html", context)

    def revert_view(self, request, object_id, history_id):
        obj = self._viewable(request, object_id)
        entry_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_history_entry",
            args=[obj.pk, history_id],
        )
        if request.method != "POST":
            return HttpResponseRedirect(entry_url)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        record = get_object_or_404(obj.history, history_id=history_id)
        try:
            services.resident_revert(resident=obj, record=record, actor=actor_of(request))
        except ValidationError as error:
            messages.error(request, _("Not reverted: %(why)s") % {"why": " ".join(error.messages)})
            return HttpResponseRedirect(entry_url)
        messages.success(
            request, _("The file is back to that version; the revert is in the history.")
        )
        return HttpResponseRedirect(reverse("admin:archives_resident_history", args=[obj.pk]))
