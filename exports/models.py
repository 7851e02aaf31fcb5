"""Monthly assessment reports: drafts computed on demand, published versions frozen for good,
and the log of every download."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from archives.models import Street

#: Who may download monthly reports, and who may publish and correct them; where is the
#: scope's answer (``archives.scope.may_report``, which is passed these).
REPORT_VIEW = "exports.view_monthlyreport"
REPORT_PUBLISH = "exports.publish_monthlyreport"


def report_file_path(report: "MonthlyReport", filename: str) -> str:
    return f"reports/{report.month:%Y-%m}/{filename}"


def _scope_street(**options) -> models.ForeignKey:
    """A report's scope: a street, or empty for the whole city. A street with reports is
    never deleted."""
    return models.ForeignKey(
        Street,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("street"),
        **options,
    )


class MonthlyReport(models.Model):
    """One version of the report for a month and a scope (a street, or the whole city).

    A draft is recomputed whenever it is downloaded. Publishing stores the figures and both
    files with their SHA-256; a published report is never recomputed or changed. A correction
    is a new published version that names the one it corrects and says why.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    street = _scope_street(help_text=_("Empty: the whole city."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    figures = models.JSONField(_("figures"), null=True, blank=True)
    xlsx = models.FileField(_("Excel file"), upload_to=report_file_path, blank=True)
    xlsx_sha256 = models.CharField(_("Excel SHA-256"), max_length=64, blank=True)
    pdf = models.FileField(_("PDF file"), upload_to=report_file_path, blank=True)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "street__code", "-version"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        permissions = [("publish_monthlyreport", _("Can publish and correct monthly reports"))]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "street", "version"],
                condition=Q(street__isnull=False),
                name="unique_street_report_version",
            ),
            models.UniqueConstraint(
                fields=["month", "version"],
                condition=Q(street__isnull=True),
                name="unique_city_report_version",
            ),
        ]

    def __str__(self) -> str:
        scope = self.street.name if self.street_id else _("whole city")
        return f"{self.month:%Y-%m} · {scope} · v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class ReportDownload(models.Model):
    """Someone downloaded a monthly report (a draft computed then, or a published file)."""

    class Format(models.TextChoices):
        XLSX = "xlsx", "Excel"
        PDF = "pdf", "PDF"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    month = models.DateField(_("month"))
    street = _scope_street()
    report = models.ForeignKey(
        MonthlyReport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="downloads",
        verbose_name=_("published report"),
        help_text=_("Empty: a draft computed for this download."),
    )
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    downloaded_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["-downloaded_at", "-id"]
        verbose_name = _("report download")
        verbose_name_plural = _("report downloads")
        indexes = [models.Index(fields=["user", "downloaded_at"], name="report_download_user_time")]

    def __str__(self) -> str:
        return f"{self.user} · {self.month:%Y-%m} · {self.file_format}"


class KeptMonthCounts(models.Model):
    """The figures of a month that is over which the history tables alone decide (each grid's
    month-end residents, households, visits and buildings, each grid member's visits, the grids
    with their community and street), kept the first time they are computed:
    ``exports.selectors.month_figures`` reads them instead of reading the history again.

    History entries are only ever appended, dated when they are written, so a month that is
    over no longer changes in them. ``fingerprint`` names everything else those figures were
    computed from (the queries' text, so the required fields and statuses; their parameters;
    the visits each tag asks for): when any of it changes, the kept row no longer matches and
    the month is computed afresh. The running month is never kept.
    """

    month = models.DateField(help_text="The first day of the month.")
    fingerprint = models.CharField(max_length=64)
    counts = models.JSONField()
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "fingerprint"], name="unique_kept_month_counts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} · {self.fingerprint[:12]}"
