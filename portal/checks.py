"""System checks of the production setup (``manage.py check --deploy``, run by ``make serve``)."""

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """Several gunicorn workers (or app servers) each with a local-memory cache keep separate
    dashboard figures, and the volunteer sign-up limit counts per process: N workers let a
    client sign up N times the limit."""
    if settings.DEBUG or settings.CACHE_URL:
        return []
    return [
        Warning(
            "CACHE_URL is not set: every server process keeps its own cache, so dashboards are "
            "computed once per process and the volunteer sign-up limit counts per process.",
            hint="Set CACHE_URL=redis://HOST:6379/1 (README, Production).",
            id="portal.W001",
        )
    ]
