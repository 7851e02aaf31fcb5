"""Which function runs each kind of job. An app registers its runners in its ``jobs`` module,
imported from its ``AppConfig.ready()`` so that the worker knows them too."""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.models import Job
    from jobs.runner import JobResult, Progress

    Runner = Callable[[Job, Progress], JobResult]

_RUNNERS: dict[str, "Runner"] = {}


def job_runner(kind: str) -> Callable[["Runner"], "Runner"]:
    """Registers ``def run(job, progress) -> JobResult`` as the runner of jobs of ``kind``."""

    def register(run: "Runner") -> "Runner":
        existing = _RUNNERS.get(kind, run)
        if (existing.__module__, existing.__qualname__) != (run.__module__, run.__qualname__):
            raise ValueError(f"Two runners for jobs of kind {kind!r}")
        _RUNNERS[kind] = run
        return run

    return register


def runner_of(kind: str) -> "Runner":
    try:
        return _RUNNERS[kind]
    except KeyError:
        raise LookupError(f"No runner is registered for jobs of kind {kind!r}") from None
