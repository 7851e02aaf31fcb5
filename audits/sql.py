"""The audit draw's database-specific code, in one place: each function gives the same answer
on PostgreSQL and on SQLite, each the way that database does it fast (a million residents on
PostgreSQL; the demo and the tests on SQLite). ``tests/audits/test_sql.py`` checks both
against a plain ORM or Python computation.
"""

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery

from archives.models import Resident
from audits import sampling
from audits.models import AuditCampaign, AuditItem

HistoricalResident = Resident.history.model


def resident_ids_per_grid(residents: QuerySet[Resident]) -> dict[int, list[int]]:
    """``residents`` as strata: grid ID -> resident IDs, ascending.

    PostgreSQL groups the IDs per grid itself (one array per grid, about 2,000 rows for a
    million residents, instead of a million tuples for Python to group); other databases send
    the pairs and Python groups them.
    """
    residents = residents.order_by()  # the model's ordering would join GROUP BY
    if connection.vendor == "postgresql":
        # Unordered arrays, sorted here: PostgreSQL then groups by hashing instead of sorting
        # 950,000 rows by grid and each grid's IDs again (0.75 → 0.58 s of its CPU at a
        # million residents); the rows come nearly in ID order, which Python sorts in passing.
        strata = residents.values_list("grid_id").annotate(ids=ArrayAgg("pk"))
        population = dict(strata.values_list("grid_id", "ids"))
        for ids in population.values():
            ids.sort()
        return population
    pairs = residents.order_by("pk").values_list("pk", "grid_id")
    return sampling.group(pairs)


def audit_items_insert(campaign: AuditCampaign, drawn: list[tuple[int, int]]) -> None:
    """One item of ``campaign`` per (stratum ID, resident ID) of ``drawn``, in that order,
    each pinned to the resident's latest history entry (the file as it stands now).

    PostgreSQL: the items and their pins in one statement, from two arrays. At 38,000 items
    (19 from each of 2,000 grids) building model instances, sending them in batches and then
    updating every row with its pin took most of the draw's time. The other columns get their
    model defaults, taken from the model so that a new field cannot be missed. SQLite:
    ``bulk_create``, then one UPDATE sets the pins.
    """
    if connection.vendor == "postgresql":
        _items_insert_pinned(campaign, drawn)
        return
    AuditItem.objects.bulk_create(
        [
            AuditItem(campaign=campaign, stratum_id=stratum_id, resident_id=resident_id)
            for stratum_id, resident_id in drawn
        ],
        batch_size=5000,
    )
    latest = HistoricalResident.objects.filter(id=OuterRef("resident_id")).order_by(
        "-history_date", "-history_id"
    )
    # history: audit items are not historied (the findings are the audit's own evidence);
    # this sets each new item's pin to the resident's latest history entry, read, not written.
    AuditItem.objects.filter(campaign=campaign).update(  # history: see above
        pinned_record=Subquery(latest.values("history_id")[:1])
    )


def _items_insert_pinned(campaign: AuditCampaign, drawn: list[tuple[int, int]]) -> None:
    quote = connection.ops.quote_name
    given = {"campaign", "stratum", "resident", "pinned_record"}
    defaults = [f for f in AuditItem._meta.concrete_fields if not f.primary_key]
    defaults = [f for f in defaults if f.name not in given]
    columns = ["campaign_id", "stratum_id", "resident_id", "pinned_record_id"]
    columns += [f.column for f in defaults]
    history = HistoricalResident._meta.db_table
    sql = f"""
        INSERT INTO {quote(AuditItem._meta.db_table)} ({", ".join(map(quote, columns))})
        SELECT %s, drawn.stratum_id, drawn.resident_id,
               (SELECT pin.history_id FROM {quote(history)} pin
                 WHERE pin.id = drawn.resident_id
                 ORDER BY pin.history_date DESC, pin.history_id DESC LIMIT 1)
               {"".join(", %s" for _ in defaults)}
          FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY
               AS drawn(stratum_id, resident_id, position)
         ORDER BY drawn.position
    """
    params = [
        campaign.pk,
        *(f.get_db_prep_save(f.get_default(), connection) for f in defaults),
        [stratum_id for stratum_id, _ in drawn],
        [resident_id for _, resident_id in drawn],
    ]
    with connection.cursor() as cursor:  # history: audit items are not historied; pins read it
        cursor.execute(sql, params)
