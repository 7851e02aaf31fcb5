"""Writes to the resident archive: admin, commands and tests call these, never a bare save().

Each write re-checks scope on the server, whatever a form offered: the stored row must be one the
actor may change, and the row as it will be saved must lie in a grid they may write to. Bulk
writes ask the same of all their rows at once (``scope.may_all``, ``scope.may_place_all``).
Each write is recorded in the row's history with the actor and the reason (django-simple-history).
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.types import Actor
from archives import bulk, scope, sql
from archives.imports.reading import FileRefused
from archives.model_meta import concrete_field, history_attribution_set
from archives.models import (
    Building,
    Community,
    Department,
    ExportRecord,
    Grid,
    Household,
    Resident,
    SensitiveAccess,
    Street,
    Tag,
    Visit,
)

M = TypeVar("M", bound=models.Model)
#: When bulk-written changes happened: now (None), one moment for every row, or one per row.
When = dt.datetime | Sequence[dt.datetime] | None


def _check_scope(*, row: models.Model, actor: Actor) -> None:
    adding = row._state.adding
    if not adding and not scope.may(actor, scope.CHANGE, row):
        raise PermissionDenied(_("You may not change this record."))
    if not scope.may_place(actor, scope.ADD if adding else scope.CHANGE, row):
        raise PermissionDenied(_("This record would be in a grid you do not work in."))


def _save(*, row: models.Model, actor: Actor, reason: str) -> None:
    _check_scope(row=row, actor=actor)
    if not row._state.adding:
        stored = type(row)._default_manager.get(pk=row.pk)
        if not _fields_differ(stored, row):
            return  # nothing changed: no save, no empty history entry
    _recorded_save(row=row, actor=actor, reason=reason)


def _recorded_save(*, row: models.Model, actor: Actor, reason: str) -> None:
    """Validate and save ``row``; its history entry names ``actor`` and ``reason``."""
    row.full_clean()
    history_attribution_set(row, actor=actor, reason=reason)
    row.save()


@transaction.atomic
def building_save(*, building: Building, actor: Actor, reason: str = "") -> Building:
    """Create or update ``building`` for ``actor``, within their grids."""
    _save(row=building, actor=actor, reason=reason)
    return building


@transaction.atomic
def household_save(*, household: Household, actor: Actor, reason: str = "") -> Household:
    """Create or update ``household`` for ``actor``, within their grids."""
    _save(row=household, actor=actor, reason=reason)
    return household


class ConcurrentEditError(Exception):
    """Someone saved the resident after the form being posted was loaded."""

    def __init__(self, *, resident: Resident, loaded_version: int) -> None:
        super().__init__(f"resident {resident.pk} is at version {resident.version}")
        self.resident = resident
        self.loaded_version = loaded_version


def _editable_fields(model: type[models.Model]) -> list[str]:
    """The fields a person edits; a save that changes none of them records nothing."""
    return [
        f.attname
        for f in model._meta.concrete_fields
        if f.editable and not f.primary_key and f.name not in ("created_at", "updated_at")
    ]


def _fields_differ(stored: models.Model, edited: models.Model) -> bool:
    return any(getattr(stored, f) != getattr(edited, f) for f in _editable_fields(type(stored)))


_RESIDENT_EDITABLE = _editable_fields(Resident)


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
    if not adding:
        stored = Resident.objects.select_for_update().get(pk=resident.pk)
        if loaded_version is not None and stored.version != loaded_version:
            raise ConcurrentEditError(resident=stored, loaded_version=loaded_version)
        if not _resident_differs(stored, resident, tag_ids):
            return stored
        resident.version = stored.version + 1
    resident.full_clean()
    history_attribution_set(resident, actor=actor, reason=reason)
    if tag_ids is None:
        resident.save()
        return resident
    # The row and its tags, then one history entry that records both.
    resident.save_without_historical_record()
    resident.skip_history_when_saving = True
    try:
        resident.tags.set(tag_ids)
    finally:
        del resident.skip_history_when_saving
    Resident.history_records.create_historical_record(resident, "+" if adding else "~")
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
    resident.delete()


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


def sensitive_reads_record(*, user: Actor, shown: dict[int, set[str]], view: str) -> None:
    """Log that ``user`` was shown, per resident ID, these sensitive fields in full."""
    SensitiveAccess.objects.bulk_create(
        [
            SensitiveAccess(
                user=user, resident_id=resident_id, fields=",".join(sorted(fields)), view=view
            )
            for resident_id, fields in shown.items()
            if fields
        ]
    )


def resident_sensitive_reads_record(*, user: Actor, resident: Resident, view: str) -> None:
    """Log the sensitive fields of ``resident``'s file that ``user`` is shown in full on a page
    of the whole file (its form, its history, the version an audit checks): those their
    scope does not mask."""
    shown = {scope.ID_NUMBER, scope.MEDICAL_HISTORY} - scope.hidden_fields(user, resident)
    sensitive_reads_record(user=user, shown={resident.pk: shown}, view=view)


#: All that anyone outside a resident's area is told about them.
RESIDENT_ELSEWHERE = gettext_lazy("registered in another grid — ask for a transfer")


class ElsewhereLimitReached(FileRefused):
    """Today's ``RESIDENT_ELSEWHERE_DAILY_LIMIT`` is used up: the import (or the new file) is
    refused as a whole, without saying which ID number was found."""


@transaction.atomic
def residents_elsewhere_record(*, user: Actor, resident_ids: Iterable[int]) -> None:
    """``user`` is about to be told that these residents (matched by an ID number they typed
    or uploaded) are registered in another grid: log each as a sensitive read, within a daily
    ceiling per user; past it, raise ``ElsewhereLimitReached`` and tell (and log) nothing.

    The one rule for the resident import's preview and the resident add form. Residents the
    user may see anyway are not counted: they learn nothing new.
    """
    asked = set(resident_ids)
    if not asked:
        return
    in_view = scope.restrict(Resident.objects.filter(pk__in=asked), user, scope.VIEW)
    elsewhere = asked - set(in_view.values_list("pk", flat=True))
    if not elsewhere:
        return
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    told_today = SensitiveAccess.objects.filter(
        user=user, view=SensitiveAccess.View.ELSEWHERE, accessed_at__gte=today
    ).count()
    limit = settings.RESIDENT_ELSEWHERE_DAILY_LIMIT
    if told_today + len(elsewhere) > limit:
        raise ElsewhereLimitReached(
            _(
                "Refused: this would tell you of more residents registered in other grids than "
                "the %(limit)d a day allowed. Check the ID numbers, or ask an administrator."
            )
            % {"limit": limit}
        )
    sensitive_reads_record(
        user=user,
        shown={pk: {scope.ID_NUMBER} for pk in sorted(elsewhere)},
        view=SensitiveAccess.View.ELSEWHERE,
    )


@transaction.atomic
def export_record_create(
    *,
    user: Actor,
    model: str,
    rows: int,
    filters: str,
    file_format: str,
    full_fields: Iterable[str] = (),
    full_rows: int = 0,
) -> ExportRecord:
    """Log an export of ``rows`` rows of ``model`` with the list's ``filters``; when it held
    full values (``full_fields`` in ``full_rows`` rows), also one sensitive read for the
    whole file: a file leaves the system, and nobody reads the log row by row."""
    record = ExportRecord.objects.create(
        user=user, model=model, rows=rows, filters=filters, file_format=file_format
    )
    if full_fields and full_rows:
        SensitiveAccess.objects.create(
            user=user,
            resident=None,
            fields=",".join(sorted(full_fields)),
            view=SensitiveAccess.View.EXPORT,
            rows=full_rows,
            filters=filters,
            file_format=file_format,
        )
    return record


def _resident_differs(stored: Resident, edited: Resident, tag_ids: set[int] | None) -> bool:
    if _fields_differ(stored, edited):
        return True
    if tag_ids is None:
        return False
    return tag_ids != set(stored.tags.values_list("pk", flat=True))


@transaction.atomic
def visit_save(*, visit: Visit, actor: Actor, reason: str = "") -> Visit:
    """Record or correct ``visit`` for ``actor``, within their grids."""
    _save(row=visit, actor=actor, reason=reason)
    return visit


# The org hierarchy and tags: administrators' work, on the admin pages. ---------------------------


def _check_unit_scope(*, unit: models.Model, actor: Actor) -> None:
    """What the org admin pages ask: a stored street, community, grid or department must be one
    the actor's grants reach with change rights (``scope.may``); a new one, or any tag, needs
    the role's permission."""
    model = type(unit)
    if unit._state.adding or model not in scope.ORG_UNITS:
        action = scope.ADD if unit._state.adding else scope.CHANGE
        allowed = actor.has_perm(scope.permission_name(model, action))
    else:
        allowed = scope.may(actor, scope.CHANGE, unit)
    if not allowed:
        raise PermissionDenied(_("You may not change this record."))


