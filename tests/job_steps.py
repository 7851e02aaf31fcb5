"""Following a job that a page started, as its user does: the redirect to the job's page, the
page, the file it offers. And holding jobs back, as a busy worker would, to change something
between the start and the run."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.test import Client
from django.urls import reverse

from jobs.execution import job_execute
from jobs.models import Job


def followed(client: Client, response) -> tuple[Job, str]:
    """The job ``response`` (a view's answer) redirected to, and its page's text."""
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    job = Job.objects.get(pk=location.rstrip("/").split("/")[-2])
    assert location == reverse("admin:jobs_job_progress", args=[job.pk])
    page = client.get(location)
    assert page.status_code == 200
    return job, page.content.decode()


def job_file(client: Client, job: Job) -> tuple[str, bytes]:
    """The name and bytes of the file the job's page offers for download."""
    response = client.get(reverse("admin:jobs_job_download", args=[job.pk]))
    assert response.status_code == 200
    return response["Content-Disposition"], b"".join(response.streaming_content)


@contextmanager
def jobs_held() -> Iterator[None]:
    """Jobs started inside wait, as for a busy worker (the test's transaction never commits,
    so nothing enqueues them); ``run_held`` runs one later."""
    from portal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


def run_held(job: Job) -> Job:
    """Run a held job as the worker would, and return it finished."""
    job_execute(job_id=str(job.pk))
    job.refresh_from_db()
    return job
