"""Writes of many rows at once, for imports and the demo city: every row checked against
scope in chunks, inserted or updated in one statement a batch, and its history entries copied
in one statement too (``archives/sql.py``)."""

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import Actor
from archives import bulk, scope, sql
from archives.model_meta import concrete_field
from archives.models import (
    Building,
    Household,
    Resident,
    Visit,
)
from archives.places import Place
from archives.services._base import _RESIDENT_EDITABLE, ConcurrentEditError, M, When
from archives.services.grid_keys import grid_keys_fill
from archives.services.household_tags import household_tags_add, household_tags_refresh


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
    if model in (Resident, Visit):
        grid_keys_fill(rows)  # type: ignore[arg-type]
    rows = bulk.rows_insert(rows, batch_size=batch_size)  # history: the next line
    _history_created(model, [row.pk for row in rows], actor=actor, reason=reason, at=at)
    return rows


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
    grid_ids = {p.grid_id for p in places}
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
        for grid_id, address in {(p.grid_id, p.address) for p in places}
        if (grid_id, address) not in buildings
    ]
    for building in rows_bulk_create(rows=new_buildings, actor=actor, reason=reason):
        buildings[(building.grid_id, building.address)] = building
    # Only the households of the buildings the places name: those of every building in the
    # grids took 2 s to read for an import of 100,000 residents into 200 grids.
    named = {(p.grid_id, p.address) for p in places}
    building_ids = [b.pk for key, b in buildings.items() if key in named]
    existing: dict[Place, int] = {}
    for households in sql.values_among(
        Household.objects.all(), "building", building_ids, chunk=sql.ID_CHUNK
    ):
        rows = households.values_list(
            "pk", "building__grid_id", "building__address", "unit", "floor", "room"
        )
        existing.update(
            {
                Place(grid_id, address, unit, floor, room): pk
                for pk, grid_id, address, unit, floor, room in rows
            }
        )
    new_places = [p for p in places if p not in existing]
    new_households = bulk.rows_built(
        Household,
        (
            {
                "building_id": buildings[(p.grid_id, p.address)].pk,
                "unit": p.unit,
                "floor": p.floor,
                "room": p.room,
                "status": (status_of or {}).get(p, Household.Status.OCCUPIED),
            }
            for p in new_places
        ),
    )
    rows_bulk_create(rows=new_households, actor=actor, reason=reason)
    for place, household in zip(new_places, new_households, strict=True):
        existing[place] = household.pk
    return existing


@transaction.atomic
def residents_bulk_create(
    *,
    residents: list[Resident],
    tag_ids: Sequence[AbstractSet[int]],
    actor: Actor,
    reason: str,
    batch_size: int = 2000,
    at: When = None,
    household_grids: Mapping[int, int] | None = None,
) -> list[Resident]:
    """Insert residents with their tags (``tag_ids[i]`` for ``residents[i]``) and one "created"
    history entry each that records those tags, all in bulk; ``at`` dates the entries (None:
    now, see ``_history_copied``). ``household_grids``: the grid of each household as
    ``households_ensure`` found or made it in this transaction (its places carry their
    grid), so that it is not read again.

    simple-history keeps an entry's tags in a table of its own, one row per tag link, pointing
    at the entry; they are written here the way the library writes them for a single save.
    """
    _check_bulk_placement(rows=residents, actor=actor, action=scope.ADD)
    grid_keys_fill(residents, known=household_grids)
    residents = bulk.rows_insert(residents, batch_size=batch_size)  # history: below
    Through = Resident.tags.through
    links = [
        Through(resident_id=resident.pk, tag_id=tag_id)
        for resident, ids in zip(residents, tag_ids, strict=True)
        for tag_id in sorted(ids)
    ]
    bulk.rows_insert(links, batch_size=batch_size)  # history: the tag rows of the entries, below
    household_of = {resident.pk: resident.household_id for resident in residents}
    household_tags_add(pairs={(household_of[link.resident_id], link.tag_id) for link in links})
    pks = [resident.pk for resident in residents]
    entry_of = _history_created(Resident, pks, actor=actor, reason=reason, at=at)
    _tag_history_copied(pks, entry_of, batch_size=batch_size)
    return residents


