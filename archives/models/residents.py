"""The resident files: who lives in a household, with their tags and change history."""

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from archives.models.dwellings import Household, grid_of_household, kept_grid
from archives.models.org import Tag
from archives.validators import (
    FEMALE,
    MALE,
    normalize_id_number,
    parse_id_number,
    validate_id_number,
    validate_phone,
)


class RecordableHistory(HistoricalRecords):
    """``HistoricalRecords`` that stays reachable as ``Model.history_records``, so that a service
    can write one history entry for a save and its tag changes together (the library would
    otherwise write one per signal: the save, each tag added, each tag removed).
    """

    def finalize(self, sender, **kwargs):
        super().finalize(sender, **kwargs)
        if sender is self.cls:
            sender.history_records = self


class Resident(models.Model):
    class Sex(models.TextChoices):
        MALE = MALE, _("male")
        FEMALE = FEMALE, _("female")

    class Ethnicity(models.TextChoices):
        HAN = "han", _("Han")
        KOREAN = "korean", _("Korean")
        MANCHU = "manchu", _("Manchu")
        HUI = "hui", _("Hui")
        MONGOL = "mongol", _("Mongol")
        OTHER = "other", _("other")

    class Relation(models.TextChoices):
        HEAD = "head", _("head of household")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        GRANDCHILD = "grandchild", _("grandchild")
        SIBLING = "sibling", _("sibling")
        OTHER = "other", _("other relation")

    class ResidencyStatus(models.TextChoices):
        REGISTERED = "registered", _("registered")
        FLOATING = "floating", _("floating")
        MOVED_OUT = "moved_out", _("moved out")
        DECEASED = "deceased", _("deceased")

    ACTIVE_STATUSES = (ResidencyStatus.REGISTERED, ResidencyStatus.FLOATING)

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="residents", verbose_name=_("household")
    )
    #: The household's grid, kept on the row for scope and per-grid counts (``kept_grid``).
    grid = kept_grid()  # the first column of resident_grid_household indexes it
    # Indexed as (name in byte order, id) by migration 0016 (``resident_name_order``), which
    # serves the name search and the list by name; Django's own two indexes read neither.
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_number = models.CharField(
        _("resident ID number"), max_length=18, validators=[validate_id_number]
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    ethnicity = models.CharField(
        _("ethnicity"), max_length=10, choices=Ethnicity.choices, default=Ethnicity.HAN
    )
    relation_to_head = models.CharField(
        _("relation to head of household"),
        max_length=12,
        choices=Relation.choices,
        default=Relation.HEAD,
    )
    residency_status = models.CharField(
        _("residency status"),
        max_length=12,
        choices=ResidencyStatus.choices,
        default=ResidencyStatus.REGISTERED,
    )
    medical_history = models.TextField(_("medical history"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="residents", verbose_name=_("tags"))
    last_verified_at = models.DateTimeField(_("last verified at"), null=True, blank=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last verified by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    #: Raised by every save through ``services.resident_save``; a form posts the version it
    #: was loaded with, and a save based on an older one is refused (no lost updates).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    # Tags are part of the file, so each history entry keeps the tags as they were then.
    # updated_at is left out: the entry's own date says when. So is grid: it is derived from
    # the household (which the entry keeps), and moving a building to another grid rewrites it
    # on every resident without a change to any file, which history must not show as one.
    # The history is read by resident (``id``), entry and date only: indexes on its copies of
    # the fields would be written by every import and edit and read by no query (migration
    # 0017). ``history_user`` keeps its index: deleting a user sets it to NULL.
    history = RecordableHistory(
        m2m_fields=[tags],
        excluded_fields=["updated_at", "grid"],
        no_db_index=[
            "id_number",
            "phone",
            "residency_status",
            "household",
            "last_verified_by",
        ],
    )

    if TYPE_CHECKING:
        # What simple-history adds when the class is built, declared for the type checker.
        history_records: ClassVar[RecordableHistory]
        skip_history_when_saving: bool

        def save_without_historical_record(self, *args: Any, **kwargs: Any) -> None: ...

    class Meta:
        # The household's order (grid, address, unit, floor, room), led by the kept grid: the
        # same rows in the same order, but PostgreSQL then starts a grid's list from the
        # resident_grid_household index (9 ms) instead of walking the city in grid order
        # through households and filtering (171 ms for one grid of a million residents).
        ordering = ["grid", "household", "id"]
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        permissions = [
            # Sensitive fields: without these (within scope) a user sees the ID number masked
            # and no medical history, wherever residents are shown.
            ("view_resident_id_number", _("Can see full ID numbers")),
            ("view_resident_medical_history", _("Can see medical histories")),
        ]
        constraints = [
            # Moved-out and deceased records stay in the archive, so the same ID number may
            # appear again once; only one record per person may be active at a time.
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(residency_status__in=["registered", "floating"]),
                name="unique_active_resident_id_number",
                violation_error_message=_("An active resident with this ID number already exists."),
            ),
        ]
        indexes = [
            # Scoped lists and counts: a grid's or a street's residents (an index-only count),
            # one grid's in the list's order (household, id).
            models.Index(fields=["grid", "household", "id"], name="resident_grid_household"),
            # Exact lookups only (search, forms, the import's matching, which also finds
            # moved-out files): no pattern index beside them, as ``db_index`` would add. The
            # phone has none: search reads ``reverse(phone)`` (migration 0007).
            models.Index(fields=["id_number"], name="resident_id_number"),
            models.Index(fields=["residency_status"], name="resident_residency_status"),
            # The audit draw reads every active resident's ID with its household: this index
            # answers that alone (an index-only scan, merge-joined to households in order),
            # about half the time of reading the table at a million residents.
            models.Index(
                fields=["household", "id"],
                condition=Q(residency_status__in=["registered", "floating"]),
                name="resident_active_household",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.id_number = normalize_id_number(self.id_number)
        if (grid_id := grid_of_household(self.household_id)) is not None:
            self.grid_id = grid_id  # the household's, wherever it is now
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.id_number = normalize_id_number(self.id_number or "")
        try:
            facts = parse_id_number(self.id_number)
        except ValidationError:
            return  # the field validator reports it against the field
        errors = {}
        if self.birth_date and self.birth_date != facts.birth_date:
            errors["birth_date"] = _(
                "The birth date does not match the ID number, which says %(date)s."
            ) % {"date": facts.birth_date.isoformat()}
        if self.sex and self.sex != facts.sex:
            errors["sex"] = _("The sex does not match the ID number, which says %(sex)s.") % {
                "sex": self.Sex(facts.sex).label
            }
        if errors:
            raise ValidationError(errors)

    @property
    def is_active(self) -> bool:
        return self.residency_status in self.ACTIVE_STATUSES

    def age_on(self, day: dt.date) -> int:
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


class HouseholdTag(models.Model):
    """A tag that at least one resident of the household carries (any residency status): the
    household side of ``Resident.tags``, kept so that "households with a resident carrying
    one of these tags" (a department's households, ``archives.scope``) reads one small table
    instead of every tagged resident (a department's count hashed its 163,000 served residents
    to find their 137,000 households: 0.4 s at a million residents).

    Derived, never edited: every write that changes a resident's tags or household, or
    removes a resident, refreshes the households concerned in the same transaction
    (``archives.services.household_tags``); ``selectors.household_tag_mismatches()`` lists
    what is out of step. Not historied: the residents' history keeps their tags."""

    household = models.ForeignKey(
        Household,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=_("household"),
    )
    tag = models.ForeignKey(
        Tag, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name=_("tag")
    )

    class Meta:
        verbose_name = _("household tag")
        verbose_name_plural = _("household tags")
        constraints = [
            # Also the index that counts a tag's households (index-only, in household order).
            models.UniqueConstraint(fields=["tag", "household"], name="household_tag_unique"),
        ]
        indexes = [
            # A household's tags: a list's page checks each household it shows, and the
            # services refresh a household's rows.
            models.Index(fields=["household", "tag"], name="household_tag_households"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.tag_id}"
