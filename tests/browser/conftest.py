"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright's own browser builds are never downloaded; `.ci/run` installs Debian's `chromium`.
A machine without it skips these tests, except CI, where that is a failure.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "pw"  # tests/factories.py

# Reported by every page into the console, where the test collects it with the rest.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        message = f"no Chromium at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django would then refuse the
    # tests' own database calls as "async-unsafe". They are not async: the loop only drives the
    # browser. Only while the browser tests run: the rest of the suite keeps Django's guard.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


class ConsoleLog(list):
    """Console errors, failed page scripts and CSP violations seen while the test ran."""

    def csp_violations(self) -> list[str]:
        return [m for m in self if "Content Security Policy" in m or "CSP violation" in m]


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


#: Viewports for ``@pytest.mark.parametrize("page", [DESKTOP, PHONE], indirect=True)``.
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # an iPhone 12-15: the narrowest phone clerks carry


@pytest.fixture
def page(request, browser, live_server, console) -> Iterator:
    viewport = getattr(request, "param", DESKTOP)
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport=viewport,
        is_mobile=viewport is PHONE,
        has_touch=viewport is PHONE,
    )
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda m: m.type in ("error", "warning") and console.append(m.text))
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    yield page
    context.close()


def log_in(page, username: str, password: str = PASSWORD, token: str = "") -> None:
    page.goto("/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    if token:
        page.fill("#id_otp_token", token)
    page.click("#login-form [type=submit]")


@pytest.fixture
def logged_in(page):
    """A page signed in through the login form: ``logged_in(user)`` returns the page."""

    def sign_in(user):
        log_in(page, user.get_username())
        page.wait_for_url("**/admin/")
        return page

    return sign_in


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def pytest_terminal_summary(terminalreporter):
    """Say where this run's screenshots are (kept as CI artifacts; look at them)."""
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")
