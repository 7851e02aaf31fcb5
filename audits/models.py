"""Random-sample audits: campaigns, the strata and items of a draw, and the auditors' findings.

A campaign is written only through ``audits.services``; once drawn, what was drawn (seed,
population, items and the pinned file versions) is never rewritten, and once closed neither are
the findings.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from archives.models import Community, Grid, Resident, Street

#: Fields an auditor can be asked to check, in form order: (code, label). The code is the
#: resident field that a correction writes, except "household", which is checked as the
#: address and household together.
AUDITABLE_FIELDS = [
    ("name", pgettext_lazy("person", "name")),
    ("id_number", _("resident ID number")),
    ("phone", _("phone")),
    ("household", _("address / household")),
    ("relation_to_head", _("relation to head of household")),
    ("residency_status", _("residency status")),
    ("tags", _("tags")),
    ("sex", _("sex")),
    ("birth_date", _("birth date")),
    ("ethnicity", _("ethnicity")),
]
DEFAULT_AUDITED_FIELDS = [
    "name",
    "id_number",
    "phone",
    "household",
    "relation_to_head",
    "residency_status",
    "tags",
]


def default_audited_fields() -> list[str]:
    return list(DEFAULT_AUDITED_FIELDS)


class AuditCampaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        DRAWN = "drawn", _("drawn")
        IN_PROGRESS = "in_progress", _("in progress")
        CLOSED = "closed", _("closed")
        CANCELLED = "cancelled", _("cancelled")

    class Plan(models.TextChoices):
        FIXED = "fixed", _("a fixed number per grid")
        SHARE = "share", _("a share of each grid")
        LQAS = "lqas", _("LQAS per grid")

    name = models.CharField(pgettext_lazy("campaign", "name"), max_length=100)
    period = models.DateField(_("month"), help_text=_("Any day of the month audited."))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DRAFT, editable=False
    )
    # The scope as chosen; ``grids`` holds it resolved to grids.
    whole_city = models.BooleanField(_("whole city"), default=False)
    streets = models.ManyToManyField(
        Street, blank=True, related_name="+", verbose_name=_("streets")
    )
    communities = models.ManyToManyField(
        Community, blank=True, related_name="+", verbose_name=_("communities")
    )
    chosen_grids = models.ManyToManyField(
        Grid, blank=True, related_name="+", verbose_name=_("grids")
    )
    grids = models.ManyToManyField(
        Grid,
        related_name="audit_campaigns",
        editable=False,
        verbose_name=_("grids in scope"),
    )
    plan = models.CharField(_("sampling plan"), max_length=8, choices=Plan.choices)
    per_grid = models.PositiveIntegerField(
        _("sample size per grid"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("For a fixed number per grid and for LQAS (n, e.g. 19)."),
    )
    share_percent = models.PositiveSmallIntegerField(
        _("share of each grid (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    lqas_benchmark = models.PositiveSmallIntegerField(
        _("LQAS benchmark (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(31), MaxValueValidator(100)],
        help_text=_("The accuracy a grid must reach, e.g. 80."),
    )
    audited_fields = models.JSONField(_("audited fields"), default=default_audited_fields)
    auditors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="audit_campaigns", verbose_name=_("auditors")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # The draw, kept so that anyone can re-run it (``audit_campaign_verify_draw``).
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
        verbose_name=_("drawn by"),
    )
    drawn_at = models.DateTimeField(_("drawn at"), null=True, editable=False)
    seed = models.CharField(_("random seed"), max_length=64, blank=True, editable=False)
    algorithm_version = models.CharField(
        _("algorithm version"), max_length=60, blank=True, editable=False
    )
    population_sha256 = models.CharField(
        _("population SHA-256"), max_length=64, blank=True, editable=False
    )
    population_size = models.PositiveIntegerField(
        _("eligible residents"), null=True, editable=False
    )
    population = models.BinaryField(_("eligible population"), null=True, editable=False)

    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, editable=False)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        editable=False,
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, editable=False)
    #: Why a campaign was closed with items left unchecked (required then; see the service).
    close_reason = models.TextField(_("reason for closing unfinished"), blank=True, editable=False)

    class Meta:
        ordering = ["-period", "-pk"]
        verbose_name = _("audit campaign")
        verbose_name_plural = _("audit campaigns")

    def __str__(self) -> str:
        return f"{self.name} ({self.period:%Y-%m})"

    @property
    def is_drawn(self) -> bool:
        return self.drawn_at is not None

    @property
    def planned_lqas_correct_to_pass(self) -> int | None:
        """LQAS only: the decision rule for the planned sample size, how many correct records
        a grid needs to pass when all ``per_grid`` are drawn from it (each stratum stores its
        own rule for the number actually drawn, ``AuditStratum.lqas_correct_to_pass``)."""
        from audits.stats import lqas_rule

        if self.plan != self.Plan.LQAS or not self.per_grid or not self.lqas_benchmark:
            return None
        rule = lqas_rule(self.per_grid, self.lqas_benchmark / 100)
        return rule.threshold if rule else None


class AuditStratum(models.Model):
    """One grid of a drawn campaign: how many were eligible, asked for and drawn, and who the
    grid members were at draw time (the per-member figures follow them, not later changes)."""

    campaign = models.ForeignKey(
        AuditCampaign, on_delete=models.CASCADE, related_name="strata", verbose_name=_("campaign")
    )
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="+")
    population = models.PositiveIntegerField(_("eligible residents"))
    planned = models.PositiveIntegerField(_("planned sample"))
    drawn = models.PositiveIntegerField(_("drawn"))
    #: LQAS only: the grid passes with at least this many correct records, the decision rule
    #: for the number drawn (None: no rule for this size).
    lqas_correct_to_pass = models.PositiveSmallIntegerField(null=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)

    class Meta:
        ordering = ["campaign", "grid"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "grid"], name="unique_audit_stratum"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.grid_id}"

    @property
    def took_all(self) -> bool:
        return self.planned > self.population


class AuditItem(models.Model):
    """One sampled resident, with the file version drawn and what the auditor found."""

    class Method(models.TextChoices):
        PHONE = "phone", _("phone")
        VISIT = "visit", _("visit")

    class Verdict(models.TextChoices):
        CORRECT = "correct", _("correct")
        INCORRECT = "incorrect", _("incorrect")
        UNDETERMINED = "undetermined", _("undetermined")

    campaign = models.ForeignKey(
        AuditCampaign, on_delete=models.CASCADE, related_name="items", verbose_name=_("campaign")
    )
    stratum = models.ForeignKey(AuditStratum, on_delete=models.CASCADE, related_name="items")
    # PROTECT: a sampled file is audit evidence; an administrator cannot delete it unnoticed.
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="+", verbose_name=_("resident")
    )
    #: The history entry the resident's file was at when drawn: what the auditor checks.
    pinned_record = models.ForeignKey(
        Resident.history.model,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("file version checked"),
    )

    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("checked by"),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True)
    found = models.BooleanField(_("found at the recorded household"), null=True)
    method = models.CharField(_("method"), max_length=8, choices=Method.choices, blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    note = models.TextField(_("note"), blank=True)
    # Worked out when the finding is recorded, so that figures are sums over items.
    verdict = models.CharField(_("record"), max_length=12, choices=Verdict.choices, blank=True)
    fields_correct = models.PositiveSmallIntegerField(default=0)
    fields_wrong = models.PositiveSmallIntegerField(default=0)
    fields_present = models.PositiveSmallIntegerField(default=0)
    fields_required = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["campaign", "pk"]
        verbose_name = _("audit item")
        verbose_name_plural = _("audit items")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "resident"], name="unique_audit_item"),
        ]

    def __str__(self) -> str:
        return _("item %(pk)s") % {"pk": self.pk}

    @property
    def is_checked(self) -> bool:
        return self.checked_at is not None


class AuditFieldFinding(models.Model):
    class Mark(models.TextChoices):
        CORRECT = "correct", _("correct")
        WRONG = "wrong", _("wrong")
        UNVERIFIABLE = "unverifiable", _("could not verify")

    item = models.ForeignKey(AuditItem, on_delete=models.CASCADE, related_name="findings")
    field = models.CharField(_("field"), max_length=30)
    mark = models.CharField(_("finding"), max_length=12, choices=Mark.choices)
    correct_value = models.CharField(_("correct value"), max_length=200, blank=True)

    class Meta:
        ordering = ["item", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "field"], name="unique_audit_field_finding"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}:{self.field}={self.mark}"


class AuditCorrection(models.Model):
    """A wrong field written back to the resident file; the finding itself stays as found."""

    finding = models.OneToOneField(
        AuditFieldFinding, on_delete=models.PROTECT, related_name="correction"
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(auto_now_add=True)
    #: The history entry the correction wrote.
    record = models.ForeignKey(
        Resident.history.model, on_delete=models.PROTECT, related_name="+", null=True
    )

    def __str__(self) -> str:
        return f"correction of {self.finding}"
