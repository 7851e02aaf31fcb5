"""Background jobs: a job's page shows its progress, then its result or why it failed; a failed
job writes nothing; only the job's own user sees it. Jobs run eagerly here (tests/conftest.py);
tests/jobs/test_worker.py goes through a real worker."""

import datetime as dt
import logging
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from jobs.registry import job_runner
from jobs.runner import JobRefused, JobResult
from jobs.services import job_start
from tests import factories

pytestmark = pytest.mark.django_db

#: What the progress runner saw of its own status while it ran (filled by the test).
seen_while_running: list[dict] = []
status_reader = None


@job_runner("tests.group")
def make_group(job, progress):
    for done in range(1, 4):
        Group.objects.create(name=f"{job.params['name']}-{done}")
        progress(done, 3)
    return JobResult(
        summary=f"Made 3 groups named {job.params['name']}",
        link=reverse("admin:auth_group_changelist"),
        link_text="The groups",
    )


@job_runner("tests.refused")
def refuse(job, progress):
    Group.objects.create(name="half-way")
    raise JobRefused("The file changed since you looked at it.")


@job_runner("tests.crash")
def crash(job, progress):
    Group.objects.create(name="half-way")
    raise RuntimeError("a bug")


@job_runner("tests.progress")
def report_progress(job, progress):
    progress(40, 100)
    seen_while_running.append(status_reader(job))
    return JobResult(summary="counted")


@job_runner("tests.file")
def write_file(job, progress):
    stored = default_storage.save("jobs/list.csv", ContentFile(b"name\nKim\n"))
    return JobResult(summary="One row", file_path=stored, file_name="list.csv")


def page(job):
    return reverse("admin:jobs_job_progress", args=[job.pk])


def status(job):
    return reverse("admin:jobs_job_status", args=[job.pk])


@pytest.fixture
def clerk(client):
    user = factories.make_user("clerk", role="grid member")
    client.force_login(user)
    return user


def test_a_finished_job_shows_its_summary_and_a_link_to_go_on(client, clerk):
    job = job_start(kind="tests.group", user=clerk, params={"name": "team"}, title="Make groups")
    assert job.state == Job.State.DONE
    assert Group.objects.filter(name__startswith="team-").count() == 3
    assert (job.done, job.total) == (3, 3)
    html = client.get(page(job)).content.decode()
    assert "Make groups" in html and "Made 3 groups named team" in html
    assert f'href="{reverse("admin:auth_group_changelist")}"' in html and "The groups" in html
    assert "jobs/progress.js" not in html  # nothing left to poll
    assert client.get(status(job)).json()["state"] == "done"


def test_a_refused_job_says_why_and_writes_nothing(client, clerk):
    groups = list(Group.objects.values_list("name", flat=True))
    job = job_start(kind="tests.refused", user=clerk, params={}, title="Refused")
    assert job.state == Job.State.FAILED
    assert job.message == "The file changed since you looked at it."
    assert list(Group.objects.values_list("name", flat=True)) == groups
    html = client.get(page(job)).content.decode()
    assert "The file changed since you looked at it." in html and "errornote" in html


def test_an_unexpected_error_fails_the_job_in_general_words_and_is_logged(client, clerk, caplog):
    groups = Group.objects.count()
    with caplog.at_level(logging.ERROR, logger="jobs.execution"):
        job = job_start(kind="tests.crash", user=clerk, params={}, title="Crash")
    assert job.state == Job.State.FAILED
    assert "a bug" not in job.message
    assert job.message == "任务意外失败，错误已记入日志。未作任何更改。"
    assert Group.objects.count() == groups
    assert "RuntimeError: a bug" in caplog.text  # the traceback is in the log
    assert "任务意外失败" in client.get(page(job)).content.decode()


def test_the_status_shows_the_progress_of_a_running_job(client, clerk):
    global status_reader
    status_reader = lambda job: client.get(status(job)).json()  # noqa: E731
    seen_while_running.clear()
    job = job_start(kind="tests.progress", user=clerk, params={}, title="Count")
    assert seen_while_running == [
        {
            "state": "running",
            "state_words": "运行中",
            "done": 40,
            "total": 100,
            "finished": False,
            "message": "",
            "summary": None,
        }
    ]
    assert client.get(status(job)).json()["finished"] is True


def test_a_waiting_job_page_polls_its_status_with_a_static_script(client, clerk):
    job = Job.objects.create(kind="tests.group", user=clerk, title="Later")
    html = client.get(page(job)).content.decode()
    assert "jobs/progress.js" in html and "<script>" not in html
    assert f'data-status-url="{status(job)}"' in html
    assert "<progress" in html


def test_only_the_jobs_own_user_sees_its_page_status_and_file(client, clerk):
    job = job_start(kind="tests.file", user=clerk, params={}, title="Export")
    download = reverse("admin:jobs_job_download", args=[job.pk])
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"name\nKim\n"
    assert 'filename="list.csv"' in response["Content-Disposition"]
    assert download in client.get(page(job)).content.decode()

    # Another clerk, and an administrator too: a job is its user's own.
    for other in (
        factories.make_user("other", role="grid member"),
        factories.make_user("root", superuser=True),
    ):
        client.force_login(other)
        for url in (page(job), status(job), download):
            assert client.get(url).status_code == 404, (other, url)


def test_my_jobs_lists_only_my_own_jobs(client, clerk):
    mine = job_start(kind="tests.group", user=clerk, params={"name": "a"}, title="Mine")
    other = factories.make_user("other", role="grid member")
    job_start(kind="tests.group", user=other, params={"name": "b"}, title="Theirs")
    html = client.get(reverse("admin:jobs_job_changelist")).content.decode()
    assert "Mine" in html and page(mine) in html
    assert "Theirs" not in html
    assert client.get(reverse("admin:jobs_job_change", args=[mine.pk])).status_code == 302


def test_an_unknown_kind_of_job_is_refused_when_started(clerk):
    with pytest.raises(LookupError):
        job_start(kind="tests.nothing", user=clerk, params={}, title="?")
    assert not Job.objects.exists()


def test_a_job_waiting_for_a_worker_says_so_after_ten_seconds(client, clerk):
    notice = "正在等待后台进程"
    job = Job.objects.create(kind="tests.group", user=clerk, title="Later")
    html = client.get(page(job)).content.decode()
    # Just started: the notice is there for the script to show in ten seconds, hidden till then.
    assert 'data-waiting-notice-in="10"' in html
    assert re.search(rf'<p id="job-waiting" class="job-waiting" hidden>{notice}', html)

    # Opened again a minute later: it says so at once.
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=1))
    html = client.get(page(job)).content.decode()
    assert 'data-waiting-notice-in="0"' in html
    assert re.search(rf'<p id="job-waiting" class="job-waiting">{notice}', html)

    # A running job is not waiting for anyone.
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING)
    html = client.get(page(job)).content.decode()
    assert re.search(rf'<p id="job-waiting" class="job-waiting" hidden>{notice}', html)
