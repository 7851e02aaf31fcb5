"""A job's page, as a clerk watches it: the bar moves while the job runs (the static script asks
its status every second) and the page shows the result once it is done, with no CSP violation."""

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from jobs.models import Job
from jobs.runner import Progress
from tests import factories
from tests.browser.conftest import screenshot


def test_the_bar_moves_while_the_job_runs_and_the_result_shows_when_it_ends(logged_in, console):
    clerk = factories.make_user("clerk", role="grid member")
    job = Job.objects.create(kind="archives.import", user=clerk, title="导入 居民.xlsx")
    page = logged_in(clerk)
    page.goto(f"/admin/jobs/job/{job.pk}/progress/")
    assert page.inner_text("#job-state") == "排队中"

    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING)
    Progress(job.pk)(3000, 10000)  # as the worker reports it, through the cache
    expect(page.locator("#job-count")).to_have_text("3000 / 10000")
    assert page.inner_text("#job-state") == "运行中"
    assert page.get_attribute("#job-progress", "value") == "3000"
    screenshot(page, "job-running")

    Job.objects.filter(pk=job.pk).update(
        state=Job.State.DONE,
        done=10000,
        total=10000,
        finished_at=timezone.now(),
        result={"summary": "已导入 居民.xlsx：新增 10000 人", "link": "/admin/archives/resident/"},
    )
    page.wait_for_selector(".job-summary")  # the page reloaded itself
    assert page.inner_text(".job-summary") == "已导入 居民.xlsx：新增 10000 人"
    screenshot(page, "job-done")
    assert console.csp_violations() == []
    assert console == []


def test_a_job_left_waiting_says_it_is_waiting_for_a_worker(logged_in, console):
    clerk = factories.make_user("clerk", role="grid member")
    job = Job.objects.create(kind="archives.import", user=clerk, title="导入 居民.xlsx")
    # Started eight seconds ago: two more and the page says why nothing moves.
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(seconds=8))
    page = logged_in(clerk)
    page.goto(f"/admin/jobs/job/{job.pk}/progress/")
    waiting = page.locator("#job-waiting")
    expect(waiting).to_be_hidden()
    expect(waiting).to_be_visible(timeout=6000)
    assert waiting.inner_text().startswith("正在等待后台进程")
    screenshot(page, "job-waiting-for-a-worker")

    # A worker takes it: the notice goes.
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING)
    expect(waiting).to_be_hidden()
    assert console.csp_violations() == []
    assert console == []
