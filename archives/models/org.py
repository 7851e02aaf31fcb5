"""The org hierarchy (street → community → grid), tags, and the departments that serve them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class OrgUnit(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Street(OrgUnit):
    class Meta(OrgUnit.Meta):
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        permissions = [
            # Granted per street through guardian (see archives.grants); covers its grids.
            ("access_street", _("Can work with the residents of this street")),
            # Model-level on purpose: the city has no row to grant on.
            ("access_whole_city", _("Can see the residents of the whole city")),
        ]


class Community(OrgUnit):
    street = models.ForeignKey(
        Street, on_delete=models.PROTECT, related_name="communities", verbose_name=_("street")
    )

    class Meta(OrgUnit.Meta):
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        permissions = [("access_community", _("Can work with the residents of this community"))]


class Grid(OrgUnit):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="grids",
        verbose_name=_("grid members"),
    )

    class Meta(OrgUnit.Meta):
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        permissions = [("access_grid", _("Can work with the residents of this grid"))]


class Tag(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    needs_visits_per_month = models.PositiveSmallIntegerField(
        _("visits needed per month"),
        default=0,
        help_text=_("Households with a resident carrying this tag should be visited this often."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Department(OrgUnit):
    """A functional bureau that serves residents carrying some tags, in some streets."""

    served_tags = models.ManyToManyField(
        Tag, blank=True, related_name="departments", verbose_name=_("tags served")
    )
    streets = models.ManyToManyField(
        Street,
        blank=True,
        related_name="departments",
        verbose_name=_("streets served"),
        help_text=_("Leave empty together with 'whole city' ticked to serve every street."),
    )
    serves_whole_city = models.BooleanField(_("whole city"), default=False)
    shares_medical_history = models.BooleanField(
        _("sees medical history"),
        default=False,
        help_text=_(
            "Its staff may read the medical history of the residents it serves (e.g. health). "
            "ID numbers stay masked for department staff."
        ),
    )
    is_inspection_office = models.BooleanField(
        _("inspection office"),
        default=False,
        help_text=_(
            "The city's inspection office (督查室): its staff follow every event escalated to "
            "it for being left undone past its time limit without a reason."
        ),
    )

    class Meta(OrgUnit.Meta):
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        permissions = [("access_department", _("Can work for this department"))]