@transaction.atomic
def residents_bulk_update(
    *,
    residents: list[Resident],
    tag_ids: Sequence[AbstractSet[int]],
    actor: Actor,
    reason: str,
    batch_size: int = 1000,
    at: When = None,
    fields: list[str] | None = None,
    household_grids: Mapping[int, int] | None = None,
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
    ``household_grids`` as for ``residents_bulk_create``.
    """
    if not residents:
        return residents
    pks = [resident.pk for resident in residents]
    if not scope.may_all(actor, scope.CHANGE, Resident, pks):
        raise PermissionDenied(_("You may not change this record."))
    _check_bulk_placement(rows=residents, actor=actor, action=scope.CHANGE)
    moments = _moments(at, len(residents))
    for resident, moment in zip(residents, moments, strict=True):
        resident.version += 1
        resident.updated_at = moment
    written = (
        _RESIDENT_EDITABLE
        if fields is None
        else [concrete_field(Resident, name).attname for name in fields]
    )
    # The households whose kept tags may change: those of residents whose tags change, and
    # both the old and the new one of residents who move.
    households: set[int] = set()
    if "household_id" in written:  # the grid goes along with the household
        grid_keys_fill(residents, known=household_grids)
        written = [*written, "grid_id"]
        households |= _stored_households_of_moved(residents, batch_size=batch_size)
    # Each row is written (and locked) only if its version is still the one it was read at.
    updated = bulk.rows_update(  # history: _history_copied below
        residents, [*written, "version", "updated_at"], batch_size=batch_size, versioned="version"
    )
    stale = [resident for resident in residents if resident.pk not in (updated or set())]
    if stale:
        # Saved since they were read: the first is named; raising undoes the rows written.
        for resident in residents:
            resident.version -= 1  # back to the versions they were read at
        stored = Resident.objects.get(pk=stale[0].pk)
        raise ConcurrentEditError(resident=stored, loaded_version=stale[0].version)
    Through = Resident.tags.through
    pairs = zip(residents, tag_ids, strict=True)
    wanted = {(resident.pk, tag_id) for resident, ids in pairs for tag_id in ids}
    stored_links: dict[tuple[int, int], int] = {}  # (resident, tag) -> link
    for links in sql.values_among(Through.objects.all(), "resident", pks, chunk=batch_size):
        rows = links.values_list("pk", "resident_id", "tag_id")
        stored_links.update({(r, t): pk for pk, r, t in rows})
    removed_links = [link for link in stored_links if link not in wanted]
    removed = [stored_links[link] for link in removed_links]
    for links in sql.values_among(Through.objects.all(), "id", removed, chunk=batch_size):
        links.delete()
    added = sorted(wanted - stored_links.keys())
    bulk.rows_insert(  # history: _tag_history_copied below
        [Through(resident_id=r, tag_id=t) for r, t in added],
        batch_size=batch_size,
    )
    retagged = {r for r, _t in added} | {r for r, _t in removed_links}
    household_of = {resident.pk: resident.household_id for resident in residents}
    households |= {household_of[r] for r in retagged}
    household_tags_refresh(household_ids=households)
    entry_of = _history_copied(Resident, pks, actor=actor, reason=reason, history_type="~", at=at)
    _tag_history_copied(pks, entry_of, batch_size=batch_size)
    return residents


def _stored_households_of_moved(residents: list[Resident], *, batch_size: int) -> set[int]:
    """The stored and the new households of the residents whose household changes (read
    before the update writes the new ones)."""
    new_of = {resident.pk: resident.household_id for resident in residents}
    households: set[int] = set()
    pks = sorted(new_of)
    for stored in sql.values_among(Resident.objects.all(), "id", pks, chunk=batch_size):
        for pk, household_id in stored.values_list("pk", "household_id"):
            if household_id != new_of[pk]:
                households |= {household_id, new_of[pk]}
    return households


def _check_bulk_placement(*, rows: Sequence[models.Model], actor: Actor, action: str) -> None:
    if not scope.may_place_all(actor, action, rows):
        raise PermissionDenied(_("This record would be in a grid you do not work in."))


def _tag_history_copied(pks: list[int], entry_of: dict[int, int], *, batch_size: int) -> None:
    """Record each resident's current tags under its new history entry, as simple-history does
    for a single save."""
    Through = Resident.tags.through
    TagHistory = Resident.history_records.m2m_models[Resident._meta.get_field("tags")]
    for links in sql.values_among(Through.objects.all(), "resident", pks, chunk=batch_size):
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
