"""Micro-wishes (微心愿) and the love bank (爱心银行).

A community posts a resident's small wish (clear the weeds on a path, an anti-fraud talk); a
claimer — a department through its staff, an on-the-job party member, or a registered
volunteer — claims it, does it and marks it done; the community confirms it (the claimer's love
bank grows by the category's points) or returns it with a reason.

``Wish`` holds where a wish stands; ``Claim`` is one claimer's claim on it, at most one live
(claimed or done) per wish, enforced by the database (``one_live_claim_per_wish``). Both have
history. ``Claimer`` is a person who may claim, with an account in a claimer role; a volunteer
signs up on a public page and is approved by community staff before they may claim. Rows are
written only through ``wishes.services``.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from archives.models import Community, Department, Resident


class WishCategory(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    points = models.PositiveSmallIntegerField(
        _("points"),
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("What a fulfilled wish of this category adds to its claimer's love bank."),
    )
    active = models.BooleanField(
        _("in use"), default=True, help_text=_("Only categories in use can be posted.")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("wish category")
        verbose_name_plural = _("wish categories")
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=1), name="wish_category_points"),
        ]

    def __str__(self) -> str:
        return self.name


class ClaimerKind(models.TextChoices):
    DEPARTMENT = "department", _("department staff")
    PARTY_MEMBER = "party_member", _("on-the-job party member")
    VOLUNTEER = "volunteer", _("volunteer")


class ClaimerStatus(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    SUSPENDED = "suspended", _("suspended")


class Claimer(models.Model):
    """A person who may claim wishes. Department staff claim for their department (the love
    bank credits the department); party members and volunteers claim for themselves."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="claimer",
        verbose_name=_("account"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ClaimerKind.choices)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    #: Where the person lives or is registered: the community that approves a volunteer.
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="claimers",
        verbose_name=_("community"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimers",
        verbose_name=_("department"),
        help_text=_("For department staff: the department they claim for."),
    )
    #: For a party member: the unit they work at (在职党员).
    workplace = models.CharField(_("workplace"), max_length=100, blank=True)
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ClaimerStatus.choices, default=ClaimerStatus.PENDING
    )
    #: Set when community staff have checked the phone number (no SMS: they call it).
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    signed_up_at = models.DateTimeField(_("signed up at"))
    decided_at = models.DateTimeField(_("approved or refused at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claimers_decided",
        verbose_name=_("approved or refused by"),
    )
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("claimer")
        verbose_name_plural = _("claimers")
        permissions = [
            ("approve_claimer", _("Can approve or refuse volunteers of one's community")),
        ]
        indexes = [
            models.Index(fields=["community", "status"], name="claimer_community_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="department", department__isnull=False)
                | (~Q(kind="department") & Q(department__isnull=True)),
                name="claimer_department_iff_staff",
            ),
        ]

    def __str__(self) -> str:
        if self.department_id is not None:
            return f"{self.name} ({self.department})"
        return self.name


class WishState(models.TextChoices):
    OPEN = "open", _("open: waiting for a claimer")
    CLAIMED = "claimed", _("claimed: being done")
    DONE = "done", _("done: waiting for the community's confirmation")
    FULFILLED = "fulfilled", _("fulfilled")
    WITHDRAWN = "withdrawn", _("withdrawn by the community")


#: States in which a wish has a live claim.
LIVE_WISH_STATES = (WishState.CLAIMED, WishState.DONE)


class Wish(models.Model):
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), max_length=2000)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="wishes", verbose_name=_("community")
    )
    #: The resident it came from: never shown to claimers beyond a first name; the contact goes
    #: through the community.
    resident = models.ForeignKey(
        Resident,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wishes",
        verbose_name=_("resident"),
    )
    category = models.ForeignKey(
        WishCategory, on_delete=models.PROTECT, related_name="wishes", verbose_name=_("category")
    )
    place = models.CharField(_("place"), max_length=200)
    wanted_by = models.DateField(_("wanted by"))
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="wishes_posted",
        verbose_name=_("posted by"),
    )
    posted_at = models.DateTimeField(_("posted at"))
    state = models.CharField(
        _("state"), max_length=10, choices=WishState.choices, default=WishState.OPEN
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.CharField(_("reason for withdrawing"), max_length=500, blank=True)
    #: One more with every change: a form says which version it showed, and a change on a newer
    #: one is refused, not applied on top of it.
    version = models.PositiveIntegerField(_("version"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-posted_at", "-id"]
        verbose_name = _("wish")
        verbose_name_plural = _("wishes")
        permissions = [
            ("claim_wish", _("Can claim wishes on the board")),
        ]
        indexes = [
            # The board: open wishes, the soonest wanted first.
            models.Index(fields=["state", "wanted_by", "id"], name="wish_board"),
            models.Index(fields=["community", "state"], name="wish_community_state"),
            models.Index(fields=["posted_at"], name="wish_posted"),
            models.Index(fields=["fulfilled_at"], name="wish_fulfilled"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="fulfilled") | Q(fulfilled_at__isnull=False),
                name="wish_fulfilled_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state="withdrawn") | Q(withdrawn_at__isnull=False),
                name="wish_withdrawn_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ClaimState(models.TextChoices):
    CLAIMED = "claimed", _("claimed")
    DONE = "done", _("done, waiting for confirmation")
    CONFIRMED = "confirmed", _("confirmed")
    WITHDRAWN = "withdrawn", _("withdrawn by the claimer")


#: A claim in one of these states is the wish's live claim: at most one per wish.
LIVE_CLAIM_STATES = (ClaimState.CLAIMED, ClaimState.DONE)


class Claim(models.Model):
    wish = models.ForeignKey(
        Wish, on_delete=models.PROTECT, related_name="claims", verbose_name=_("wish")
    )
    claimer = models.ForeignKey(
        Claimer, on_delete=models.PROTECT, related_name="claims", verbose_name=_("claimer")
    )
    #: The claimer's department when they claimed for it: the love bank credits the department.
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wish_claims",
        verbose_name=_("department"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ClaimState.choices, default=ClaimState.CLAIMED
    )
    claimed_at = models.DateTimeField(_("claimed at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), max_length=2000, blank=True)
    #: Times the community returned the claimer's "done" with a reason (the reasons are in the
    #: history).
    returns = models.PositiveSmallIntegerField(_("returns"), default=0)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.CharField(_("reason for withdrawing"), max_length=500, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wish_claims_confirmed",
        verbose_name=_("confirmed by"),
    )
    #: The category's points when confirmed (a later change of the category's points does not
    #: rewrite the love bank).
    points = models.PositiveSmallIntegerField(_("points"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-claimed_at", "-id"]
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [
            models.Index(fields=["claimer", "state"], name="claim_claimer_state"),
            # The love bank's rankings: confirmed claims by month.
            models.Index(fields=["state", "confirmed_at"], name="claim_confirmed"),
            models.Index(fields=["department", "confirmed_at"], name="claim_department_confirmed"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["wish"],
                condition=Q(state__in=["claimed", "done"]),
                name="one_live_claim_per_wish",
            ),
            models.CheckConstraint(
                condition=~Q(state="confirmed") | Q(confirmed_at__isnull=False),
                name="claim_confirmed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.wish} · {self.claimer}"


def photo_path(photo: "WishPhoto", filename: str) -> str:
    # The name is the portal's, never the uploader's: photos are re-encoded as JPEG.
    return f"wishes/{photo.wish_id}/{photo.uploaded_at:%Y%m%d%H%M%S}-{filename}"


class WishPhoto(models.Model):
    """A photo of the wish (posted with it) or of its fulfilment (``claim`` set: the evidence),
    re-encoded as JPEG without metadata before it is stored. Served only to those who may see
    the wish."""

    wish = models.ForeignKey(
        Wish, on_delete=models.CASCADE, related_name="photos", verbose_name=_("wish")
    )
    claim = models.ForeignKey(
        Claim,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("claim"),
    )
    image = models.FileField(_("photo"), upload_to=photo_path, max_length=200)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="wish_photos",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("wish photo")
        verbose_name_plural = _("wish photos")

    def __str__(self) -> str:
        return self.image.name
