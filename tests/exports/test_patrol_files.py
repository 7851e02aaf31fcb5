"""The patrol figures as the workbook, the PDF and the report page draw them, and a version
published before they existed."""

import io
import subprocess

import pytest
import time_machine
from openpyxl import load_workbook

from exports.excel import report_xlsx
from exports.figures import figures_as_json, figures_from_json
from exports.pdf import report_pdf
from exports.selectors import month_figures
from exports.summary import headers, summary_rows
from tests.exports.patrol_city import DECEMBER, NOVEMBER, OCTOBER, build_patrol_city
from tests.exports.test_pdf import needs_poppler

PATROL_HEADERS = [
    "巡查天数",
    "巡查次数",
    "巡查公里数",
    "覆盖楼栋数",
    "楼栋覆盖率",
    "走访相符数",
    "走访相符率",
]


@pytest.fixture
def november(db):
    with time_machine.travel(OCTOBER, tick=False):
        build_patrol_city()
    with time_machine.travel(DECEMBER, tick=False):
        return month_figures(NOVEMBER)


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _patrol_values(counts) -> list:
    patrol = counts.patrol
    return [
        patrol.days,
        patrol.rounds,
        pytest.approx(patrol.distance_m / 1000),
        patrol.buildings_covered,
        pytest.approx(counts.building_coverage.value),
        patrol.visits_on_track,
        pytest.approx(counts.on_track.value) if patrol.visits else "—",
    ]


def test_the_workbook_has_the_patrol_columns_for_grids_and_members(november):
    workbook = load_workbook(io.BytesIO(report_xlsx(november)))
    grid_sheet = workbook["汇总"]
    rows = _rows(grid_sheet)
    header = rows[0]
    at = header.index("巡查天数")
    assert header[at : at + 7] == PATROL_HEADERS
    assert header[at + 7] == "受理事件数"  # the events' columns follow
    assert header[-2:] == ["得分", "街道内排名"]
    by_code = {row[2]: row for row in rows[1:6]}
    for grid in november.grids:
        assert by_code[grid.code][at : at + 7] == _patrol_values(grid.counts), grid.code
    assert rows[-1][at + 1] == november.total.patrol.rounds > 0  # the city's total
    formats = [grid_sheet.cell(row=2, column=at + 1 + i).number_format for i in range(7)]
    assert formats == ["#,##0", "#,##0", "0.00", "#,##0", "0.0%", "#,##0", "0.0%"]

    members = _rows(workbook["网格员"])
    m_at = members[0].index("巡查天数")
    assert members[0][m_at : m_at + 7] == PATROL_HEADERS
    for member, row in zip(november.members, members[1:], strict=True):
        assert row[0] == member.name
        assert row[m_at : m_at + 7] == _patrol_values(member.counts), member.name


def test_the_workbook_defines_the_patrol_figures_and_weighs_the_part(november):
    rows = _rows(load_workbook(io.BytesIO(report_xlsx(november)))["指标说明"])
    weights_at = [row[0] for row in rows].index("得分权重")
    texts = {row[0]: row[1] for row in rows[:weights_at] if row and row[0]}
    assert "网格·天" in texts["巡查天数"]
    assert "100 米" in texts["覆盖楼栋数"]
    assert "30 分钟" in texts["走访相符数"]
    assert "平均" in texts["巡查得分项"] and "巡查" in texts["得分"]
    assert ["巡查", 10] in [row[:2] for row in rows[weights_at + 1 :]]


def _pdf_text(figures, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(figures))
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@needs_poppler
def test_the_pdf_has_a_patrol_table_per_grid_with_totals_and_per_member(november, tmp_path):
    text = _pdf_text(november, tmp_path)
    section = text[text.index("巡查与走访轨迹") : text.index("各网格得分分布")]
    assert all(label in section for label in ["巡查天数", "楼栋覆盖率", "巡查得分项"])
    lines = section.splitlines()
    for grid in november.grids:
        patrol = grid.counts.patrol
        line = next(line for line in lines if line.strip().startswith(grid.code + " "))
        part = grid.counts.patrol_part
        assert line.split()[-8:] == [
            str(patrol.days),
            str(patrol.rounds),
            f"{patrol.distance_m / 1000:.2f}",
            str(patrol.buildings_covered),
            f"{grid.counts.building_coverage.value * 100:.1f}%",
            str(patrol.visits_on_track),
            f"{grid.counts.on_track.value * 100:.1f}%" if patrol.visits else "—",
            f"{part * 100:.1f}%" if part is not None else "—",
        ], grid.code
    total = next(line for line in lines if line.strip().startswith("合计"))
    assert total.split()[2] == str(november.total.patrol.rounds)
    for member in november.members:
        line = next(line for line in lines if line.strip().startswith(member.name + " "))
        assert line.split()[3] == str(member.counts.patrol.rounds)
    notes = text[text.index("指标说明") :]
    part = next(line for line in notes.splitlines() if line.strip().startswith("巡查得分项"))
    assert "楼栋覆盖率与走访相符率" in part and "网格·天" in notes


def test_the_report_page_shows_the_patrol_columns(november):
    labels = [str(h.label) for h in headers()]
    at = labels.index("巡查公里数")
    assert labels[at : at + 3] == ["巡查公里数", "楼栋覆盖率", "走访相符率"]
    rows = summary_rows(november, "patrol_km", descending=True)
    kilometres = [row.cells[at].sort for row in rows]
    assert kilometres == sorted(kilometres, reverse=True) and kilometres[0] > 0


def test_a_version_published_before_patrols_opens_with_them_not_counted(november):
    stored = figures_as_json(november)
    for counts in [stored["total"], *(r["counts"] for r in stored["grids"] + stored["members"])]:
        del counts["patrol"], counts["buildings_mapped"]
    for row in stored["streets"]:
        del row["counts"]["patrol"], row["counts"]["buildings_mapped"]
    stored["weights"].pop("patrol")
    old = figures_from_json(stored)
    grid = old.grids[0]
    assert grid.counts.patrol is None and grid.counts.score_parts()["patrol"] is None
    cells = summary_rows(old, "", descending=False)[0].cells
    at = [h.key for h in headers()].index("patrol_km")
    assert [cell.text for cell in cells[at : at + 3]] == ["—"] * 3
    # Its page and a new file drawn from it still work.
    assert load_workbook(io.BytesIO(report_xlsx(old)))["汇总"]


def test_stored_patrol_figures_come_back_as_they_were(november):
    again = figures_from_json(figures_as_json(november))
    assert [g.counts.patrol for g in again.grids] == [g.counts.patrol for g in november.grids]
    assert again.total.patrol == november.total.patrol
    assert [m.counts.buildings_mapped for m in again.members] == [
        m.counts.buildings_mapped for m in november.members
    ]


def test_a_published_version_stores_its_counts_as_numbers_and_reads_old_strings(november):
    stored = figures_as_json(november)
    counts = stored["grids"][0]["counts"]
    plain = {k: v for k, v in counts.items() if k not in ("audit", "patrol", "events")}
    # PostgreSQL's SUM of counts is numeric: it was stored as the string "11".
    assert all(type(v) is int for v in plain.values()), plain
    for row in stored["grids"]:
        row["counts"]["visits"] = str(row["counts"]["visits"])
    old = figures_from_json(stored)
    assert [c.counts.visits for c in old.communities()] == [
        c.counts.visits for c in november.communities()
    ]
