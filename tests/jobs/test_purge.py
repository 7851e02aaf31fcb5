"""Old jobs are forgotten: a job finished more than ``JOB_KEEP_DAYS`` ago goes, with its file,
whoever started it; a recent one stays, and a waiting or running one stays however old."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from jobs.registry import job_runner
from jobs.retention import PURGE_DUE_KEY, jobs_purge, jobs_purge_if_due
from jobs.runner import JobResult
from jobs.services import job_start
from tests import factories

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)


@job_runner("tests.purge.nothing")
def do_nothing(job, progress):
    return JobResult(summary="nothing")


@pytest.fixture
def clerk(client):
    user = factories.make_user("clerk", role="grid member")
    client.force_login(user)
    return user


def finished_job(user, *, days_ago: float, state=Job.State.DONE, with_file=True) -> Job:
    """A job that ended ``days_ago`` days before NOW, with a file under its folder."""
    job = Job.objects.create(kind="tests.purge.nothing", user=user, title="Export", state=state)
    result = {"summary": "One row"}
    if with_file:
        path = default_storage.save(f"jobs/{job.pk}/list.csv", ContentFile(b"name\nKim\n"))
        result.update(file_path=path, file_name="list.csv")
    Job.objects.filter(pk=job.pk).update(
        result=result, finished_at=NOW - dt.timedelta(days=days_ago)
    )
    job.refresh_from_db()
    return job


def test_an_old_finished_job_and_its_file_are_gone_and_a_recent_one_stays(client, clerk):
    old = finished_job(clerk, days_ago=8)
    recent = finished_job(clerk, days_ago=6)
    assert jobs_purge(now=NOW) == 1
    assert not Job.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old.result["file_path"])
    assert not default_storage.exists(f"jobs/{old.pk}")  # no empty folder left on the disk
    assert client.get(reverse("admin:jobs_job_progress", args=[old.pk])).status_code == 404
    assert Job.objects.filter(pk=recent.pk).exists()
    assert default_storage.exists(recent.result["file_path"])
    download = client.get(reverse("admin:jobs_job_download", args=[recent.pk]))
    assert b"".join(download.streaming_content) == b"name\nKim\n"


def test_an_old_failed_job_is_gone_too(clerk):
    failed = finished_job(clerk, days_ago=30, state=Job.State.FAILED, with_file=False)
    assert jobs_purge(now=NOW) == 1
    assert not Job.objects.filter(pk=failed.pk).exists()


def test_a_waiting_or_running_job_stays_however_old(clerk):
    with time_machine.travel(NOW - dt.timedelta(days=60), tick=False):
        waiting = Job.objects.create(kind="tests.purge.nothing", user=clerk, title="Waits")
        running = Job.objects.create(
            kind="tests.purge.nothing",
            user=clerk,
            title="Runs",
            state=Job.State.RUNNING,
            started_at=timezone.now(),
        )
    assert jobs_purge(now=NOW) == 0
    assert set(Job.objects.values_list("pk", flat=True)) == {waiting.pk, running.pk}


def test_other_users_jobs_go_by_age_alone(clerk):
    other = factories.make_user("other", role="grid member")
    theirs_old = finished_job(other, days_ago=8)
    theirs_recent = finished_job(other, days_ago=1)
    mine_old = finished_job(clerk, days_ago=8)
    assert jobs_purge(now=NOW) == 2
    assert list(Job.objects.values_list("pk", flat=True)) == [theirs_recent.pk]
    assert not default_storage.exists(theirs_old.result["file_path"])
    assert not default_storage.exists(mine_old.result["file_path"])


def test_the_number_of_days_kept_is_a_setting(clerk, settings):
    settings.JOB_KEEP_DAYS = 30
    kept = finished_job(clerk, days_ago=8)
    assert jobs_purge(now=NOW) == 0
    settings.JOB_KEEP_DAYS = 2
    assert jobs_purge(now=NOW) == 1
    assert not Job.objects.filter(pk=kept.pk).exists()


def test_starting_a_job_purges_old_ones_at_most_once_an_hour(clerk):
    first_old = finished_job(clerk, days_ago=30)
    job_start(kind="tests.purge.nothing", user=clerk, params={}, title="Now")
    assert not Job.objects.filter(pk=first_old.pk).exists()

    # Within the hour the next jobs leave an old one for the next purge.
    second_old = finished_job(clerk, days_ago=30)
    job_start(kind="tests.purge.nothing", user=clerk, params={}, title="Again")
    assert Job.objects.filter(pk=second_old.pk).exists()
    assert jobs_purge_if_due() is None

    cache.delete(PURGE_DUE_KEY)  # the hour has passed
    assert jobs_purge_if_due() == 1
    assert not Job.objects.filter(pk=second_old.pk).exists()


def test_the_command_purges_and_says_how_many(clerk):
    finished_job(clerk, days_ago=30)
    out = StringIO()
    call_command("purge_jobs", stdout=out)
    assert "Purged 1 job(s)" in out.getvalue()
    assert not Job.objects.exists()
