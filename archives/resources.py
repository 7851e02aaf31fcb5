"""django-import-export resources: how residents, households, buildings and visits look as
spreadsheet rows.

Every resource is built for one user. Its queryset (which the import loader also uses to find
existing rows) is narrowed by ``archives.scope``, sensitive values are masked as on every page,
and every exported text cell is neutralised against formula injection.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import F, Prefetch, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from import_export import fields, resources

from archives import scope
from archives.models import Building, Household, Resident, Tag, Visit
from archives.spreadsheets import neutralise


@dataclass
class FullValuesShown:
    """Which sensitive fields an export wrote in full, and in which rows (by primary key)."""

    fields: set[str] = field(default_factory=set)
    rows: set[int] = field(default_factory=set)

    def add(self, name: str, pk: int) -> None:
        self.fields.add(name)
        self.rows.add(pk)


#: An export in a job tells its progress after every so many rows.
PROGRESS_EVERY = 1000


class ScopedResource(resources.ModelResource):
    def __init__(
        self,
        *,
        user=None,
        shown: FullValuesShown | None = None,
        progress: Callable[[int], None] | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.user = user
        self.shown = shown if shown is not None else FullValuesShown()
        # Called with the rows read so far (an export in a job shows them on its progress page).
        self.progress = progress
        self.label = _Labels()
        self._readers: dict[tuple, list] = {}

    def get_queryset(self):
        # The import loader finds existing rows here: never outside the user's scope.
        return scope.restrict(super().get_queryset(), self.user, scope.CHANGE)

    def iter_queryset(self, queryset):
        # Django's iterator prefetches per chunk; the library pages with OFFSET instead when
        # there are prefetches, and each page of a large export then costs more than the last.
        rows = (
            queryset.iterator(chunk_size=self.get_chunk_size())
            if isinstance(queryset, QuerySet)
            else queryset
        )
        if self.progress is None:
            yield from rows
            return
        done = 0
        for done, row in enumerate(rows, start=1):
            yield row
            if done % PROGRESS_EVERY == 0:
                self.progress(done)
        self.progress(done)

    def export_resource(self, instance, selected_fields=None, **kwargs):
        return [neutralise(read(instance)) for read in self._cell_readers(selected_fields)]

    def _cell_readers(self, selected_fields) -> list:
        """What reads each exported cell, worked out once per export rather than once per cell
        (the library looks up the field list and each dehydrate method for every row)."""
        key = tuple(selected_fields or ())
        if key not in self._readers:
            readers = []
            for field in self.get_export_fields(selected_fields):
                name = self.get_field_name(field)
                method = field.get_dehydrate_method(name)
                if not callable(method):
                    method = getattr(self, method, None)
                readers.append(method or field.export)
            self._readers[key] = readers
        return self._readers[key]


class _Labels:
    """Choice labels in the active language, looked up once per export instead of per cell
    (Django's get_FOO_display rebuilds its dictionary on every call)."""

    def __init__(self) -> None:
        self._tables: dict[tuple[type, str], dict] = {}

    def __call__(self, instance, name: str) -> str:
        key = (type(instance), name)
        if key not in self._tables:
            field = type(instance)._meta.get_field(name)
            self._tables[key] = {value: str(label) for value, label in field.flatchoices}
        value = getattr(instance, name)
        return self._tables[key].get(value, value)


class BuildingResource(ScopedResource):
    grid = fields.Field(attribute="grid__code", column_name=_("grid code"))
    address = fields.Field(attribute="address", column_name=_("address"))
    units = fields.Field(attribute="units", column_name=_("units"))
    floors = fields.Field(attribute="floors", column_name=_("floors"))
    latitude = fields.Field(attribute="latitude", column_name=_("latitude"))
    longitude = fields.Field(attribute="longitude", column_name=_("longitude"))

    class Meta:
        model = Building
        fields = ["grid", "address", "units", "floors", "latitude", "longitude"]
        export_order = fields
        chunk_size = 2000


class HouseholdResource(ScopedResource):
    grid = fields.Field(attribute="building__grid__code", column_name=_("grid code"))
    building = fields.Field(attribute="building__address", column_name=_("building address"))
    unit = fields.Field(attribute="unit", column_name=_("unit"))
    floor = fields.Field(attribute="floor", column_name=_("floor"))
    room = fields.Field(attribute="room", column_name=_("room"))
    status = fields.Field(column_name=_("status"))

    class Meta:
        model = Household
        fields = ["grid", "building", "unit", "floor", "room", "status"]
        export_order = fields
        chunk_size = 2000

    def dehydrate_status(self, household: Household) -> str:
        return self.label(household, "status")


_RESIDENT_COLUMNS = {field.name for field in Resident._meta.concrete_fields}
_RESIDENT_ADDRESS = {
    "grid_code": F("household__building__grid__code"),
    "building_address": F("household__building__address"),
    "household_unit": F("household__unit"),
    "household_floor": F("household__floor"),
    "household_room": F("household__room"),
}


class ResidentResource(ScopedResource):
    id_number = fields.Field(column_name=_("resident ID number"))
    name = fields.Field(attribute="name", column_name=pgettext_lazy("person", "name"))
    sex = fields.Field(column_name=_("sex"))
    birth_date = fields.Field(column_name=_("birth date"))
    ethnicity = fields.Field(column_name=_("ethnicity"))
    phone = fields.Field(attribute="phone", column_name=_("phone"))
    # The address columns are read into the resident's own row (see filter_export).
    grid = fields.Field(attribute="grid_code", column_name=_("grid code"))
    building = fields.Field(attribute="building_address", column_name=_("building address"))
    unit = fields.Field(attribute="household_unit", column_name=_("unit"))
    floor = fields.Field(attribute="household_floor", column_name=_("floor"))
    room = fields.Field(attribute="household_room", column_name=_("room"))
    relation_to_head = fields.Field(column_name=_("relation to head of household"))
    residency_status = fields.Field(column_name=_("residency status"))
    tags = fields.Field(column_name=_("tags"))
    medical_history = fields.Field(column_name=_("medical history"))

    class Meta:
        model = Resident
        fields = [
            "id_number",
            "name",
            "sex",
            "birth_date",
            "ethnicity",
            "phone",
            "grid",
            "building",
            "unit",
            "floor",
            "room",
            "relation_to_head",
            "residency_status",
            "tags",
            "medical_history",
        ]
        export_order = fields
        chunk_size = 2000

    def filter_export(self, queryset, **kwargs):
        # One query per chunk, not per row: each row carries its masking flags, its address as
        # plain columns and its tags as a list. Related model instances and a tag manager per
        # row would take most of an export's time.
        queryset = super().filter_export(queryset, **kwargs)
        if "shows_id_number" not in queryset.query.annotations:
            queryset = scope.with_sensitive_flags(queryset, self.user)
        return (
            queryset.select_related(None)
            .only(*(name for name in self._meta.fields if name in _RESIDENT_COLUMNS))
            .annotate(**_RESIDENT_ADDRESS)
            .prefetch_related(
                Prefetch("tags", queryset=Tag.objects.only("name"), to_attr="tag_list")
            )
        )

    def _hidden(self, resident: Resident) -> set[str]:
        return scope.hidden_fields(self.user, resident)

    def dehydrate_id_number(self, resident: Resident) -> str:
        if scope.ID_NUMBER in self._hidden(resident):
            return scope.mask_id_number(resident.id_number)
        self.shown.add(scope.ID_NUMBER, resident.pk)
        return resident.id_number

    def dehydrate_birth_date(self, resident: Resident) -> str:
        if "birth_date" in self._hidden(resident):
            return ""  # digits 7-14 of the ID number
        self.shown.add("birth_date", resident.pk)
        return resident.birth_date.isoformat()

    def dehydrate_medical_history(self, resident: Resident) -> str:
        if scope.MEDICAL_HISTORY in self._hidden(resident):
            return ""
        if resident.medical_history:
            self.shown.add(scope.MEDICAL_HISTORY, resident.pk)
        return resident.medical_history

    def dehydrate_sex(self, resident: Resident) -> str:
        return self.label(resident, "sex")

    def dehydrate_ethnicity(self, resident: Resident) -> str:
        return self.label(resident, "ethnicity")

    def dehydrate_relation_to_head(self, resident: Resident) -> str:
        return self.label(resident, "relation_to_head")

    def dehydrate_residency_status(self, resident: Resident) -> str:
        return self.label(resident, "residency_status")

    def dehydrate_tags(self, resident: Resident) -> str:
        tags = resident.tag_list if hasattr(resident, "tag_list") else resident.tags.all()
        return "、".join(tag.name for tag in tags)


class VisitResource(ScopedResource):
    visited_at = fields.Field(column_name=_("visited at"))
    grid_member = fields.Field(attribute="grid_member__username", column_name=_("grid member"))
    grid = fields.Field(attribute="household__building__grid__code", column_name=_("grid code"))
    building = fields.Field(
        attribute="household__building__address", column_name=_("building address")
    )
    unit = fields.Field(attribute="household__unit", column_name=_("unit"))
    room = fields.Field(attribute="household__room", column_name=_("room"))
    latitude = fields.Field(attribute="latitude", column_name=_("latitude"))
    longitude = fields.Field(attribute="longitude", column_name=_("longitude"))
    met = fields.Field(column_name=_("met"))
    findings = fields.Field(attribute="findings", column_name=_("findings"))
    needs_follow_up = fields.Field(column_name=_("needs follow-up"))
    note = fields.Field(attribute="note", column_name=_("note"))

    class Meta:
        model = Visit
        fields = [
            "visited_at",
            "grid_member",
            "grid",
            "building",
            "unit",
            "room",
            "met",
            "findings",
            "needs_follow_up",
            "latitude",
            "longitude",
            "note",
        ]
        export_order = fields
        chunk_size = 2000

    def dehydrate_visited_at(self, visit: Visit) -> str:
        return formats.date_format(timezone.localtime(visit.visited_at), "Y-m-d H:i")

    def dehydrate_met(self, visit: Visit) -> str:
        return self.label(visit, "met")

    def dehydrate_needs_follow_up(self, visit: Visit) -> str:
        return str(_("yes") if visit.needs_follow_up else _("no"))
