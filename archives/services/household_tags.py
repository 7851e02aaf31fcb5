"""The tags kept on households (``HouseholdTag``): which tags a household's residents carry,
what a department's household and building lists read instead of every resident it serves.

Every write that changes a resident's tags or household, or removes a resident, calls
``household_tags_refresh`` with the households concerned (the old and the new one of a moved
resident), in its own transaction; a write that only adds tagged residents (a bulk insert)
calls ``household_tags_add``. No history: the residents' history keeps their tags.

Each call first locks the households' rows (``FOR NO KEY UPDATE``, in ID order): two writers
of the same household would otherwise each read the other's residents as they were before
and one of them delete a row the other's resident still needs. The lock does not stop
residents being added to or moved into the household (their foreign key takes a weaker lock),
only another refresh of it, which then reads what the first one committed.
"""

from collections.abc import Iterable

from django.db import transaction

from archives import bulk, sql
from archives.models import Household, HouseholdTag, Resident


@transaction.atomic(savepoint=False)  # the caller's transaction, or one of its own
def household_tags_refresh(*, household_ids: Iterable[int | None]) -> None:
    """Make the kept tags of these households the tags their residents carry now: rows for
    tags no resident carries any more are removed, missing ones added, the rest left alone."""
    wanted = _locked(household_ids)
    carried: set[tuple[int, int]] = set()
    for residents in sql.values_among(Resident.objects.all(), "household", wanted, chunk=_CHUNK):
        tagged = residents.filter(tags__isnull=False).order_by()
        carried.update(tagged.values_list("household_id", "tags").distinct())
    kept = _kept(wanted)
    stale = [pk for pair, pk in kept.items() if pair not in carried]
    for rows in sql.values_among(HouseholdTag.objects.all(), "id", stale, chunk=_CHUNK):
        rows.delete()
    _insert(carried - kept.keys())


@transaction.atomic(savepoint=False)  # the caller's transaction, or one of its own
def household_tags_add(*, pairs: Iterable[tuple[int, int]]) -> None:
    """Keep the (household, tag) ``pairs`` that new residents brought, where not kept yet.
    Adding residents never takes a tag from a household: only the kept rows are read."""
    wanted = set(pairs)
    _locked(household for household, _tag in wanted)
    _insert(wanted - _kept(sorted({household for household, _tag in wanted})).keys())


#: IDs per query off PostgreSQL (``sql.values_among``: one array parameter on PostgreSQL).
_CHUNK = sql.ID_CHUNK


def _locked(household_ids: Iterable[int | None]) -> list[int]:
    """The households' IDs, sorted, their rows locked in that order (no deadlock between two
    refreshes). SQLite has no row locks (its writer holds the whole database): Django leaves
    the clause out there."""
    wanted = sorted({pk for pk in household_ids if pk is not None})
    for households in sql.values_among(Household.objects.all(), "id", wanted, chunk=_CHUNK):
        list(households.select_for_update(no_key=True).order_by("pk").values_list("pk"))
    return wanted


def _kept(household_ids: list[int]) -> dict[tuple[int, int], int]:
    """{(household, tag): row ID} of the kept rows of these households."""
    kept = {}
    for rows in sql.values_among(
        HouseholdTag.objects.all(), "household", household_ids, chunk=_CHUNK
    ):
        kept.update({(h, t): pk for pk, h, t in rows.values_list("pk", "household_id", "tag_id")})
    return kept


def _insert(pairs: set[tuple[int, int]]) -> None:
    rows = bulk.rows_built(
        HouseholdTag, ({"household_id": h, "tag_id": t} for h, t in sorted(pairs))
    )
    bulk.rows_insert(rows)  # history: derived rows, not historied (module docstring)
