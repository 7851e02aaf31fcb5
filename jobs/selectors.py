"""Reading jobs: only a job's own user ever sees it."""

from uuid import UUID

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404

from accounts.types import User
from jobs.models import Job
from jobs.runner import progress_key


def jobs_of(user: User) -> QuerySet[Job]:
    """The user's own jobs. Administrators included: a job's result can be a file of what its
    user may see, and the job's page is that user's (an administrator finds failures in the
    log)."""
    if not user.is_authenticated:
        return Job.objects.none()
    return Job.objects.filter(user_id=user.pk)


def job_of(user: User, job_id: UUID | str) -> Job:
    """The user's job, or 404: another user's job does not exist for them."""
    try:
        return jobs_of(user).get(pk=job_id)
    except Job.DoesNotExist:
        raise Http404 from None


def job_progress(job: Job) -> tuple[int, int]:
    """(done, total) as the job's page shows it: a running job's from the cache (see
    ``jobs.runner.Progress``), a finished one's from its row."""
    if not job.finished:
        current = cache.get(progress_key(job.pk))
        if current:
            done, total = current
            return int(done), int(total)
    return job.done, job.total
