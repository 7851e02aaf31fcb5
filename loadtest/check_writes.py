"""After a load test: was every accepted write stored exactly once? (``make loadtest`` runs it.)

Reads the writes the Locust users recorded (``LOADTEST_WRITES``, one JSON object a line) and
looks each one up by its unique marker: a resident's edit must have exactly one history entry
with that marker in its reason, holding the phone number written; a visit exactly one row (and
one history entry) with the marker in its note. Prints the counts and each mismatch; exits 1 on
any lost or duplicated write.

    DATABASE_URL=... python -m loadtest.check_writes [loadtest/writes.jsonl]
"""

import json
import os
import sys
from pathlib import Path


def main(path: str) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from archives.models import Resident, Visit

    writes = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    lost: list[str] = []
    duplicated: list[str] = []
    wrong: list[str] = []
    refused = [write for write in writes if write["kind"] == "refused"]
    writes = [write for write in writes if write["kind"] != "refused"]
    for write in refused:
        if Resident.history.filter(history_change_reason__contains=write["marker"]).exists():
            wrong.append(f"resident {write['id']}: refused as concurrent, yet written")
    for write in writes:
        marker = write["marker"]
        if write["kind"] == "resident":
            entries = list(
                Resident.history.filter(
                    id=write["id"], history_change_reason__contains=marker
                ).values_list("phone", flat=True)
            )
            if entries and entries[0] != write["phone"]:
                wrong.append(f"resident {write['id']}: {entries[0]!r} stored, {write['phone']!r}")
        else:
            entries = list(Visit.objects.filter(note__contains=marker).values_list("pk", flat=True))
            created = Visit.history.filter(note__contains=marker, history_type="+").count()
            if created != len(entries):
                wrong.append(f"visit {marker}: its history does not match its rows")
        if not entries:
            lost.append(f"{write['kind']} {write.get('id', '')} {marker}")
        elif len(entries) > 1:
            duplicated.append(f"{write['kind']} {write.get('id', '')} {marker} ×{len(entries)}")
    kinds = {kind: sum(w["kind"] == kind for w in writes) for kind in ("resident", "visit")}
    print(
        f"writes checked: {len(writes)} ({kinds['resident']} resident edits, "
        f"{kinds['visit']} visits; {len(refused)} edits refused as concurrent, not written); "
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
