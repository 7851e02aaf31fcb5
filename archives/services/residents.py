"""Writes of one resident file: save (with its tags, in one history entry), revert to an
earlier entry, remove (administrators only) and verify."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives import bulk, scope
from archives.model_meta import history_attribution_set
from archives.models import (
    Resident,
    Tag,
)
from archives.services._base import (
    _RESIDENT_EDITABLE,
    ConcurrentEditError,
    _check_scope,
    _fields_differ,
)
from archives.services.bulk_writes import _history_copied, _tag_history_copied
from archives.services.household_tags import household_tags_refresh


@transaction.atomic
def resident_save(
    *,
    resident: Resident,
    actor: Actor,
    tags: Iterable[Tag] | None = None,
    reason: str = "",
    loaded_version: int | None = None,
) -> Resident:
    """Create or update ``resident`` (and its tags, when given) for ``actor``.

    The whole change is one history entry with the actor and ``reason``. ``loaded_version`` is
    the version the editing form was loaded with: if someone saved since, the stored row, which
    is locked for the check, wins and ``ConcurrentEditError`` says so; nothing is written.
    A save that changes nothing writes nothing, history included.
    """
    adding = resident._state.adding
    _check_scope(row=resident, actor=actor)
    tag_ids = None if tags is None else {tag.pk for tag in tags}
    # Whether the tags kept on households may change (``archives.services.household_tags``):
    # a resident added with tags, moved, or whose tags change; then of the new household and
    # the old one.
    households = {resident.household_id}
    retagged = adding and bool(tag_ids)
    if not adding:
        stored = Resident.objects.select_for_update().get(pk=resident.pk)
        if loaded_version is not None and stored.version != loaded_version:
            raise ConcurrentEditError(resident=stored, loaded_version=loaded_version)
        stored_tag_ids = None if tag_ids is None else set(stored.tags.values_list("pk", flat=True))
        if not _fields_differ(stored, resident) and tag_ids == stored_tag_ids:
            return stored
        resident.version = stored.version + 1
        households.add(stored.household_id)
        retagged = len(households) > 1 or tag_ids != stored_tag_ids
    resident.full_clean()
    history_attribution_set(resident, actor=actor, reason=reason)
    if tag_ids is None:
        resident.save()
        if retagged:  # moved, with the tags they carry
            household_tags_refresh(household_ids=households)
        return resident
    # The row and its tags, then one history entry that records both.
    resident.save_without_historical_record()
    resident.skip_history_when_saving = True
    try:
        resident.tags.set(tag_ids)
    finally:
        del resident.skip_history_when_saving
    Resident.history_records.create_historical_record(resident, "+" if adding else "~")
    if retagged:
        household_tags_refresh(household_ids=households)
    return resident


@transaction.atomic
def resident_revert(*, resident: Resident, record: Any, actor: Actor) -> Resident:
    """Bring the file back to what history entry ``record`` holds, tags included.

    The revert is itself a change: checked against scope like any save and recorded as a new
    history entry that says which version it went back to.
    """
    stored = Resident.objects.select_for_update().get(pk=resident.pk)
    if record.id != stored.pk:
        raise PermissionDenied(_("That history entry belongs to another resident."))
    earlier = record.instance
    for attname in _RESIDENT_EDITABLE:
        setattr(stored, attname, getattr(earlier, attname))
    tags = Tag.objects.filter(pk__in=[row.tag_id for row in record.tags.all()])
    when = formats.localize(timezone.localtime(record.history_date))
    return resident_save(
        resident=stored,
        actor=actor,
        tags=list(tags),
        reason=_("revert to the version of %(when)s") % {"when": when},
        loaded_version=stored.version,
    )


@transaction.atomic
def resident_delete(*, resident: Resident, actor: Actor) -> None:
    """Remove ``resident``'s file; its history keeps it, as a "deleted" entry naming ``actor``.

    Administrators only: in normal work a resident moves out or dies, and the file stays.
    """
    if not scope.may_delete_residents(actor):
        raise PermissionDenied(_("You may not change this record."))
    history_attribution_set(resident, actor=actor, reason=_("deleted by an administrator"))
    stored = Resident.objects.filter(pk=resident.pk).values_list("household_id", flat=True)
    household_id = stored.first()
    resident.delete()
    household_tags_refresh(household_ids=[household_id])


@transaction.atomic
def resident_verify(
    *, residents: Iterable[Resident], actor: Actor, note: str = ""
) -> list[Resident]:
    """Record that ``actor`` confirmed these residents' files as they stand (核实): who and
    when, as one history entry per resident ("verified", with ``note`` if given).

    Saving a form does not count: a file is verified only by saying so. Every resident must be
    one ``actor`` may change; otherwise nothing is written. Versions are raised, so a form
    loaded before the verification saves over it only after a conflict check.
    """
    pks = sorted({resident.pk for resident in residents})
    if not pks:
        return []
    rows = list(Resident.objects.select_for_update().filter(pk__in=pks).order_by("pk"))
    allowed = set(
        scope.restrict(Resident.objects.filter(pk__in=pks), actor, scope.CHANGE).values_list(
            "pk", flat=True
        )
    )
    if len(rows) != len(pks) or allowed != set(pks):
        raise PermissionDenied(_("You may not verify residents outside your grids."))
    now = timezone.now()
    for row in rows:
        row.last_verified_at = now
        row.last_verified_by = actor
        row.version += 1
        row.updated_at = now
    bulk.rows_update(  # history: _history_copied below
        rows, ["last_verified_at", "last_verified_by", "version", "updated_at"]
    )
    reason = _("verified") if not note.strip() else _("verified: %(note)s") % {"note": note.strip()}
    entry_of = _history_copied(Resident, pks, actor=actor, reason=reason, history_type="~")
    _tag_history_copied(pks, entry_of, batch_size=2000)
    return rows
