"""The month's micro-wish figures in the monthly report: per community with the street and city
totals and per department, in the workbook and the PDF with their definitions, and in a
published version (one published before wishes were counted opens with "—")."""

import datetime as dt
import io
import subprocess

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from archives.models import Community, Department, Street
from exports.columns import WISH_COLUMNS, WISHES_MONTH_DEFINITION
from exports.excel import report_xlsx
from exports.figures import figures_as_json, figures_from_json
from exports.kept import kept_counts_forget
from exports.pdf import report_pdf
from exports.selectors import month_figures
from tests import factories
from tests.exports.test_pdf import needs_poppler
from tests.wishes.figures_city import SEED_NOW, seed_wishes
from wishes.selectors.figures import WishFigures, wish_figures_total, wish_month_figures

NOVEMBER = dt.date(2026, 11, 1)
OCTOBER_20 = dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC)
LATER = SEED_NOW + dt.timedelta(days=1)

WISH_HEADERS = [
    "发布心愿数",
    "认领数",
    "放弃认领数",
    "实现心愿数",
    "实现天数中位数",
    "确认前退回数",
    "爱心积分",
    "撤回心愿数",
]
DEPARTMENT_HEADERS = [h for h in WISH_HEADERS if h not in ("发布心愿数", "撤回心愿数")]


def build_wish_city(grid_count: int = 4, wishes: int = 300, seed: int = 4) -> None:
    """Grids in two streets, one street with a second community (and one without a grid),
    three departments, and random wishes over September to December."""
    with time_machine.travel(OCTOBER_20, tick=False):
        grids = [
            factories.make_grid(code=f"WG{seed}-{n}", street_code=f"WS{seed}-{n % 2}")
            for n in range(grid_count)
        ]
        street = Street.objects.get(code=f"WS{seed}-0")
        second = Community.objects.create(code=f"WS{seed}-C2", name="第二社区", street=street)
        departments = [
            Department.objects.create(code=f"D{seed}-{n}", name=f"部门{n}", serves_whole_city=True)
            for n in range(3)
        ]
        staff = factories.make_user(f"staff {seed}")
    communities = [*{g.community_id: g.community for g in grids}.values(), second]
    seed_wishes(
        seed=seed, count=wishes, communities=communities, departments=departments, staff=staff
    )


@pytest.fixture
def november(db):
    build_wish_city()
    with time_machine.travel(LATER, tick=False):
        return month_figures(NOVEMBER)


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _values(wishes: WishFigures, *, department: bool = False) -> list:
    median = wishes.median_days_to_fulfil
    values = [
        wishes.posted,
        wishes.claimed,
        wishes.claims_withdrawn,
        wishes.fulfilled,
        "—" if median is None else pytest.approx(median),
        wishes.returns,
        wishes.points,
        wishes.withdrawn,
    ]
    return [values[i] for i in (1, 2, 3, 4, 5, 6)] if department else values


def test_the_report_s_wish_figures_are_the_selector_s_and_add_up(november):
    communities = wish_month_figures(NOVEMBER, by="community")
    assert november.wish_communities == communities
    assert [c.name for c in communities if c.street == "WS4-0街道"] == ["WS4-0社区", "第二社区"]
    total = november.wish_total()
    assert total == wish_figures_total(communities)
    assert total.posted > 0 and total.fulfilled > 0 and total.median_days_to_fulfil is not None
    streets = november.wish_streets()
    assert [s.name for s in streets] == ["WS4-0街道", "WS4-1街道"]
    assert sum(s.claimed for s in streets) == total.claimed
    assert november.wish_departments == wish_month_figures(NOVEMBER, by="department")
    assert [d.code for d in november.wish_departments] == ["D4-0", "D4-1", "D4-2"]


def test_a_street_s_report_counts_its_communities_wishes_only(november):
    street = Street.objects.get(code="WS4-1")
    with time_machine.travel(LATER, tick=False):
        figures = month_figures(NOVEMBER, street=street)
    own = list(Community.objects.filter(street=street).values_list("pk", flat=True))
    assert [c.id for c in figures.wish_communities] == own
    expected = wish_month_figures(NOVEMBER, by="department", communities=own)
    assert figures.wish_departments == [d for d in expected if any(d.counts())]
    assert sum(d.claimed for d in figures.wish_departments) <= figures.wish_total().claimed


