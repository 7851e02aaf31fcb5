import os
import shutil
import subprocess

import pytest
import time_machine
from reportlab.lib import colors
from reportlab.platypus import Table, TableStyle

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


def test_its_tables_are_styled_sized_and_split_as_platypus_does_from_style_commands(db):
    """The report's tables share three cell styles and set plain rows' heights themselves
    (``pdf._report_table``, ``pdf._Table``): each cell as the style's commands set it on a
    platypus table, each row as tall, and the pages broken at the same rows."""
    font = pdf.register_font()
    header = pdf._header_cells(["网格编码", "Households needing visits", "得分", "排名"], font)
    body = [["G1", "青松网格", "12.5%", "1"], ["", "", "", ""], ["多行\n文字", "—", "3", "x"]]
    rows = [header, *(body * 40), ["", "合计", "9", "—"]]
    ours = pdf._report_table(rows, pdf._WIDTHS[:4], font, total_rows=1)
    theirs = Table(rows, colWidths=pdf._WIDTHS[:4], repeatRows=1)
    theirs.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                ("LEADING", (0, 0), (-1, -1), 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDE6F0")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9AA5B1")),
                ("ALIGN", (3, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F5F7FA")]),
                ("LEFTPADDING", (0, 0), (-1, 0), 2),
                ("RIGHTPADDING", (0, 0), (-1, 0), 2),
                ("BACKGROUND", (0, len(rows) - 1), (-1, -1), colors.HexColor("#E8EDF2")),
            ]
        )
    )
    laid_out = []
    for table in (theirs, ours):
        table.wrap(500, 400)
        cells = [[_cell_look(style) for style in row] for row in table._cellStyles]
        halves = [half.wrap(500, 400) for half in table.split(500, 400)]
        laid_out.append((cells, table._rowHeights, halves, table._bkgrndcmds, table._linecmds))
    assert laid_out[0] == laid_out[1]
    assert len(laid_out[0][2]) == 2


def _cell_look(style) -> tuple:
    return tuple(
        getattr(style, name)
        for name in (
            "fontname",
            "fontsize",
            "leading",
            "alignment",
            "valign",
            "leftPadding",
            "rightPadding",
            "topPadding",
            "bottomPadding",
            "color",
        )
    )
