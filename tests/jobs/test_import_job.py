"""The import's confirmation runs as a job: the clerk lands on its page, which shows the counts
when it is done, or why nothing was written."""

import dataclasses

import pytest
from django.urls import reverse

from archives import services
from archives.admin import imports
from archives.imports.reading import Limits, read_table
from archives.imports.residents import resident_import_apply, resident_import_plan
from archives.models import Household, Resident
from jobs.execution import job_execute
from jobs.models import Job
from tests import factories
from tests.archives.test_export import export
from tests.archives.test_import import CONFIRM, CREATION_TICKED, row, upload, xlsx

pytestmark = pytest.mark.django_db


def archive_rows():
    return (
        sorted(Resident.objects.values_list("pk", "name", "phone", "version")),
        Household.objects.count(),
        Resident.history.count(),
    )


def test_a_confirmed_import_opens_its_job_page_which_shows_the_counts(client, city):
    clerk = city.users["clerk"]
    client.force_login(clerk)
    upload(client, "新户.xlsx", xlsx([row(building="GA1a路9号", room="901")]))
    response = client.post(CONFIRM, CREATION_TICKED)
    job = Job.objects.get(user=clerk)
    assert response["Location"] == reverse("admin:jobs_job_progress", args=[job.pk])
    assert (job.kind, job.state, job.title) == ("archives.import", "done", "导入 新户.xlsx")
    page = client.get(response["Location"]).content.decode()
    assert "已导入 新户.xlsx：新增 1 人，更新 0 人，未变 0 人。" in page
    assert 'href="/admin/archives/resident/"' in page
    assert Resident.objects.filter(name="新居民").exists()


def test_a_file_changed_since_its_preview_fails_its_job_and_writes_nothing(client, city):
    resident = city.residents["GA1a"]
    client.force_login(city.users["clerk"])
    rows = export(client, "resident", "xlsx")
    rows[1][rows[0].index("联系电话")] = "13933334444"
    upload(client, "电话.xlsx", xlsx(rows[1:], rows[0]))
    resident.name = "改名后"
    services.resident_save(resident=resident, actor=city.users["community"], reason="核实")
    before = archive_rows()

    page = client.post(CONFIRM, follow=True).content.decode()
    job = Job.objects.get(user=city.users["clerk"])
    assert job.state == "failed"
    assert "在您预览之后被他人修改或新增" in job.message and job.message in page
    assert archive_rows() == before


def test_a_resident_edited_while_the_import_writes_fails_the_job_with_its_name(
    client, city, monkeypatch
):
    client.force_login(city.users["clerk"])
    upload(client, "新户.xlsx", xlsx([row(building="GA1a路9号", room="901")]))
    before = archive_rows()

    def apply_meeting_an_edit(plan, *, user, filename, progress=None):
        resident_import_apply(plan, user=user, filename=filename, progress=progress)
        raise services.ConcurrentEditError(resident=city.residents["GA1a"], loaded_version=0)

    monkeypatch.setitem(
        imports.IMPORTERS,
        "resident",
        dataclasses.replace(imports.RESIDENTS, apply=apply_meeting_an_edit),
    )
    client.post(CONFIRM, CREATION_TICKED)
    job = Job.objects.get(user=city.users["clerk"])
    assert job.state == "failed"
    assert job.message == (
        f"导入过程中，{city.residents['GA1a'].name} 的档案被他人修改。"
        "本次未导入任何内容：请重新上传文件以查看变化。"
    )
    assert archive_rows() == before  # the new resident written before the edit is rolled back


def test_the_import_reports_its_progress_up_to_every_row_it_writes(city):
    clerk = city.users["clerk"]
    rows = [
        row(building="GA1a路9号", room=f"9{n:02}", id_number=id_number(n), name=f"新居民{n}")
        for n in range(3)
    ]
    plan = resident_import_plan(
        read_table("三人.xlsx", xlsx(rows), Limits.from_settings()), user=clerk
    )
    assert plan.errors == []
    heard = []
    resident_import_apply(
        plan, user=clerk, filename="三人.xlsx", progress=lambda *p: heard.append(p)
    )
    assert heard[0] == (0, 3) and heard[-1] == (3, 3)


def id_number(n: int) -> str:
    return factories.id_number_for(factories.dt.date(1981, 1, 1 + n), "M")


def test_a_clerk_whose_role_was_taken_away_meanwhile_imports_nothing(client, city):
    clerk = city.users["clerk"]
    client.force_login(clerk)
    upload(client, "新户.xlsx", xlsx([row(building="GA1a路9号", room="901")]))
    before = archive_rows()
    clerk.groups.clear()  # between the confirmation and the worker's turn

    job_start_in_the_view = client.post(CONFIRM, CREATION_TICKED)
    assert job_start_in_the_view.status_code == 403  # the view asks first
    job = Job.objects.create(
        kind=imports.IMPORT_JOB,
        user=clerk,
        title="导入 新户.xlsx",
        params={"importer": "resident", "path": "imports/x", "name": "新户.xlsx",
                "fingerprint": "", "acknowledged": ["creation"]},
    )  # fmt: skip
    job_execute(job_id=str(job.pk))
    job.refresh_from_db()
    assert (job.state, job.message) == ("failed", "您已无权导入这些记录：未导入任何内容。")
    assert archive_rows() == before
