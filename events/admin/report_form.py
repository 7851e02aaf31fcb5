"""The report form: a grid member or the community reports an event from a phone.

Which grids one may report in, and which buildings and households one sees there, is
``archives.scope``'s answer; the form only offers those and refuses anything else with a field
error. Saving is ``events.services.event_report``, which checks everything again."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.types import Actor, User
from archives import scope
from archives.models import Building, Grid, Household
from events.models import Event, EventCategory, Urgency
from events.selectors import REPORT_PERMISSION
from events.services import event_report, photos_prepare


def report_grids(user: User) -> QuerySet[Grid]:
    """The grids ``user`` may report events in."""
    return scope.grids_to_work_in(user, permission=REPORT_PERMISSION)


def grid_buildings(user: User, grid: Grid) -> QuerySet[Building]:
    return scope.restrict(Building.objects.filter(grid=grid), user).order_by("address", "pk")


def grid_households(user: User, grid: Grid) -> QuerySet[Household]:
    return (
        scope.restrict(Household.objects.filter(building__grid=grid), user)
        .select_related("building")
        .order_by("building__address", "building_id", "unit", "floor", "room", "pk")
    )


def household_label(household: Household) -> str:
    """A household as the report form offers it, under its building: its unit and room."""
    return gettext("unit %(unit)s, room %(room)s") % {
        "unit": household.unit,
        "room": household.room,
    }


def grid_places(user: User, grid_id: str) -> dict[str, list[dict[str, Any]]] | None:
    """The buildings and households of grid ``grid_id`` for the report form's choices, or None
    when ``user`` may not report there (or there is no such grid)."""
    if not grid_id.isdigit():
        return None
    grid = report_grids(user).filter(pk=grid_id).first()
    if grid is None:
        return None
    return {
        "buildings": [{"id": b.pk, "name": b.address} for b in grid_buildings(user, grid)],
        "households": [
            {"id": h.pk, "building": h.building_id, "name": household_label(h)}
            for h in grid_households(user, grid)
        ],
    }


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input (the phone's camera or its gallery)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultiplePhotoInput(
                attrs={"accept": "image/*", "capture": "environment", "multiple": True}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class _HouseholdChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Household) -> str:
        return household_label(obj)


class EventReportForm(forms.Form):
    grid = forms.ModelChoiceField(
        label=_("grid"),
        queryset=Grid.objects.none(),
        error_messages={"invalid_choice": _("You may not report events in this grid.")},
    )
    building = forms.ModelChoiceField(
        label=_("building"),
        queryset=Building.objects.none(),
        required=False,
        help_text=_("Optional: the building, if the event is in or at one."),
        error_messages={"invalid_choice": _("Choose a building of the chosen grid.")},
    )
    household = _HouseholdChoiceField(
        label=_("household"),
        queryset=Household.objects.none(),
        required=False,
        help_text=_("Optional: the household it concerns."),
        error_messages={"invalid_choice": _("Choose a household of the chosen grid.")},
    )
    category = forms.ModelChoiceField(
        label=_("category"), queryset=EventCategory.objects.filter(active=True)
    )
    description = forms.CharField(
        label=_("description"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you found, and where exactly."),
    )
    urgency = forms.ChoiceField(
        label=_("urgency"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    latitude = forms.DecimalField(
        label=_("latitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "readonly": True}),
    )
    longitude = forms.DecimalField(
        label=_("longitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "readonly": True}),
    )
    photos = MultiplePhotoField(
        label=_("photos"),
        required=False,
        help_text=_("Take them with the phone's camera or choose several from its gallery."),
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        grids = report_grids(user).select_related("community")
        self.fields["grid"].queryset = grids  # type: ignore[attr-defined]
        # Buildings and households of the chosen grid only: any other is refused as "not of the
        # chosen grid", and the page never lists a whole community's households.
        grid_id = str(self.data.get("grid", "") if self.is_bound else "")
        grid = grids.filter(pk=grid_id).first() if grid_id.isdigit() else None
        if grid is not None:
            self.fields["building"].queryset = grid_buildings(user, grid)  # type: ignore[attr-defined]
            self.fields["household"].queryset = grid_households(user, grid)  # type: ignore[attr-defined]
        elif not self.is_bound and len(grids[:2]) == 1:
            # Someone with one grid reports there: it is chosen, its places offered.
            only = grids[0]
            self.initial["grid"] = only.pk
            self.fields["building"].queryset = grid_buildings(user, only)  # type: ignore[attr-defined]
            self.fields["household"].queryset = grid_households(user, only)  # type: ignore[attr-defined]

    def clean_photos(self) -> list[UploadedFile]:
        photos: list[UploadedFile] = self.cleaned_data.get("photos") or []
        # Checked here so that a bad photo is an error on this field; the service checks them
        # again (and re-encodes them) when it saves.
        photos_prepare(photos)
        for photo in photos:
            photo.seek(0)
        return photos

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        building, household = data.get("building"), data.get("household")
        if building is not None and household is not None and household.building_id != building.pk:
            self.add_error("household", _("The household does not live in that building."))
        latitude, longitude = data.get("latitude"), data.get("longitude")
        if (latitude is None) != (longitude is None):
            raise ValidationError(_("A position needs both its latitude and its longitude."))
        return data

    def save(self, actor: Actor) -> Event:
        data = self.cleaned_data
        photos: Sequence[UploadedFile] = data.get("photos") or []
        return event_report(
            actor=actor,
            category=data["category"],
            description=data["description"],
            grid=data["grid"],
            urgency=data["urgency"],
            building=data.get("building"),
            household=data.get("household"),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            photos=photos,
        )