def _unit_save(*, unit: models.Model, actor: Actor, reason: str) -> None:
    # Saved even when nothing changed, as the admin pages always saved units.
    _check_unit_scope(unit=unit, actor=actor)
    _recorded_save(row=unit, actor=actor, reason=reason)


@transaction.atomic
def street_save(*, street: Street, actor: Actor, reason: str = "") -> Street:
    """Create or update ``street`` for ``actor``."""
    _unit_save(unit=street, actor=actor, reason=reason)
    return street


@transaction.atomic
def community_save(*, community: Community, actor: Actor, reason: str = "") -> Community:
    """Create or update ``community`` for ``actor``."""
    _unit_save(unit=community, actor=actor, reason=reason)
    return community


@transaction.atomic
def grid_save(
    *,
    grid: Grid,
    actor: Actor,
    reason: str = "",
    members: Iterable[Actor] | None = None,
) -> Grid:
    """Create or update ``grid`` for ``actor``, and its members when given (not historied)."""
    _unit_save(unit=grid, actor=actor, reason=reason)
    if members is not None:
        grid.members.set(members)
    return grid


@transaction.atomic
def department_save(
    *,
    department: Department,
    actor: Actor,
    reason: str = "",
    served_tags: Iterable[Tag] | None = None,
    streets: Iterable[Street] | None = None,
) -> Department:
    """Create or update ``department`` for ``actor``, and the tags and streets it serves when
    given (not historied)."""
    _unit_save(unit=department, actor=actor, reason=reason)
    if served_tags is not None:
        department.served_tags.set(served_tags)
    if streets is not None:
        department.streets.set(streets)
    return department


