"""Spreadsheet figures: our import and export of 100,000 residents, and the same file imported
the way django-import-export does by default, for the ratio between the two.

Each import runs in a child process of its own (``python -m bench --measure-import``), so that
its peak memory is its own and not whatever earlier benchmarks left behind. Every write is
rolled back.
"""

import datetime as dt
import io
import resource
import tempfile
import time
from pathlib import Path

import openpyxl
import tablib
from django.contrib.auth import get_user_model
from django.utils import translation
from import_export import fields, resources, widgets
from import_export.formats.base_formats import XLSX

from accounts.types import Actor
from archives.imports.collector import collector_paused
from archives.imports.reading import Limits, read_table
from archives.imports.residents import column_names, resident_import_apply, resident_import_plan
from archives.models import Building, Grid, Household, Resident, Tag
from archives.resources import ResidentResource
from archives.spreadsheets import FastXLSX
from archives.validators import id_number_check_char, parse_id_number
from bench.scratch import measured_in_child, rolled_back
from bench.table import Row

#: Rows the library's default import is timed on; its time per row does not depend on the size
#: of the file, and all 100,000 would take the better part of an hour.
LIBRARY_SAMPLE = 2_000


def import_export_timings(count: int) -> list[Row]:
    """Import a generated ``count``-row workbook through the admin's read, plan and apply
    steps, then the same file the library's default way, each in a process of its own;
    then export ``count`` residents to .xlsx."""
    data = generated_workbook(count)
    ours = _measured_import("ours", data)
    library = _measured_import("library", data)
    export = measure_export(count)
    updates = _measured_import("ours", edited_export(export["xlsx"]))
    ours_rate = ours["rows"] / ours["seconds"]
    library_rate = library["rows"] / library["seconds"]
    return [
        Row(
            f"import a {count:,}-row .xlsx (validate, plan, write with history)",
            f"{ours_rate:,.0f}",
            "rows/s",
            f"{ours['seconds']:.1f} s, peak memory {ours['peak_mb']:,.0f} MB"
            f" ({len(data) / 2**20:.1f} MB file)",
        ),
        Row(
            "the same file, django-import-export defaults",
            f"{library_rate:,.0f}",
            "rows/s",
            f"ours is {ours_rate / library_rate:,.0f}x; read {library['read_seconds']:.1f} s,"
            f" {library['sample_rows']:,} rows imported in {library['sample_seconds']:.1f} s,"
            f" peak memory {library['peak_mb']:,.0f} MB",
        ),
        Row(
            f"import that export with every phone changed ({updates['rows']:,} updates)",
            f"{updates['rows'] / updates['seconds']:,.0f}",
            "rows/s",
            f"{updates['seconds']:.1f} s, peak memory {updates['peak_mb']:,.0f} MB",
        ),
        Row(
            f"export {count:,} residents to .xlsx",
            f"{export['seconds']:.1f}",
            "s",
            f"{count / export['seconds']:,.0f} rows/s, {export['megabytes']:.1f} MB",
        ),
    ]


