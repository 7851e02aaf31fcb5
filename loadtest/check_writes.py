"""After a load test: was every accepted write stored exactly once? (``make loadtest`` runs it.)

Reads the writes the Locust users recorded (``LOADTEST_WRITES``, one JSON object a line) and
looks each one up by its unique marker: a resident's edit, and each row of an import, must have
exactly one history entry with that marker in its reason, holding the phone number written; a
visit exactly one row (and one history entry) with the marker in its note; a save refused as a
concurrent edit none. Prints the counts and each mismatch; exits 1 on
any lost or duplicated write.

    DATABASE_URL=... python -m loadtest.check_writes [loadtest/writes.jsonl]
"""

import datetime as dt
import json
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

#: How long to wait for the background jobs the test started (an import's confirmation among
#: them) before looking for their writes.
JOBS_WAIT_SECONDS = 300


def _wait_for_jobs() -> None:
    """Wait until no job is queued or running: an import confirmed in the last seconds of the
    run is written by the worker after Locust stops, and is not lost for that."""
    from jobs.models import Job

    unfinished = Job.objects.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING])
    started = time.monotonic()
    while (left := unfinished.count()) and time.monotonic() - started < JOBS_WAIT_SECONDS:
        print(f"waiting for {left} background jobs to finish", flush=True)
        time.sleep(5)
    if left:
        print(f"{left} jobs still unfinished after {JOBS_WAIT_SECONDS} s")


def _import_refused_by_its_job(marker: str) -> bool:
    """Whether the job confirming the import of the file named with ``marker`` failed: a
    resident of the file changed between the preview and the job (another clerk's edit), so
    the job refused the whole file, as it must."""
    from jobs.models import Job

    jobs = Job.objects.filter(params__name=f"load-test-{marker}.csv")
    return jobs.filter(state=Job.State.FAILED).exists()


#: The unique marker each write carries in its reason or note (``uuid4().hex``).
MARKER = re.compile(r"[0-9a-f]{32}")


def main(path: str) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from archives.models import Resident, Visit

    _wait_for_jobs()
    writes = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    starts = [dt.datetime.fromisoformat(w["at"]) for w in writes if w["kind"] == "start"]
    writes = [write for write in writes if write["kind"] != "start"]
    # Every entry written since the run began, read once and grouped by marker: looking each
    # marker up in the history with LIKE read the whole table per write (minutes at a million).
    resident_entries = Resident.history.exclude(history_change_reason=None)
    visit_entries = Visit.history.filter(history_type="+")
    if starts:
        resident_entries = resident_entries.filter(history_date__gte=min(starts))
        visit_entries = visit_entries.filter(history_date__gte=min(starts))
    entries_of: dict[str, list[tuple]] = defaultdict(list)
    for pk, id_number, phone, reason in resident_entries.values_list(
        "id", "id_number", "phone", "history_change_reason"
    ):
        for marker in MARKER.findall(reason):
            entries_of[marker].append((pk, id_number, phone))
    visits_created: dict[str, list[int]] = defaultdict(list)
    for pk, note in visit_entries.values_list("id", "note"):
        for marker in MARKER.findall(note or ""):
            visits_created[marker].append(pk)
    created_ids = [pk for pks in visits_created.values() for pk in pks]
    visits_of: dict[str, list[int]] = defaultdict(list)
    for pk, note in Visit.objects.filter(pk__in=created_ids).values_list("pk", "note"):
        for marker in MARKER.findall(note or ""):
            visits_of[marker].append(pk)

    lost: list[str] = []
    duplicated: list[str] = []
    wrong: list[str] = []
    refused = [write for write in writes if write["kind"] == "refused"]
    writes = [write for write in writes if write["kind"] != "refused"]
    for write in refused:
        if entries_of.get(write["marker"]):
            wrong.append(f"{write['marker']}: refused as concurrent, yet written")

    def expect_once(what: str, found: list, value: str | None = None) -> None:
        if not found:
            lost.append(what)
        elif len(found) > 1:
            duplicated.append(f"{what} ×{len(found)}")
        elif value is not None and found[0] != value:
            wrong.append(f"{what}: {found[0]!r} stored, {value!r} sent")

    refused_jobs = 0
    for write in writes:
        marker = write["marker"]
        entries = entries_of.get(marker, [])
        if write["kind"] == "resident":
            found = [phone for pk, _, phone in entries if pk == write["id"]]
            expect_once(f"resident {write['id']} {marker}", found, write["phone"])
        elif write["kind"] == "import":
            if _import_refused_by_its_job(marker):
                # The worker found a row changed since the preview and wrote nothing.
                refused_jobs += 1
                if entries:
                    wrong.append(f"import {marker}: refused by its job, yet written")
                continue
            # One history entry per row of the file, each with the phone number it carried.
            for row in write["rows"]:
                found = [phone for _, id_number, phone in entries if id_number == row["id_number"]]
                expect_once(f"import {marker} row {row['id_number']}", found, row["phone"])
        else:
            rows = visits_of.get(marker, [])
            expect_once(f"visit {marker}", rows)
            created = len(visits_created.get(marker, []))
            if created != len(rows):
                wrong.append(f"visit {marker}: {created} history entries for {len(rows)} rows")
    kinds = {
        kind: sum(w["kind"] == kind for w in writes) for kind in ("resident", "visit", "import")
    }
    print(
        f"writes checked: {len(writes)} ({kinds['resident']} resident edits, "
        f"{kinds['visit']} visits, {kinds['import']} imports; "
        f"{len(refused) + refused_jobs} refused as concurrent edits, not written); "
        f"lost: {len(lost)}, duplicated: {len(duplicated)}, wrong value: {len(wrong)}"
    )
    for line in lost[:20]:
        print("  lost:", line)
    for line in duplicated[:20]:
        print("  duplicated:", line)
    for line in wrong[:20]:
        print("  wrong:", line)
    return 1 if lost or duplicated or wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "loadtest/writes.jsonl"))
