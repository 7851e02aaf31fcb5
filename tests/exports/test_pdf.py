import os
import shutil
import subprocess

import pytest
import time_machine
from reportlab.platypus import Table

from exports import pdf
from exports.selectors import month_figures
from tests.exports.month_city import OCTOBER, build_month_city
from tests.exports.test_selectors import DECEMBER

# CI installs poppler-utils (.ci/run); there a missing tool fails rather than skips.
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None and not os.environ.get("CI"),
    reason="poppler-utils (pdftotext, pdftoppm) not installed",
)


@pytest.fixture
def report(db, tmp_path):
    build_month_city()
    with time_machine.travel(DECEMBER, tick=False):
        content = pdf.report_pdf(month_figures(OCTOBER))
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    return path


def _text(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@needs_poppler
def test_it_shows_month_scope_grids_and_figures_as_text(report):
    text = _text(report)
    assert "月度考核报告" in text
    assert "2026年10月" in text and "全市" in text and "2026-12-03 09:00" in text
    assert "青松网格" in text and "刘晓彤" in text
    g1 = next(line for line in text.splitlines() if line.strip().startswith("G1 "))
    # residents, households, new, moved out, completeness, timeliness, visits, coverage,
    # record accuracy, field accuracy, satisfaction, score, rank
    assert g1.split()[3:] == [
        "3", "2", "1", "1", "66.7%", "33.3%", "2", "100.0%", "50.0%", "92.9%", "4.00", "65.0", "1"
    ]  # fmt: skip
    g2 = next(line for line in text.splitlines() if line.strip().startswith("G2 "))
    assert "未抽查" in g2
    member = next(line for line in text.splitlines() if line.strip().startswith("刘晓彤"))
    assert member.split()[1] == "G1" and member.split()[-1] == "65.0"
    assert "各网格得分分布" in text and "指标说明" in text and "得分权重" in text


@needs_poppler
def test_it_embeds_the_chinese_font(report):
    fonts = subprocess.run(
        ["pdffonts", str(report)], capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in fonts.splitlines() if "WenQuanYi" in line)
    assert " yes " in line  # embedded (a subset)


@needs_poppler
def test_it_renders_a_page_with_ink_on_it(report, tmp_path):
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "2", "-l", "2", str(report), str(tmp_path / "p")],
        check=True,
    )
    png = next(tmp_path.glob("p*.png"))
    assert png.stat().st_size > 5_000


def test_its_tables_rows_are_as_tall_and_split_where_reportlab_s_own_would_be(db):
    """The report's tables set plain rows' heights themselves (``pdf._Table``): the same as
    platypus works out, so pages break where they did, whatever the cells hold."""
    font = pdf.register_font()
    header = pdf._header_cells(["网格编码", "Households needing visits", "得分"], font)
    body = [["G1", "青松网格", "12.5%"], ["", "", ""], ["多行\n文字", "—", "3"], ["G2", "x", "1"]]
    rows = [header, *(body * 40)]
    heights = []
    for table_class in (Table, pdf._Table):
        table = table_class(rows, colWidths=pdf._WIDTHS[:3], repeatRows=1)
        table.setStyle(pdf._table_style(font, len(rows), total_rows=1))
        table.wrap(500, 400)
        halves = table.split(500, 400)
        heights.append((table._rowHeights, [h.wrap(500, 400) for h in halves]))
    assert heights[0] == heights[1]
    assert len(heights[0][1]) == 2
