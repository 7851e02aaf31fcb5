"""After a load test: was every accepted write stored exactly once? (``make loadtest`` runs it.)

Reads the writes the Locust users recorded (``LOADTEST_WRITES``, one JSON object a line) and
looks each one up by its unique marker: a resident's edit, and each row of an import, must have
exactly one history entry with that marker in its reason, holding the phone number written; a
visit exactly one row (and one history entry) with the marker in its note; a save refused as a
concurrent edit none. Prints the counts and each mismatch; exits 1 on
any lost or duplicated write.

    DATABASE_URL=... python -m loadtest.check_writes [loadtest/writes.jsonl]
"""

import json
import os
import sys
import time
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


def main(path: str) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from archives.models import Resident, Visit

    _wait_for_jobs()
    writes = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    lost: list[str] = []
    duplicated: list[str] = []
    wrong: list[str] = []
    refused = [write for write in writes if write["kind"] == "refused"]
    writes = [write for write in writes if write["kind"] != "refused"]
    for write in refused:
        if Resident.history.filter(history_change_reason__contains=write["marker"]).exists():
            wrong.append(f"{write['marker']}: refused as concurrent, yet written")

    def expect_once(what: str, found: list, value: str | None = None) -> None:
        if not found:
            lost.append(what)
        elif len(found) > 1:
            duplicated.append(f"{what} ×{len(found)}")
        elif value is not None and found[0] != value:
            wrong.append(f"{what}: {found[0]!r} stored, {value!r} sent")

    def resident_entries(marker: str, **lookup: object) -> list:
        entries = Resident.history.filter(history_change_reason__contains=marker, **lookup)
        return list(entries.values_list("phone", flat=True))

    refused_jobs = 0
    for write in writes:
        marker = write["marker"]
        if write["kind"] == "resident":
            found = resident_entries(marker, id=write["id"])
            expect_once(f"resident {write['id']} {marker}", found, write["phone"])
        elif write["kind"] == "import":
            if _import_refused_by_its_job(write["marker"]):
                # The worker found a row changed since the preview and wrote nothing.
                refused_jobs += 1
                if Resident.history.filter(history_change_reason__contains=marker).exists():
                    wrong.append(f"import {marker}: refused by its job, yet written")
                continue
            # One history entry per row of the file, each with the phone number it carried.
            for row in write["rows"]:
                found = resident_entries(marker, id_number=row["id_number"])
                expect_once(f"import {marker} row {row['id_number']}", found, row["phone"])
        else:
            rows = list(Visit.objects.filter(note__contains=marker).values_list("pk", flat=True))
            expect_once(f"visit {marker}", rows)
            created = Visit.history.filter(note__contains=marker, history_type="+").count()
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
