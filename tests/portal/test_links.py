"""Links and form targets in templates are reversed (``{% url %}``) or come from a reversed
URL in the view, never relative to the page they sit on: ``draw/`` on a campaign's page
resolved under ``…/1/change/draw/`` and answered 404."""

import re
from pathlib import Path

from django.conf import settings

APP_DIRS = ["accounts", "archives", "audits", "exports", "portal"]
TARGET = re.compile(r"""\b(?:href|action)=(?:"([^"]*)"|'([^']*)')""")
# A value is fine when it is a reversed URL, a variable holding one (not followed by a path),
# a static file, an absolute path, an anchor, a data: URL or empty (a form posting to its own page).
ABSOLUTE = re.compile(r"^(\{% (url|static) |\{\{[^}]*\}\}(\?|&|$)|/|#|data:|https?://|$)")


def relative_targets(source: str) -> list[str]:
    values = [double or single for double, single in TARGET.findall(source)]
    return [value for value in values if not ABSOLUTE.match(value)]


def test_no_template_links_relative_to_its_page():
    root = Path(settings.BASE_DIR)
    found = [
        f"{path.relative_to(root)}: {value}"
        for app in APP_DIRS
        for path in sorted((root / app).rglob("*.html"))
        for value in relative_targets(path.read_text())
    ]
    assert found == [], "relative links:\n" + "\n".join(found)


def test_the_check_catches_relative_links_and_lets_reversed_ones_pass():
    assert relative_targets('<a href="draw/">') == ["draw/"]
    assert relative_targets('<a href="../">') == ["../"]
    assert relative_targets('<a href="{{ entry.pk }}/">') == ["{{ entry.pk }}/"]
    assert relative_targets('<form action="revert/">') == ["revert/"]
    reversed_ = [
        "<a href=\"{% url 'admin:index' %}\">",
        '<a href="{{ items_url }}">',
        '<a href="{{ template_url }}?lang=en">',
        '<a href="{{ download_url }}&amp;format=pdf">',
        '<link rel="icon" href="data:,">',
        '<form method="post" action="">',
    ]
    assert relative_targets("".join(reversed_)) == []