@transaction.atomic
def tag_save(*, tag: Tag, actor: Actor, reason: str = "") -> Tag:
    """Create or update ``tag`` for ``actor``."""
    _unit_save(unit=tag, actor=actor, reason=reason)
    return tag


# Bulk writes: seeding and imports. Each row still gets its history entry, written in bulk. ------


@transaction.atomic
def rows_bulk_create(
    *,
    rows: list[M],
    actor: Actor,
    reason: str,
    batch_size: int = 2000,
    at: When = None,
) -> list[M]:
    """Insert many rows of one historied model (not residents: see ``residents_bulk_create``),
    each with a "created" history entry naming ``actor`` and ``reason``.

    ``at`` dates the history entries, one moment or one per row (see ``_history_copied``);
    None is now.
    """
    if not rows:
        return rows
    _check_bulk_placement(rows=rows, actor=actor, action=scope.ADD)
    model = type(rows[0])
    rows = bulk.rows_insert(rows, batch_size=batch_size)  # history: the next line
    _history_created(model, [row.pk for row in rows], actor=actor, reason=reason, at=at)
    return rows


#: Where a household is, as imports read it: (grid id, building address, unit, floor, room).
Place = tuple[int, str, int, int, str]


@transaction.atomic
def households_ensure(
    *,
    places: set[Place],
    actor: Actor,
    reason: str,
    status_of: dict[Place, str] | None = None,
) -> dict[Place, int]:
    """The household id of each place, creating the buildings (sized to the largest unit and
    floor named) and households that do not exist yet (``status_of[place]`` or occupied), with
    history; each created row must lie where ``actor`` may add it."""
    grid_ids = {p[0] for p in places}
    buildings = {(b.grid_id, b.address): b for b in Building.objects.filter(grid_id__in=grid_ids)}
    sizes: Counter[tuple[tuple[int, str], str]] = Counter()
    for grid_id, address, unit, floor, _room in places:
        key = (grid_id, address)
        sizes[(key, "units")] = max(sizes[(key, "units")], unit)
        sizes[(key, "floors")] = max(sizes[(key, "floors")], floor)
    new_buildings = [
        Building(
            grid_id=grid_id,
            address=address,
            units=sizes[((grid_id, address), "units")],
            floors=sizes[((grid_id, address), "floors")],
        )
        for grid_id, address in {(p[0], p[1]) for p in places}
        if (grid_id, address) not in buildings
    ]
    for building in rows_bulk_create(rows=new_buildings, actor=actor, reason=reason):
        buildings[(building.grid_id, building.address)] = building
    existing = {
        (grid_id, address, unit, floor, room): pk
        for pk, grid_id, address, unit, floor, room in Household.objects.filter(
            building__in=buildings.values()
        ).values_list("pk", "building__grid_id", "building__address", "unit", "floor", "room")
    }
    new_households = [
        Household(
            building=buildings[(p[0], p[1])],
            unit=p[2],
            floor=p[3],
            room=p[4],
            status=(status_of or {}).get(p, Household.Status.OCCUPIED),
        )
        for p in places
        if p not in existing
    ]
    for household in rows_bulk_create(rows=new_households, actor=actor, reason=reason):
        building = household.building
        existing[
            (building.grid_id, building.address, household.unit, household.floor, household.room)
        ] = household.pk
    return existing


