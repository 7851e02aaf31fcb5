"""The switch that sends reads to the read replica (``REPLICA_DATABASE_URL``, README
"Production"): inside ``reading_from_replica()`` the router (``portal/routers.py``) answers the
ORM's reads with the ``replica`` alias; writes always go to the primary.

It lives here, at the bottom of the layers, and not beside the router in ``portal``: the work
that reads from the replica runs in the apps' background jobs (a long export, a report's files),
where no request middleware runs, and the apps may not import ``portal``. Without a replica
configured it changes nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_reading_from_replica: ContextVar[bool] = ContextVar("reading_from_replica", default=False)


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Within this block the ORM reads from the replica, when there is one."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def is_reading_from_replica() -> bool:
    return _reading_from_replica.get()