def generated_workbook(count: int) -> bytes:
    """``count`` new residents spread over the first grids, with valid, unused IDs."""
    grids = list(Grid.objects.order_by("code").values_list("code", flat=True)[:200])
    with translation.override("zh-hans"):
        headers = [names[0] for names in column_names().values()]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    keys = list(column_names())
    for i in range(count):
        birth = dt.date(1940 + i % 60, 1 + i // 60 % 12, 1 + i // 720 % 28)
        sequence = f"{i // 20160 % 100:02d}{i % 2}"
        first17 = f"110101{birth:%Y%m%d}{sequence}"  # a region the demo city never uses
        values = {
            "id_number": first17 + id_number_check_char(first17),
            "name": f"测试{i}",
            "phone": f"139{i:08d}",
            "grid": grids[i // 500 % len(grids)],
            "building": f"导入路{i // 200}号",
            "unit": 1,
            "floor": 1 + i % 200 // 10,
            "room": f"{i % 10 + 1:02d}",
            "tags": "独居老人" if i % 7 == 0 else "",
        }
        sheet.append([values.get(key, "") for key in keys])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def _measured_import(what: str, data: bytes) -> dict:
    """Run ``--measure-import WHAT FILE`` in a fresh process and return its figures."""
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as upload:
        upload.write(data)
        upload.flush()
        return measured_in_child("--measure-import", what, upload.name)


def measure_import(what: str, path: str) -> dict:
    """In the child: import the file at ``path`` as the administrator, rolled back."""
    data = Path(path).read_bytes()
    admin_user = get_user_model().objects.get(username="admin")
    measure = {"ours": _our_import, "library": _library_default_import}[what]
    with rolled_back():
        figures = measure(data, admin_user)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {**figures, "peak_mb": peak_kib / 1024}


def _our_import(data: bytes, user: Actor) -> dict:
    """Read, plan and write, as the import job does (with the collector held off around all
    three, as the job holds it)."""
    started = time.perf_counter()
    with collector_paused():
        table = read_table("bench.xlsx", data, Limits.from_settings())
        plan = resident_import_plan(table, user=user)
        if plan.errors:
            raise ValueError(f"the generated workbook has errors: {plan.errors[:3]}")
        resident_import_apply(plan, user=user, filename="bench.xlsx")
    return {"rows": table.row_count, "seconds": time.perf_counter() - started}


def _library_default_import(data: bytes, user: Actor) -> dict:
    """The library's defaults: its own .xlsx reader over the whole file, then an import of the
    first ``LIBRARY_SAMPLE`` rows row by row (one save, one history entry each, no bulk)."""
    started = time.perf_counter()
    with translation.override("zh-hans"):
        dataset = XLSX().create_dataset(data)
    read_seconds = time.perf_counter() - started
    with translation.override("zh-hans"):
        key_of = {names[0]: key for key, names in column_names().items()}
    # The library matches columns to fields by header before it reads a row.
    headers = [key_of.get(header, header) for header in dataset.headers]
    sample = tablib.Dataset(*dataset[:LIBRARY_SAMPLE], headers=headers)
    started = time.perf_counter()
    with translation.override("zh-hans"):
        result = LibraryDefaultResidentResource(user=user).import_data(sample, raise_errors=True)
    import_seconds = time.perf_counter() - started
    if result.has_validation_errors():
        raise ValueError("the library's import found errors in the generated workbook")
    return {
        "rows": len(dataset),
        "read_seconds": read_seconds,
        "sample_rows": len(sample),
        "sample_seconds": import_seconds,
        # The whole file at the sample's pace.
        "seconds": read_seconds + import_seconds * len(dataset) / len(sample),
    }


class LibraryDefaultResidentResource(resources.ModelResource):
    """The same columns imported through django-import-export with its default settings. The
    address columns become a building and household, found or created (with history) before
    each row; tags go through the library's many-to-many widget. Each save records its history
    entry through simple-history's signal, as the library's import does by default."""

    household = fields.Field(attribute="household", widget=widgets.ForeignKeyWidget(Household))
    tags = fields.Field(
        attribute="tags", widget=widgets.ManyToManyWidget(Tag, field="name", separator="、")
    )

    class Meta:
        model = Resident
        import_id_fields = ["id_number"]
        fields = ["id_number", "name", "sex", "birth_date", "phone", "household", "tags"]

    def __init__(self, *, user: Actor, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.grids = dict(Grid.objects.values_list("code", "pk"))

    def before_import_row(self, row, **kwargs):
        facts = parse_id_number(str(row["id_number"]))
        building, _created = Building.objects.get_or_create(
            grid_id=self.grids[row["grid"]],
            address=row["building"],
            defaults={"units": 1, "floors": 30},
        )
        household, _created = Household.objects.get_or_create(
            building=building, unit=int(row["unit"]), floor=int(row["floor"]), room=row["room"]
        )
        row.update(
            sex=facts.sex,
            birth_date=facts.birth_date.isoformat(),
            household=household.pk,
            tags=row["tags"] or "",
        )


def measure_export(count: int) -> dict:
    admin_user = get_user_model().objects.get(username="admin")
    last = Resident.objects.order_by("pk").values_list("pk", flat=True)[count - 1]
    residents = Resident.objects.filter(pk__lte=last).order_by("pk")
    started = time.perf_counter()
    dataset = ResidentResource(user=admin_user).export(residents)
    xlsx = FastXLSX().export_data(dataset)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "megabytes": len(xlsx) / 2**20, "xlsx": xlsx}


def edited_export(xlsx: bytes) -> bytes:
    """An exported workbook with every phone number changed, as a community re-importing its
    list after a round of checks would send it: every row an update."""
    source = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    rows = source.active.iter_rows(values_only=True)
    headers = list(next(rows))
    with translation.override("zh-hans"):
        phone = headers.index(column_names()["phone"][0])
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for i, row in enumerate(rows):
        row = list(row)
        row[phone] = f"137{i:08d}"
        sheet.append(row)
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()
