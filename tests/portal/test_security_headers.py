import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/admin/login/", "/admin/", "/admin/archives/resident/"])
def test_every_page_carries_a_content_security_policy_without_inline_code(admin_client, url):
    policy = admin_client.get(url, follow=True)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_pages_cannot_be_framed_and_send_no_referrer_elsewhere(client):
    response = client.get("/admin/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


# What the policy refuses: a <script> without src, a <style> block, style="" and on...="".
INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=")


def test_our_templates_hold_no_inline_scripts_or_styles():
    root = Path(settings.BASE_DIR)
    offenders = [
        f"{path.relative_to(root)}: {match.group()}"
        for app in ("portal", "accounts", "archives", "audits", "exports")
        for path in (root / app).rglob("*.html")
        for match in INLINE_CODE.finditer(path.read_text())
    ]
    assert offenders == []