@transaction.atomic
def residents_bulk_create(
    *,
    residents: list[Resident],
    tag_ids: list[set[int]],
    actor: Actor,
    reason: str,
    batch_size: int = 2000,
    at: When = None,
) -> list[Resident]:
    """Insert residents with their tags (``tag_ids[i]`` for ``residents[i]``) and one "created"
    history entry each that records those tags, all in bulk; ``at`` dates the entries (None:
    now, see ``_history_copied``).

    simple-history keeps an entry's tags in a table of its own, one row per tag link, pointing
    at the entry; they are written here the way the library writes them for a single save.
    """
    _check_bulk_placement(rows=residents, actor=actor, action=scope.ADD)
    residents = bulk.rows_insert(residents, batch_size=batch_size)  # history: below
    Through = Resident.tags.through
    bulk.rows_insert(  # history: the tag rows of the entries, below
        [
            Through(resident_id=resident.pk, tag_id=tag_id)
            for resident, ids in zip(residents, tag_ids, strict=True)
            for tag_id in sorted(ids)
        ],
        batch_size=batch_size,
    )
    pks = [resident.pk for resident in residents]
    entry_of = _history_created(Resident, pks, actor=actor, reason=reason, at=at)
    _tag_history_copied(pks, entry_of, batch_size=batch_size)
    return residents


@transaction.atomic
def residents_bulk_update(
    *,
    residents: list[Resident],
    tag_ids: list[set[int]],
    actor: Actor,
    reason: str,
    batch_size: int = 1000,
    at: When = None,
    fields: list[str] | None = None,
) -> list[Resident]:
    """Write many edited residents (``tag_ids[i]`` is the new tag set of ``residents[i]``) with
    one "changed" history entry each that records their tags, all in bulk.

    For imports: the caller has checked the validity of every row and left out the rows that
    would not change; scope is checked again here, as for a single save. Each resident carries
    the version it was read at: the rows are locked, and if any was saved since,
    ``ConcurrentEditError`` says which and nothing is written. Versions are raised, so a form
    loaded before the import cannot overwrite it.
    ``at`` dates the change (``updated_at`` and the history entries; None: now). ``fields``
    names the only fields that changed (default: every editable one), so fewer are written.
    """
    if not residents:
        return residents
    pks = [resident.pk for resident in residents]
    if not scope.may_all(actor, scope.CHANGE, Resident, pks):
        raise PermissionDenied(_("You may not change this record."))
    _check_bulk_placement(rows=residents, actor=actor, action=scope.CHANGE)
    versions: dict[int, int] = {}
    for start in range(0, len(pks), batch_size):
        chunk = pks[start : start + batch_size]
        versions.update(
            Resident.objects.select_for_update().filter(pk__in=chunk).values_list("pk", "version")
        )
    moments = _moments(at, len(residents))
    for resident, moment in zip(residents, moments, strict=True):
        if versions[resident.pk] != resident.version:
            stored = Resident.objects.get(pk=resident.pk)
            raise ConcurrentEditError(resident=stored, loaded_version=resident.version)
        resident.version += 1
        resident.updated_at = moment
    written = (
        _RESIDENT_EDITABLE
        if fields is None
        else [concrete_field(Resident, name).attname for name in fields]
    )
    bulk.rows_update(  # history: _history_copied below
        residents, [*written, "version", "updated_at"], batch_size=batch_size
    )
    Through = Resident.tags.through
    pairs = zip(residents, tag_ids, strict=True)
    wanted = {(resident.pk, tag_id) for resident, ids in pairs for tag_id in ids}
    stored_links: dict[tuple[int, int], int] = {}  # (resident, tag) -> link
    for start in range(0, len(pks), batch_size):
        links = Through.objects.filter(resident_id__in=pks[start : start + batch_size])
        rows = links.values_list("pk", "resident_id", "tag_id")
        stored_links.update({(r, t): pk for pk, r, t in rows})
    removed = [pk for link, pk in stored_links.items() if link not in wanted]
    for start in range(0, len(removed), batch_size):
        Through.objects.filter(pk__in=removed[start : start + batch_size]).delete()
    bulk.rows_insert(  # history: _tag_history_copied below
        [Through(resident_id=r, tag_id=t) for r, t in sorted(wanted - stored_links.keys())],
        batch_size=batch_size,
    )
    entry_of = _history_copied(Resident, pks, actor=actor, reason=reason, history_type="~", at=at)
    _tag_history_copied(pks, entry_of, batch_size=batch_size)
    return residents


