import io
import zipfile

import pytest
import time_machine
from openpyxl import load_workbook
from xlsxwriter.worksheet import Worksheet

from archives.models import Grid
from exports import excel
from exports.excel import report_xlsx
from exports.selectors import month_figures
from tests.exports.month_city import OCTOBER, at, build_month_city
from tests.exports.test_selectors import DECEMBER

OCTOBER_DAY = at(10, 9)


@pytest.fixture
def workbook(db):
    build_month_city()
    with time_machine.travel(OCTOBER_DAY, tick=False):
        grid = Grid.objects.get(code="G3")
        grid.name = "=HYPERLINK(1)"  # a name a spreadsheet would take for a formula
        grid.save()
    with time_machine.travel(DECEMBER, tick=False):
        content = report_xlsx(month_figures(OCTOBER))
    return load_workbook(io.BytesIO(content))


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_it_writes_a_summary_with_one_row_per_grid_and_chinese_headers(workbook):
    assert workbook.sheetnames == [
        "汇总",
        "S1街道",
        "S2街道",
        "网格员",
        "各社区事件",  # the month city has no department: no departments' sheet
        "各社区微心愿",  # nor a department's wishes: no sheet of them
        "指标说明",
        "报告信息",
    ]
    rows = _rows(workbook["汇总"])
    header = rows[0]
    assert header[:5] == ["街道", "社区", "网格编号", "网格", "网格员"]
    assert "完整率" in header and "得分" in header and "街道内排名" in header
    by_code = {row[2]: dict(zip(header, row, strict=True)) for row in rows[1:4]}
    g1 = by_code["G1"]
    assert (g1["网格"], g1["网格员"], g1["居民"], g1["走访次数"]) == ("青松网格", "刘晓彤", 3, 2)
    assert g1["完整率"] == pytest.approx(2 / 3)
    assert (g1["记录准确率"], g1["满意度"], g1["得分"], g1["街道内排名"]) == (0.5, 4.0, 65.0, 1)
    assert by_code["G2"]["记录准确率"] == "未抽查"
    assert by_code["G3"]["走访达标率"] == "—"
    assert [row[0] for row in rows[4:]] == ["S1街道", "S2街道", "合计"]
    assert rows[-1][header.index("居民")] == 5


def test_it_freezes_the_header_filters_and_colours_the_score(workbook):
    sheet = workbook["汇总"]
    assert sheet.freeze_panes == "E2"
    assert sheet.auto_filter.ref.startswith("A1:") and sheet.auto_filter.ref.endswith("4")
    ranges = [str(rule.sqref) for rule in sheet.conditional_formatting]
    assert ranges and ranges[0].endswith("2:" + ranges[0].split(":")[1])
    assert len(sheet._charts) == 1
    assert sheet["L2"].number_format == "0.0%"


def test_it_writes_a_name_that_starts_with_equals_as_text(workbook):
    cell = next(row[3] for row in workbook["汇总"].iter_rows() if row[2].value == "G3")
    assert cell.value == "=HYPERLINK(1)"
    assert cell.data_type == "s"


def test_it_documents_definitions_and_weights(workbook):
    rows = _rows(workbook["指标说明"])
    weights_at = [row[0] for row in rows].index("得分权重")
    texts = {row[0]: row[1] for row in rows[:weights_at] if row and row[0]}
    assert "180" in texts["及时率"]
    assert texts["记录准确率"] and texts["得分"]
    assert (texts["完整率"] is not None) and texts["走访达标率"]
    assert rows[weights_at + 1][:2] == ["完整率", 20]


def test_it_gives_each_grid_member_a_row(workbook):
    rows = _rows(workbook["网格员"])
    assert rows[1][:2] == ["刘晓彤", "G1"]


def test_its_cells_are_written_as_xlsxwriter_writes_them(db, monkeypatch):
    """The workbook's own cell writing (``excel._Sheet.append``, ``excel._Worksheet``) gives
    the XML XlsxWriter's write methods give."""
    build_month_city()
    with time_machine.travel(DECEMBER, tick=False):
        figures = month_figures(OCTOBER)
        ours = _parts(report_xlsx(figures))
        monkeypatch.setattr(excel._Worksheet, "_write_cell", Worksheet._write_cell)
        monkeypatch.setattr(excel._Sheet, "append", _append_through_xlsxwriter)
        theirs = _parts(report_xlsx(figures))
    assert ours == theirs
    assert '<c r="F2" s="' in ours["xl/worksheets/sheet1.xml"]


def _parts(content: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {name: archive.read(name).decode() for name in archive.namelist()}


def _append_through_xlsxwriter(sheet, row: list) -> None:
    for column, (value, style) in enumerate(row):
        if isinstance(value, str):
            if value:
                sheet.ws.write_string(sheet.rows, column, value, style)
            elif style is not None:
                sheet.ws.write_blank(sheet.rows, column, None, style)
        elif value is not None:
            sheet.ws.write_number(sheet.rows, column, value, style)
    sheet.rows += 1
