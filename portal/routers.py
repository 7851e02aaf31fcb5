"""Reads of reports and exports on a read replica (``REPLICA_DATABASE_URL``, README "Production").

A router cannot know who is asking, so the caller says so: inside ``reading_from_replica()``
the ORM's reads go to the ``replica`` alias; writes (and ``select_for_update``, which Django
counts as a write) always go to ``default``. Without a ``replica`` alias it changes nothing.

The monthly report and the list exports read a whole month or a whole list at once and can
take seconds of database time; on the replica they leave the primary to the people typing.
The replica lags the primary by a moment, which a finished month and a list being downloaded
can afford; a page that shows what its user has just saved cannot, so nothing else reads there.

``ReplicaReadsMiddleware`` (installed with the replica, see settings "# Database router") wraps
those views by their URL names, so the apps' own code needs no import of this module (the
layers forbid it); the background jobs that do that work (``archives/jobs.py``,
``exports/jobs.py``) enter ``archives.replica.reading_from_replica()`` themselves. Raw SQL
does not pass through routers: code running it asks
``django.db.router.db_for_read(model)`` for its connection.
"""

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase

# The switch itself sits at the bottom of the layers, where the apps' jobs reach it too.
from archives.replica import is_reading_from_replica, reading_from_replica

__all__ = ["REPLICA", "ReplicaReadsMiddleware", "ReplicaRouter", "reading_from_replica"]

REPLICA = "replica"


def replica_configured() -> bool:
    return REPLICA in connections.settings


class ReplicaRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if is_reading_from_replica() and replica_configured():
            return REPLICA
        return None  # Django's choice: the instance's own database, else default

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica is a copy of the primary: an object read there may point at one here.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        # The replica receives the schema by replication; migrations run on the primary only.
        return db != REPLICA


#: The views whose reads the replica takes: the monthly report's page and downloads, and each
#: list's export (django-import-export names it ``<app>_<model>_export``).
REPLICA_URL_NAMES = {"exports_monthlyreport_report", "exports_monthlyreport_download"}


def reads_from_replica(url_name: str | None) -> bool:
    if not url_name:
        return False
    return url_name in REPLICA_URL_NAMES or url_name.endswith("_export")


class ReplicaReadsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        match = request.resolver_match
        if match is None or not reads_from_replica(match.url_name):
            return None
        # Answering here skips later middleware's process_view; this one is installed last,
        # and no installed middleware has a process_view or process_template_response hook.
        with reading_from_replica():
            response = view_func(request, *view_args, **view_kwargs)
            # An admin page's querysets are read while its template renders: render it here.
            render = getattr(response, "render", None)
            if callable(render):
                response = render()
        return response
