"""The sensitive read log: who was shown which resident's full ID number or medical history."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from archives.models.residents import Resident


class SensitiveAccess(models.Model):
    class View(models.TextChoices):
        LIST = "list", _("resident list")
        FILE = "file", _("resident file")
        HISTORY = "history", _("history")
        EXPORT = "export", _("export")
        #: Someone was told that an ID number belongs to a resident outside their area.
        ELSEWHERE = "elsewhere", _("resident in another grid")
        HOUSEHOLD = "household", _("household page")
        REGISTER = "register", _("household register (print or PDF)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    # No database constraint: the entry outlives a resident an administrator deletes. Empty
    # for an export, which is one entry for all its rows.
    resident = models.ForeignKey(
        Resident,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    fields = models.CharField(_("fields shown"), max_length=100)
    view = models.CharField(_("where"), max_length=10, choices=View.choices)
    accessed_at = models.DateTimeField(_("when"), default=timezone.now)
    # An export's: how many rows held full values, the list's filters and search, the format.
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    filters = models.TextField(_("filters and search"), blank=True)
    file_format = models.CharField(_("format"), max_length=10, blank=True)

    class Meta:
        ordering = ["-accessed_at", "-id"]
        verbose_name = _("sensitive read")
        verbose_name_plural = _("sensitive reads")
        indexes = [
            models.Index(fields=["-accessed_at", "-id"], name="access_newest_first"),
            models.Index(fields=["user", "accessed_at"], name="access_user_time"),
            models.Index(fields=["resident", "accessed_at"], name="access_resident_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.resident_id} · {self.fields}"


class ExportRecord(models.Model):
    """Someone downloaded rows of the archive: which model, how many rows, with what filters."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    model = models.CharField(_("what"), max_length=50)
    rows = models.PositiveIntegerField(_("rows"))
    filters = models.TextField(_("filters and search"), blank=True)
    file_format = models.CharField(_("format"), max_length=10)
    exported_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-exported_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["user", "exported_at"], name="export_user_time")]

    def __str__(self) -> str:
        return f"{self.user} · {self.model} · {self.rows}"
