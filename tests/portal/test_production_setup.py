"""The production setup's settings (shared cache, sessions, object storage, read replica) and the
replica router. Settings are loaded in a fresh process, as a server would start."""

import datetime as dt
import json

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exports.jobs import REPORT_DOWNLOAD_JOB, report_job_params
from exports.models import MonthlyReport
from exports.selectors import month_figures
from jobs.models import Job
from jobs.services import job_start
from portal.routers import REPLICA, reading_from_replica
from tests.portal.test_settings import PRODUCTION, manage

SHOW = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'caches': s.CACHES, 'session': s.SESSION_ENGINE, "
    "'storages': s.STORAGES, 'databases': sorted(s.DATABASES), "
    "'middleware': s.MIDDLEWARE[-1]}, default=str))"
)


def production_settings(**env) -> dict:
    result = manage("shell", "--no-imports", "-c", SHOW, **{**PRODUCTION, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_shares_the_cache_and_sessions_through_redis_when_cache_url_is_set():
    shown = production_settings(CACHE_URL="redis://:secret@cache.internal:6379/2")
    assert shown["caches"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert shown["caches"]["default"]["LOCATION"] == "redis://:secret@cache.internal:6379/2"
    assert shown["session"] == "django.contrib.sessions.backends.cached_db"


def test_without_cache_url_each_process_keeps_its_own_cache_and_check_deploy_says_so():
    shown = production_settings(CACHE_URL="")
    assert shown["caches"]["default"]["BACKEND"].endswith("LocMemCache")
    assert shown["session"] == "django.contrib.sessions.backends.db"
    no_cache = {**PRODUCTION, "CACHE_URL": ""}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **no_cache)
    assert result.returncode != 0
    assert "portal.W001" in result.stderr


@pytest.mark.parametrize(
    "url", ["http://cache.internal:6379/1", "redis://", "redis://cache:port/1", "redis://c/one"]
)
def test_a_malformed_cache_url_stops_the_start_up_without_repeating_it(url):
    result = manage("check", **{**PRODUCTION, "CACHE_URL": url})
    assert result.returncode != 0
    assert "CACHE_URL" in result.stderr
    assert f"got {url!r}" not in result.stderr  # it may hold a password


S3 = {
    "S3_BUCKET": "portal-files",
    "S3_ENDPOINT_URL": "https://minio.internal:9000",
    "S3_ACCESS_KEY_ID": "portal",
    "S3_SECRET_ACCESS_KEY": "minio-secret-key",
    "S3_REGION": "cn-north-1",
}


def test_uploads_and_reports_go_to_a_private_s3_bucket_when_s3_bucket_is_set():
    default = production_settings(**S3)["storages"]["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "portal-files"
    assert options["endpoint_url"] == "https://minio.internal:9000"
    assert options["access_key"] == "portal"
    assert options["secret_key"] == "minio-secret-key"
    assert options["region_name"] == "cn-north-1"
    # Never public: private objects, every URL signed.
    assert options["default_acl"] == "private"
    assert options["querystring_auth"] is True
    assert options["file_overwrite"] is False


def test_the_s3_storage_is_built_with_those_options_without_touching_the_network(settings):
    from django.core.files.storage import storages

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": "portal-files", "default_acl": "private"},
        },
    }
    storage = storages.create_storage(settings.STORAGES["default"])
    assert storage.bucket_name == "portal-files"
    assert storage.default_acl == "private"
    assert storage.querystring_auth is True


def test_without_s3_bucket_files_stay_on_the_file_system_and_stray_s3_settings_stop_it():
    default = production_settings()["storages"]["default"]
    assert default["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    result = manage("check", **{**PRODUCTION, **S3, "S3_BUCKET": ""})
    assert result.returncode != 0
    assert "S3_BUCKET is not" in result.stderr
    result = manage("check", **{**PRODUCTION, **S3, "S3_SECRET_ACCESS_KEY": ""})
    assert result.returncode != 0
    assert "go together" in result.stderr


def test_a_replica_url_adds_the_replica_alias_and_its_middleware():
    shown = production_settings(REPLICA_DATABASE_URL="postgres://reader@replica.internal/portal")
    assert shown["databases"] == ["default", "replica"]
    assert shown["middleware"] == "portal.routers.ReplicaReadsMiddleware"
    assert production_settings()["databases"] == ["default"]


# Sessions in the Redis setup ------------------------------------------------------------------


@pytest.mark.django_db
def test_with_sessions_in_the_cache_an_idle_session_ends_and_a_password_change_signs_out(
    settings, admin_user
):
    # cached_db over the test run's local-memory cache: what Redis does, minus the network.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    here, elsewhere = Client(), Client()
    start = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        here.force_login(admin_user)
        elsewhere.force_login(admin_user)
        for _ in range(2):  # each request renews the idle time
            clock.shift(dt.timedelta(minutes=25))
            assert here.get("/admin/").status_code == 200
            assert elsewhere.get("/admin/").status_code == 200
        password = "granite-lantern-47"
        response = here.post(
            "/admin/password_change/",
            {"old_password": "pw", "new_password1": password, "new_password2": password},
        )
        assert response.status_code == 302
        assert here.get("/admin/").status_code == 200
        assert elsewhere.get("/admin/").status_code == 302
        clock.shift(dt.timedelta(minutes=31))
        assert here.get("/admin/").status_code == 302  # idle too long
    assert get_user_model().objects.get(pk=admin_user.pk).check_password("granite-lantern-47")


# The replica router -------------------------------------------------------------------------


@pytest.fixture
def replica(db):
    """A ``replica`` alias on the test database through a second connection, as a streaming
    standby would be: queries on each alias are told apart by their connection."""
    connections.settings[REPLICA] = {**connections["default"].settings_dict}
    # Connected here: Django's test case refuses to open a connection to an alias it was not
    # told of when the test began (the alias did not exist then).
    connections[REPLICA].connect()
    yield connections[REPLICA]
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


def _tables(queries) -> str:
    return " ".join(query["sql"] for query in queries)


def test_inside_reading_from_replica_report_reads_go_to_the_replica_and_writes_to_default(
    replica, admin_user
):
    default = connections["default"]
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(default) as on_default,
        reading_from_replica(),
    ):
        list(MonthlyReport.objects.filter(month=dt.date(2026, 10, 1)))
        MonthlyReport.objects.create(month=dt.date(2026, 10, 1), published_by=admin_user)
    assert "exports_monthlyreport" in _tables(on_replica)
    assert all(q["sql"].upper().startswith("SELECT") for q in on_replica)
    assert "INSERT" in _tables(on_default).upper()


def test_outside_the_block_or_without_a_replica_everything_reads_from_default(admin_user):
    # No replica alias (the test run's settings): the block changes nothing.
    with CaptureQueriesContext(connections["default"]) as on_default, reading_from_replica():
        list(MonthlyReport.objects.all())
    assert "exports_monthlyreport" in _tables(on_default)


#: The figures open a transaction on the replica's connection: on SQLite (IMMEDIATE
#: transactions, one in-memory database shared by both connections) the test's own open
#: transaction locks it out.
replica_transactions = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a second SQLite connection cannot open a transaction beside the test's",
)