def test_the_workbook_has_a_wish_sheet_per_community_and_per_department(november):
    workbook = load_workbook(io.BytesIO(report_xlsx(november)))
    assert "各社区微心愿" in workbook.sheetnames and "各部门微心愿" in workbook.sheetnames
    communities = _rows(workbook["各社区微心愿"])
    assert communities[0] == ["街道", "社区", *WISH_HEADERS]
    body = communities[1 : 1 + len(november.wish_communities)]
    for community, row in zip(november.wish_communities, body, strict=True):
        assert row[:2] == [community.street, community.name]
        assert row[2:] == _values(community), community.name
    streets = communities[1 + len(november.wish_communities) : -1]
    assert [row[0] for row in streets] == ["WS4-0街道", "WS4-1街道"]
    for street, row in zip(november.wish_streets(), streets, strict=True):
        assert row[2:] == _values(street)
    assert communities[-1][0] == "合计" and communities[-1][2:] == _values(november.wish_total())
    assert workbook["各社区微心愿"].cell(row=2, column=7).number_format == "0.00"

    departments = _rows(workbook["各部门微心愿"])
    assert departments[0] == ["部门编码", "部门", *DEPARTMENT_HEADERS]
    for department, row in zip(november.wish_departments, departments[1:], strict=True):
        assert row == [department.code, department.name, *_values(department, department=True)]

    texts = {row[0]: row[1] for row in _rows(workbook["指标说明"]) if row and row[0]}
    assert "自然日" in texts["实现天数中位数"] and "确认" in texts["实现心愿数"]
    assert "部门" in texts["认领数"] and "类别" in texts["爱心积分"]
    assert "时区" in texts["微心愿"] and "确认的月份" in texts["微心愿"]


def _pdf_text(figures, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(figures))
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _cells(wishes: WishFigures | None, *, department: bool = False) -> list[str]:
    if wishes is None:
        return ["—"] * (6 if department else 8)
    median = wishes.median_days_to_fulfil
    values = [
        str(wishes.posted),
        str(wishes.claimed),
        str(wishes.claims_withdrawn),
        str(wishes.fulfilled),
        "—" if median is None else f"{median:.2f}",
        str(wishes.returns),
        str(wishes.points),
        str(wishes.withdrawn),
    ]
    return values[1:7] if department else values


@needs_poppler
def test_the_pdf_has_a_micro_wishes_section_with_its_tables(november, tmp_path):
    text = _pdf_text(november, tmp_path)
    section = text[text.index("发布心愿数") : text.index("各网格得分分布")]
    assert any(line.strip() == "微心愿" for line in text.splitlines())  # the heading
    lines = section.splitlines()
    for community in november.wish_communities:
        line = next(line for line in lines if f" {community.name} " in line)
        assert line.split()[-8:] == _cells(community), community.name
    total = next(line for line in lines if line.strip().startswith("合计"))
    assert total.split()[-8:] == _cells(november.wish_total())
    for department in november.wish_departments:
        line = next(line for line in lines if line.strip().startswith(department.code + " "))
        assert line.split()[-6:] == _cells(department, department=True), department.code
    notes = text[text.index("指标说明") :]
    assert "实现天数中位数" in notes and "爱心银行" in notes


def test_published_wish_figures_come_back_as_they_were(november):
    again = figures_from_json(figures_as_json(november))
    assert again.wish_communities == november.wish_communities
    assert again.wish_departments == november.wish_departments
    assert again.wish_total() == november.wish_total()


@needs_poppler
def test_a_version_published_before_wishes_opens_with_them_not_counted(november, tmp_path):
    stored = figures_as_json(november)
    del stored["wish_communities"], stored["wish_departments"]
    old = figures_from_json(stored)
    assert old.wish_communities is None and old.wish_departments == []
    assert old.wish_total() is None and old.wish_streets() == []
    workbook = load_workbook(io.BytesIO(report_xlsx(old)))
    assert "各部门微心愿" not in workbook.sheetnames
    rows = _rows(workbook["各社区微心愿"])
    assert [row[:2] for row in rows[1:-1]] == [[c.street, c.name] for c in old.communities()]
    assert all(row[2:] == ["—"] * 8 for row in rows[1:])
    text = _pdf_text(old, tmp_path)
    section = text[text.index("发布心愿数") : text.index("各网格得分分布")]
    total = next(line for line in section.splitlines() if line.strip().startswith("合计"))
    assert total.split()[-8:] == _cells(None)


def test_every_wish_label_and_definition_is_translated():
    with translation.override("zh-hans"):
        for column in WISH_COLUMNS:
            for text in (column.label, column.definition):
                assert str(text) and not any("a" <= ch <= "z" for ch in str(text)), str(text)
        assert "时区" in str(WISHES_MONTH_DEFINITION)


def test_the_report_s_queries_do_not_grow_with_the_grids_or_communities(db):
    def queries(grids: int) -> int:
        with time_machine.travel(LATER, tick=False), CaptureQueriesContext(connection) as seen:
            figures = month_figures(NOVEMBER)
        assert len(figures.grids) == grids and figures.wish_total().claimed > 0
        return len(seen)

    build_wish_city(grid_count=2, wishes=60, seed=2)
    few = queries(2)
    # More grids are added in November's past (travelling back in time), which no real write
    # can do (history is dated when written): the November kept by the first run is forgotten.
    kept_counts_forget()
    build_wish_city(grid_count=9, wishes=200, seed=9)
    # The wish figures add seven queries to the report's, for 2 grids as for 11.
    assert queries(11) == few
