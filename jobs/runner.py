"""What a job's runner receives and returns (``jobs.registry.job_runner``)."""

from dataclasses import asdict, dataclass
from typing import Any

from django.core.cache import cache

#: How long a running job's progress stays in the cache without being written again.
PROGRESS_SECONDS = 24 * 3600


class JobRefused(Exception):
    """Raised by a runner with a message for the user: the job fails with these words and
    everything it wrote is rolled back."""


def progress_key(job_id: object) -> str:
    return f"job-progress:{job_id}"


class Progress:
    """``progress(done, total)``: how far the job is, for its page to show while it runs.

    A runner runs inside one transaction (all or nothing), so an UPDATE of the job's row from
    it would stay invisible to the page's polls, which read through other connections, until
    the very end. Progress goes through Django's cache instead (Redis, shared by the worker and
    the app servers, in production; the local memory in tests and a single process); the
    status view reads the cache first, then the row, which has the final figures.
    """

    def __init__(self, job_id: object) -> None:
        self.key = progress_key(job_id)

    def __call__(self, done: int, total: int) -> None:
        cache.set(self.key, (int(done), int(total)), PROGRESS_SECONDS)


@dataclass
class JobResult:
    #: What was done, for the user ("Imported x.xlsx: 3 new …").
    summary: str
    #: A reversed URL to go on to (the list, the campaign, the report).
    link: str | None = None
    link_text: str | None = None
    #: A file in default_storage to download, served only to the job's own user.
    file_path: str | None = None
    file_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            key: str(value) if value is not None else None for key, value in asdict(self).items()
        }
