"""The city workbook as an office prints it: converted by LibreOffice (headless), as a
clerk's "print" would lay it out. Before the print settings it came out on 55 pages (the
issue counted 59 for the demo city) with four columns on the first page."""

import os
import shutil
import subprocess

import pytest
from django.utils import translation

from exports.excel import _grid_labels, report_xlsx
from tests.exports.city_figures import city_figures

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The city workbook printed to PDF by LibreOffice; its first page's text and page count."""
    if SOFFICE is None:
        message = "no LibreOffice: apt-get install -y libreoffice-calc-nogui"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    tmp_path = tmp_path_factory.mktemp("printed")
    with translation.override("zh-hans"):
        (tmp_path / "city.xlsx").write_bytes(report_xlsx(city_figures()))
        labels = _grid_labels()
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{tmp_path}/profile",  # a profile of its own
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "city.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = tmp_path / "city.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    pages = int(next(line for line in info.stdout.splitlines() if line.startswith("Pages:"))[6:])
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {"pages": pages, "first_page": first, "labels": [str(label) for label in labels]}


def test_the_city_workbook_prints_on_a_few_landscape_pages(printed):
    # Summary (126 grids and the totals) on 2 pages, a page per street, members on 2 pages,
    # definitions and the cover: 9 pages measured; before the print settings, 55.
    assert 5 <= printed["pages"] <= 15


def test_every_column_heading_of_the_summary_is_on_the_first_page(printed):
    heading_line = next(line for line in printed["first_page"].splitlines() if "网格编号" in line)
    words = heading_line.split()
    for label in printed["labels"]:
        assert label in words, label
    assert "第 1 页，共" in printed["first_page"]