def _check_bulk_placement(*, rows: Sequence[models.Model], actor: Actor, action: str) -> None:
    if not scope.may_place_all(actor, action, rows):
        raise PermissionDenied(_("This record would be in a grid you do not work in."))


def _tag_history_copied(pks: list[int], entry_of: dict[int, int], *, batch_size: int) -> None:
    """Record each resident's current tags under its new history entry, as simple-history does
    for a single save."""
    Through = Resident.tags.through
    TagHistory = Resident.history_records.m2m_models[Resident._meta.get_field("tags")]
    for start in range(0, len(pks), batch_size):
        links = Through.objects.filter(resident_id__in=pks[start : start + batch_size])
        bulk.rows_insert(  # history: this is the history of the tags
            [
                TagHistory(history_id=entry_of[r], id=pk, resident_id=r, tag_id=t)
                for pk, r, t in links.values_list("pk", "resident_id", "tag_id")
            ]
        )


def _history_created(
    model: type[models.Model],
    pks: list[int],
    *,
    actor: Actor,
    reason: str,
    at: When = None,
) -> dict[int, int]:
    """Write a "created" history entry for each of ``pks`` (see ``_history_copied``)."""
    return _history_copied(model, pks, actor=actor, reason=reason, history_type="+", at=at)


def _history_copied(
    model: type[models.Model],
    pks: list[int],
    *,
    actor: Actor,
    reason: str,
    history_type: str,
    at: When = None,
) -> dict[int, int]:
    """Write a history entry of ``history_type`` ("+" created, "~" changed) for each of
    ``pks``, copied by the database from the rows as they now are, and return each row's
    entry id.

    ``at`` is when the change happened (``history_date``): None meaning now, one moment for
    all, or one per row of ``pks``. Only the demo city passes it: it builds six months of a
    city's past in time order, each change dated the day it happened, so that reports and
    as-of views read a believable history. Callers write a row's changes oldest first, at
    most one per row per call.

    This is what simple-history's ``bulk_history_create`` writes, as one INSERT ... SELECT per
    chunk instead of a historical model instance per row in Python, which took more than half
    of a large import's time.
    """
    moments = _moments(at, len(pks))
    by_moment: dict[dt.datetime, list[int]] = {}
    for pk, moment in zip(pks, moments, strict=True):
        by_moment.setdefault(moment, []).append(pk)
    entry_of = {}
    for moment, dated in by_moment.items():
        entry_of.update(
            _history_copied_at(
                model, dated, actor=actor, reason=reason, history_type=history_type, stamp=moment
            )
        )
    return entry_of


def _moments(at: When, count: int) -> list[dt.datetime]:
    if at is None or isinstance(at, dt.datetime):
        return [at or timezone.now()] * count
    if len(at) != count:
        raise ValueError(f"{len(at)} moments for {count} rows")
    return list(at)


def _history_copied_at(
    model: type[models.Model],
    pks: list[int],
    *,
    actor: Actor,
    reason: str,
    history_type: str,
    stamp: dt.datetime,
) -> dict[int, int]:
    return sql.history_entries_copy(
        model,
        pks,
        stamp=stamp,
        columns={
            "history_change_reason": reason,
            "history_type": history_type,
            "history_user_id": actor.pk,
        },
    )
