"""One job through a real Celery worker and a real Redis broker, as `make run` and production
run them: the import's confirmation is queued by the request, picked up by a worker process
(which reads the committed rows through its own connection) and written there.

PostgreSQL only (``DATABASE_URL=postgres://…``): the worker is another process and must reach
the test database, which SQLite keeps in memory. Needs Redis at REDIS_URL (or 127.0.0.1:6379);
CI installs and starts it (.ci/run)."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from archives.models import Resident
from jobs.models import Job
from portal.celery import app
from tests.archives.test_import import CONFIRM, CREATION_TICKED, row, upload, xlsx

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker is another process and must reach the test database, which SQLite "
        "keeps in this process's memory. Run with DATABASE_URL=postgres://…",
    ),
    pytest.mark.django_db(transaction=True),  # the worker sees committed rows only
]


def redis_answers() -> bool:
    try:
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def database_url() -> str:
    """The test database's address, for the worker's DATABASE_URL."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{db['HOST'] or ''}{port}/{db['NAME']}"


@pytest.fixture
def queue():
    """A queue of this test's own: other workers on the same Redis (another checkout's
    `make run`) never take its job, nor its worker theirs."""
    if not redis_answers():
        pytest.skip(f"needs Redis at {app.conf.broker_url} (`redis-server --daemonize yes`)")
    name = f"test-{uuid.uuid4().hex}"
    eager, default_queue = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, name
    yield name
    app.conf.task_always_eager, app.conf.task_default_queue = eager, default_queue


@pytest.fixture
def worker(queue, settings, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": settings.MEDIA_ROOT,  # where the upload waits for its confirmation
        "CELERY_BROKER_URL": app.conf.broker_url,
        "JOBS_IN_REQUEST": "0",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool", "solo",
         "--queues", queue, "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def test_a_confirmed_import_is_written_by_a_worker_process(client, city, worker, tmp_path):
    assert django_settings.DATABASES["default"]["NAME"].startswith("test_")
    client.force_login(city.users["clerk"])
    upload(client, "新户.xlsx", xlsx([row(building="GA1a路9号", room="901")]))
    response = client.post(CONFIRM, CREATION_TICKED)
    job = Job.objects.get(user=city.users["clerk"])
    assert response["Location"] == reverse("admin:jobs_job_progress", args=[job.pk])

    deadline = time.monotonic() + 60
    while not job.finished and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.5)
        job.refresh_from_db()
    log = (tmp_path / "worker.log").read_text()
    assert job.state == Job.State.DONE, f"{job.state}: {job.message}\n{log}"
    assert job.result["summary"] == "已导入 新户.xlsx：新增 1 人，更新 0 人，未变 0 人。"
    assert Resident.objects.filter(name="新居民").exists()
    assert "Task jobs.run[" in log  # run by the worker, not in this process
