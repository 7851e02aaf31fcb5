"""Exports from the changelist: the user's rows with their filters, masked, formula-safe, logged;
the files are opened and read back."""

import csv
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from archives import scope
from archives.models import ExportRecord, Resident, SensitiveAccess, Visit
from archives.spreadsheets import neutralise
from jobs.models import Job
from jobs.runner import Progress
from tests.job_steps import followed, job_file, jobs_held, run_held

pytestmark = pytest.mark.django_db


def export(client: Client, model: str, file_format: str, query: str = "") -> list[list]:
    """Rows (header first) of the file the export page gives, read back from its bytes."""
    response = start_export(client, model, file_format, query)
    assert response.status_code == 200, response.content[:500]
    if file_format == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        return [list(row) for row in book.active.iter_rows(values_only=True)]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_clerk_exports_their_grid_with_full_values(client, city):
    client.force_login(city.users["clerk"])
    rows = export(client, "resident", "xlsx")
    header, body = rows[0], rows[1:]
    assert header[:2] == ["居民身份证号", "姓名"]
    resident = city.residents["GA1a"]
    assert [row[1] for row in body] == [resident.name]
    assert body[0][0] == resident.id_number
    assert body[0][header.index("病史")] == resident.medical_history


def test_an_officials_export_is_masked_like_the_screen(client, city):
    client.force_login(city.users["official"])
    rows = export(client, "resident", "csv")
    header, body = rows[0], rows[1:]
    assert len(body) == 4
    for row in body:
        resident = Resident.objects.get(name=row[1])
        assert row[0] == scope.mask_id_number(resident.id_number)
        assert row[header.index("出生日期")] == ""
        assert row[header.index("病史")] == ""


def test_the_export_follows_the_lists_filters_and_search(client, city):
    client.force_login(city.users["street"])
    grid = city.grids["GA1b"]
    rows = export(client, "resident", "csv", f"?grid={grid.pk}")
    assert [row[1] for row in rows[1:]] == ["居民GA1b"]
    rows = export(client, "resident", "csv", "?q=居民GA2")
    assert [row[1] for row in rows[1:]] == ["居民GA2a"]


def test_every_export_is_logged_with_rows_and_filters(client, city):
    client.force_login(city.users["street"])
    export(client, "household", "xlsx", f"?grid={city.grids['GA1b'].pk}")
    record = ExportRecord.objects.get()
    assert (record.user, record.model, record.rows, record.file_format) == (
        city.users["street"],
        "household",
        1,
        "xlsx",
    )
    assert record.filters == f"grid={city.grids['GA1b'].pk}"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_cells_that_look_like_formulas_are_neutralised(client, city, file_format):
    visit = Visit.objects.get(household=city.residents["GA1a"].household)
    visit.note = '=HYPERLINK("http://evil.example","点此")'
    visit.save()
    resident = city.residents["GA1a"]
    resident.name = "@SUM(1+1)"
    resident.save()
    client.force_login(city.users["clerk"])
    notes = [row[-1] for row in export(client, "visit", file_format)[1:]]
    assert notes == ["'" + visit.note]
    names = [row[1] for row in export(client, "resident", file_format)[1:]]
    assert names == ["'@SUM(1+1)"]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_neutralise_covers_every_formula_start(text):
    assert neutralise(text) == "'" + text
    assert neutralise("正常文字") == "正常文字"
    assert neutralise(12) == 12


def test_a_role_without_view_permission_cannot_export(client, city):
    client.force_login(city.users["auditor"])  # the auditor's role does not read visits
    assert client.get("/admin/archives/visit/export/").status_code == 403
    client.force_login(city.users["nobody"])  # a role and no grant: an empty file
    assert export(client, "resident", "csv")[1:] == []


# Long lists: a job ------------------------------------------------------------------------------