@replica_transactions
def test_the_monthly_figures_reads_go_to_the_replica(replica):
    # No rows written first: a real standby sees committed rows only, and this test's are not.
    with CaptureQueriesContext(replica) as on_replica, reading_from_replica():
        month_figures(dt.date(2026, 10, 1))
    replica_sql = _tables(on_replica)
    assert "historicalresident" in replica_sql  # the figures' own SQL (exports/sql.py)
    assert "archives_department" in replica_sql  # and their ORM reads


@replica_transactions
def test_the_report_page_reads_from_the_replica_and_other_pages_do_not(
    replica, admin_client, settings
):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "portal.routers.ReplicaReadsMiddleware"]
    with CaptureQueriesContext(replica) as on_replica:
        response = admin_client.get(reverse("admin:exports_monthlyreport_report"))
    assert response.status_code == 200
    assert on_replica.captured_queries
    with CaptureQueriesContext(replica) as on_replica:
        assert admin_client.get(reverse("admin:archives_resident_changelist")).status_code == 200
    assert not on_replica.captured_queries


def test_the_replica_takes_the_report_page_its_downloads_and_every_list_export_only():
    from portal.routers import reads_from_replica

    assert reads_from_replica("exports_monthlyreport_report")
    assert reads_from_replica("exports_monthlyreport_download")
    assert reads_from_replica("archives_resident_export")
    # Publishing computes the figures it freezes: from the primary, never a lagging copy.
    assert not reads_from_replica("exports_monthlyreport_publish")
    assert not reads_from_replica("archives_resident_change")
    assert not reads_from_replica(None)


@replica_transactions
def test_a_report_download_job_reads_its_figures_from_the_replica_and_logs_on_the_primary(
    replica, admin_user
):
    # The job runs in a worker, where no middleware wraps it: the runner enters the block.
    default = connections["default"]
    with CaptureQueriesContext(replica) as on_replica, CaptureQueriesContext(default) as on_default:
        job = job_start(
            kind=REPORT_DOWNLOAD_JOB,
            user=admin_user,
            params=report_job_params(dt.date(2026, 10, 1), None, format="xlsx"),
            title="report",
        )
    job.refresh_from_db()
    assert job.state == Job.State.DONE, job.message
    assert "historicalresident" in _tables(on_replica)  # the month's figures
    assert "historicalresident" not in _tables(on_default)
    assert 'INSERT INTO "exports_reportdownload"' in _tables(on_default)  # the download log
