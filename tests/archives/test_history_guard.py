"""No write path around history: code that updates, bulk-inserts or runs SQL on a historied
model without writing history fails this test. A line that writes the history itself says so
with a ``# history:`` comment, and a reviewer reads why.
"""

import ast
from pathlib import Path

from django.apps import apps
from django.conf import settings

from archives.history import HISTORIED_MODELS

# bench/ is no app, but it runs SQL on the archive too (rolled back): its lines say why as well.
APP_DIRS = ["accounts", "archives", "audits", "patrols", "events", "exports", "portal", "bench"]
# Calls that write rows without saving them one by one, so without history entries.
BULK_WRITES = {"update", "bulk_update", "bulk_create", "raw", "_raw_delete"}
# The archive's, and every other app's model that keeps history (patrol rounds, devices, …).
HISTORIED_NAMES = {model.__name__ for model in HISTORIED_MODELS} | {
    model.__name__
    for model in apps.get_models()
    if hasattr(model, "history") and not model.__name__.startswith("Historical")
}
MARKER = "# history:"


def unhistoried_writes(source: str, filename: str = "<snippet>") -> list[str]:
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        line = lines[node.lineno - 1]
        if MARKER in line or MARKER in lines[node.end_lineno - 1]:
            continue
        if node.func.attr in BULK_WRITES and _root_name(node.func.value) in HISTORIED_NAMES:
            found.append(f"{filename}:{node.lineno}: {line.strip()}")
        elif node.func.attr in ("rows_insert", "rows_update"):  # archives.bulk: any model
            found.append(f"{filename}:{node.lineno}: bulk insert: {line.strip()}")
        elif node.func.attr == "cursor" and _root_name(node.func.value) == "connection":
            found.append(f"{filename}:{node.lineno}: raw SQL: {line.strip()}")
    return found


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def test_no_code_writes_historied_models_around_their_history():
    root = Path(settings.BASE_DIR)
    found = []
    for app in APP_DIRS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.parts:
                found += unhistoried_writes(path.read_text(), str(path.relative_to(root)))
    assert found == [], "writes that skip history:\n" + "\n".join(found)


def test_the_guard_catches_an_update_a_bulk_insert_and_raw_sql():
    snippet = "\n".join(
        [
            "Resident.objects.filter(pk=1).update(name='x')",
            "Household.objects.bulk_create(rows)",
            "Building.objects.raw('UPDATE archives_building SET floors = 1')",
            "with connection.cursor() as cursor: pass",
            "bulk.rows_insert(residents)",
            "counts.update(residents=1)",  # a dict, not a model
            "Resident.objects.bulk_create(rows)  # history: written right after",
        ]
    )
    assert len(unhistoried_writes(snippet)) == 5
