"""Where residents live: buildings in a grid, and the households (dwellings) in them."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
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
    # Where the building stands (WGS 84, as phones report it): patrol tracks are checked
    # against it. Optional: offices add positions long after the buildings. The validators
    # say on a form what the range constraints below enforce in the database.
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["grid", "address"]
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        constraints = [
            models.UniqueConstraint(fields=["grid", "address"], name="unique_building_address"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="building_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="building_longitude_range",
            ),
            # Half a position places the building nowhere: both or neither.
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="building_location_both_or_neither",
            ),
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

    def clean(self) -> None:
        # The message goes to the field left empty, so that the form shows it there.
        if self.latitude is None and self.longitude is not None:
            raise ValidationError({"latitude": _("Give both latitude and longitude, or neither.")})
        if self.longitude is None and self.latitude is not None:
            raise ValidationError({"longitude": _("Give both latitude and longitude, or neither.")})


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


def kept_grid() -> "models.ForeignKey[Grid, Grid]":
    """The ``grid`` of residents and visits: their household's building's grid, kept on the row
    so that scope ("in these grids") and per-grid counts read one column instead of joining
    every household and building (a street official's count probed 22,000 households through
    that join). Derived, never edited: ``save`` sets it from the household, and bulk writes
    and the services that move a household to another building or a building to another grid
    keep it (``archives.services.grid_keys``). Indexed by each model's own composite index."""
    return models.ForeignKey(
        Grid,
        on_delete=models.PROTECT,
        editable=False,
        blank=True,  # set by save(), not by a form or full_clean()
        related_name="+",
        db_index=False,
        verbose_name=_("grid"),
    )


def grid_of_household(household_id: int | None) -> int | None:
    """The grid of the household's building as stored: what a resident or visit in household
    ``household_id`` carries as its ``grid``. None for no household (the save then fails on the
    household, as it would without this)."""
    if household_id is None:
        return None
    grids = Household.objects.filter(pk=household_id).values_list("building__grid_id", flat=True)
    return grids.first()
