"""Where residents live: buildings in a grid, and the households (dwellings) in them."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from archives.models.org import Grid


class Building(models.Model):
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("grid")
    )
    address = models.CharField(_("address"), max_length=200)
    units = models.PositiveSmallIntegerField(_("units"), default=1)
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)

    history = HistoricalRecords()

    class Meta:
        ordering = ["grid", "address"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(fields=["grid", "address"], name="unique_building_address"),
        ]
        indexes = [
            # Address search is a prefix search (archives/search.py); on PostgreSQL a prefix
            # LIKE needs the pattern operator class. Other databases ignore opclasses.
            models.Index(
                fields=["address"],
                name="building_address_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.address


class Household(models.Model):
    class Status(models.TextChoices):
        OCCUPIED = "occupied", _("occupied")
        VACANT = "vacant", _("vacant")
        RENTED = "rented", _("rented")

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="households", verbose_name=_("building")
    )
    unit = models.PositiveSmallIntegerField(_("unit"))
    floor = models.SmallIntegerField(_("floor"))
    room = models.CharField(_("room"), max_length=10)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OCCUPIED
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["building", "unit", "floor", "room"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "floor", "room"], name="unique_household_place"
            ),
        ]

    def __str__(self) -> str:
        # Needs building loaded; admin querysets select it so that lists stay constant-query.
        return _("%(address)s, unit %(unit)s, room %(room)s") % {
            "address": self.building.address,
            "unit": self.unit,
            "room": self.room,
        }

    def clean(self) -> None:
        if self.building_id is None:
            return
        errors = {}
        if self.unit and self.unit > self.building.units:
            errors["unit"] = _("This building has only %(units)d units.") % {
                "units": self.building.units
            }
        if self.floor and self.floor > self.building.floors:
            errors["floor"] = _("This building has only %(floors)d floors.") % {
                "floors": self.building.floors
            }
        if errors:
            raise ValidationError(errors)
