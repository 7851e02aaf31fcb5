"""``/healthz`` for a load balancer: 200 "ok" when the database answers and every migration is
applied, 503 otherwise, and nothing else (no versions, no error text, no timings).

It is a middleware placed first rather than a URL so that the probe works over plain HTTP and
with whatever Host header the balancer sends: it needs neither the HTTPS redirect nor
``ALLOWED_HOSTS`` (the answer holds nothing a stranger could use), nor a session or a user.
"""

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse

PATH = "/healthz"
logger = logging.getLogger(__name__)


def database_is_ready() -> bool:
    try:
        with connection.cursor() as cursor:  # history: reads nothing, writes nothing
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        targets = executor.loader.graph.leaf_nodes()
        return not executor.migration_plan(targets)
    except DatabaseError:
        # The reason goes to the log for the operator, never into the response.
        logger.exception("health check: database not reachable")
        return False


def healthz(request) -> HttpResponse:
    ready = database_is_ready()
    response = HttpResponse(
        "ok" if ready else "unavailable", content_type="text/plain", status=200 if ready else 503
    )
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
