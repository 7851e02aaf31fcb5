import pytest
from django.core.cache import cache

from tests import factories, scoped_city


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Speed only: production hashing is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Cached dashboard figures are keyed by user and grid IDs, which SQLite reuses across tests.
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_directory(settings, tmp_path):
    # Uploads waiting for confirmation are written under MEDIA_ROOT; never the project's own.
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True, scope="session")
def _jobs_run_at_once():
    # Background jobs run inside the request that starts them, as with JOBS_IN_REQUEST=1: the
    # tests need no broker. tests/jobs/test_worker.py alone goes through a real worker.
    from portal.celery import app

    app.conf.task_always_eager = True


@pytest.fixture
def admin_user(db):
    return factories.make_user("root", superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def two_grids(db):
    """Two grids in different streets, each with one resident, and a clerk granted the first."""
    first = factories.make_grid(code="G1", street_code="S1")
    second = factories.make_grid(code="G2", street_code="S2")
    clerk = factories.make_user("clerk-g1", role="grid member")
    first.members.add(clerk)
    factories.grant(clerk, first)
    return {
        "grid": first,
        "other_grid": second,
        "clerk": clerk,
        "resident": factories.make_resident(grid=first, name="金顺姬"),
        "other_resident": factories.make_resident(grid=second, name="朴敏浩", phone="13800001111"),
    }


@pytest.fixture
def city(db):
    """A small city with grants at every level; see tests/scoped_city.py."""
    return scoped_city.build_city()
