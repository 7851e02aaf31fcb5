"""The visits grid members make to households."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from archives.models.dwellings import Household, grid_of_household, kept_grid


class Visit(models.Model):
    class Met(models.TextChoices):
        # Whom a grid member spoke to at the door: what a supervisor asks first, and why a
        # visit to an elderly resident who was not met does not settle much.
        HEAD = "head", _("the head of household")
        FAMILY = "family", _("a family member")
        TENANT = "tenant", _("a tenant")
        NEIGHBOUR = "neighbour", _("a neighbour")
        NOBODY = "nobody", _("nobody home")

    grid_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("grid member"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="visits", verbose_name=_("household")
    )
    #: The household's grid, kept on the row for scope and per-grid counts (``kept_grid``).
    grid = kept_grid()  # the first column of visit_grid_time indexes it
    visited_at = models.DateTimeField(_("visited at"))
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    met = models.CharField(_("met"), max_length=10, choices=Met.choices, blank=True)
    findings = models.TextField(
        _("findings"),
        blank=True,
        help_text=_("What you found: health, living conditions, needs, problems reported."),
    )
    needs_follow_up = models.BooleanField(
        _("needs follow-up"),
        default=False,
        help_text=_("Something must be done or checked again; the visit list filters on it."),
    )
    note = models.TextField(_("note"), blank=True)

    # grid is derived from the household, which the entry keeps (see Resident.history).
    history = HistoricalRecords(excluded_fields=["grid"])

    class Meta:
        ordering = ["-visited_at"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["household", "visited_at"], name="visit_household_time"),
            models.Index(fields=["grid_member", "visited_at"], name="visit_member_time"),
            # The visit list shows the newest first (ordering plus the pk as tie-breaker).
            models.Index(fields=["-visited_at", "-id"], name="visit_newest_first"),
            # Scoped visit lists (newest first) and a month's visits per grid.
            models.Index(fields=["grid", "-visited_at", "-id"], name="visit_grid_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="visit_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="visit_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} @ {self.visited_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if (grid_id := grid_of_household(self.household_id)) is not None:
            self.grid_id = grid_id  # the household's, wherever it is now
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))