def start_export(client: Client, model: str, file_format: str, query: str = ""):
    """The export page's form posted (all columns), as in ``export``; the answer as it is."""
    url = f"/admin/archives/{model}/export/{query}"
    form = client.get(url).context["form"]
    choice = next(i for i, label in form.fields["format"].choices if label == file_format)
    data = {"format": choice, "resource": 0}
    skip = ("format", "resource", "export_items")
    data.update({name: "on" for name in form.fields if name not in skip})
    return client.post(url, data)


def test_a_list_longer_than_the_limit_is_exported_by_a_job_with_the_same_rows(
    client, city, settings
):
    client.force_login(city.users["official"])
    in_request = export(client, "resident", "xlsx", "?q=居民")
    settings.EXPORT_IN_REQUEST_ROWS = 2
    job, page = followed(client, start_export(client, "resident", "xlsx", "?q=居民"))
    assert job.state == "done" and (job.done, job.total) == (4, 4)
    assert "4" in page and "job-download" in page and "/admin/archives/resident/?q=" in page
    disposition, content = job_file(client, job)
    assert disposition.endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert [list(row) for row in book.active.iter_rows(values_only=True)] == in_request
    assert len(in_request) == 5  # masked like the screen: the official's rows, compared above
    records = list(ExportRecord.objects.values_list("rows", "filters", "file_format"))
    assert records == [(4, "q=%E5%B1%85%E6%B0%91", "xlsx")] * 2


def test_a_job_export_follows_the_lists_filters(client, city, settings):
    settings.EXPORT_IN_REQUEST_ROWS = 0
    client.force_login(city.users["street"])
    grid = city.grids["GA1b"]
    job, _ = followed(client, start_export(client, "resident", "csv", f"?grid={grid.pk}"))
    rows = list(csv.reader(io.StringIO(job_file(client, job)[1].decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == ["居民GA1b"]


def test_a_refused_filter_is_refused_before_any_job_starts(client, city, settings):
    settings.EXPORT_IN_REQUEST_ROWS = 0
    client.force_login(city.users["official"])
    response = client.post("/admin/archives/resident/export/?id_number=1", {"format": 0})
    assert response.status_code == 400
    assert not Job.objects.exists() and not ExportRecord.objects.exists()


def test_an_export_job_whose_user_lost_the_permission_says_why_and_writes_nothing(
    client, city, settings
):
    settings.EXPORT_IN_REQUEST_ROWS = 0
    official = city.users["official"]
    client.force_login(official)
    with jobs_held():
        response = start_export(client, "resident", "csv")
    job = Job.objects.get()
    assert job.state == "queued"
    official.groups.clear()  # the role taken away before a worker runs the job
    job = run_held(job)
    assert job.state == "failed"
    _, page = followed(client, response)
    assert "job-download" not in page and "不能再导出" in page
    assert not ExportRecord.objects.exists() and not SensitiveAccess.objects.exists()


def test_another_user_cannot_see_an_export_job_or_its_file(client, city, settings):
    settings.EXPORT_IN_REQUEST_ROWS = 0
    client.force_login(city.users["clerk"])
    job, _ = followed(client, start_export(client, "resident", "xlsx"))
    client.force_login(city.users["official"])
    assert client.get(reverse("admin:jobs_job_progress", args=[job.pk])).status_code == 404
    assert client.get(reverse("admin:jobs_job_download", args=[job.pk])).status_code == 404


def test_an_export_job_tells_its_progress_as_it_reads_the_rows(client, city, settings, monkeypatch):
    settings.EXPORT_IN_REQUEST_ROWS = 0
    monkeypatch.setattr("archives.resources.PROGRESS_EVERY", 2)
    told = []
    monkeypatch.setattr(Progress, "__call__", lambda self, done, total: told.append((done, total)))
    client.force_login(city.users["official"])
    followed(client, start_export(client, "resident", "csv"))
    assert told[0] == (0, 4) and (2, 4) in told and told[-1] == (4, 4)
