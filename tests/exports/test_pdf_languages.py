"""The PDF in English: its column headings wrap inside their columns instead of running into
each other (long English headings such as "Households needing visits")."""

import re
import shutil
import subprocess

import pytest
from django.utils import translation

from exports import pdf
from tests.exports.city_figures import city_figures

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler")
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def _overlapping_words(path, page: int) -> list[tuple[str, str]]:
    html = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = [(*map(float, m.groups()[:4]), m.group(5)) for m in WORD.finditer(html)]
    overlaps = []
    for i, (x0, y0, x1, y1, text) in enumerate(words):
        for a0, b0, a1, b1, other in words[i + 1 :]:
            # Boxes sharing more than a sliver both ways: one word printed over another.
            if min(x1, a1) - max(x0, a0) > 1 and min(y1, b1) - max(y0, b0) > 1:
                overlaps.append((text, other))
    return overlaps


@needs_poppler
def test_english_column_headings_wrap_instead_of_overlapping(tmp_path):
    with translation.override("en"):
        content = pdf.report_pdf(city_figures(grids=12))
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    words = text.split()
    # The long headings are there, wrapped between words and never inside one.
    for word in ["Households", "Completeness", "Timeliness", "coverage", "accuracy"]:
        assert word in words, word
    assert _overlapping_words(path, 2) == []
