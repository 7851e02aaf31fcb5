"""Retention: finished jobs and their files are deleted after ``JOB_KEEP_DAYS``.

Apart from ``jobs.services`` because the worker's task calls it after each job, and the
services enqueue that task: one module each way would import the other.
"""

import contextlib
import datetime as dt
import os

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.utils import timezone

from jobs.models import Job

#: How often at most the worker looks for old jobs to purge (``jobs_purge_if_due``).
PURGE_EVERY_SECONDS = 3600
PURGE_DUE_KEY = "jobs-purge-due"


def jobs_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the jobs that finished (done or failed) more than ``JOB_KEEP_DAYS`` ago, of every
    user, with the files they made; return how many. A waiting or running job is never
    touched, however old: its worker may still write its result.

    Each job's files go first, through the storage API (the disk, or S3 through
    django-storages), then its row: a file whose deletion fails keeps its row, so the next
    purge tries again instead of leaving an orphan nobody can find."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.JOB_KEEP_DAYS)
    old = Job.objects.filter(
        state__in=[Job.State.DONE, Job.State.FAILED], finished_at__lt=cutoff
    ).only("pk", "result")
    purged = 0
    for job in old.iterator(chunk_size=500):
        _job_files_delete(job)
        Job.objects.filter(pk=job.pk).delete()
        purged += 1
    return purged


def jobs_purge_if_due() -> int | None:
    """``jobs_purge`` at most once an hour across all workers (the shared cache's ``add`` is
    atomic): called by the worker after each job, so retention needs no scheduler of its own
    (no Celery beat, no cron line). None when another purge ran within the hour."""
    if not cache.add(PURGE_DUE_KEY, True, PURGE_EVERY_SECONDS):
        return None
    return jobs_purge()


def _job_files_delete(job: Job) -> None:
    stored = (job.result or {}).get("file_path")
    if stored:
        default_storage.delete(stored)
    # Runners keep a job's files under jobs/<id>/ (exports.jobs, archives.jobs).
    folder = f"jobs/{job.pk}"
    try:
        _folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")
    # The empty folder, on a disk (an object store has no folders: path() is not implemented).
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(folder))
