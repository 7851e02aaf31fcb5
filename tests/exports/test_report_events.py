"""The month's event figures in the monthly report: per grid on the summary, per community
with the street and city totals, per department, in the workbook and the PDF with their
definitions, and in a published version (one published before events counted opens too)."""

import datetime as dt
import io
import subprocess

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from archives.models import Community, Department, Grid, Street
from events.models import EventCategory
from events.selectors.figures import EventCounts, event_counts_by_department, event_counts_by_grid
from exports.columns import EVENT_COLUMNS, EVENTS_MONTH_DEFINITION
from exports.excel import report_xlsx
from exports.figures import figures_as_json, figures_from_json
from exports.kept import kept_counts_forget
from exports.pdf import report_pdf
from exports.selectors import month_figures
from tests import factories
from tests.events.figures_city import SEED_NOW, seed_events
from tests.exports.test_pdf import needs_poppler

NOVEMBER = dt.date(2026, 11, 1)
OCTOBER_20 = dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC)
#: After the seeded city's "now": November is all history.
LATER = SEED_NOW + dt.timedelta(days=1)

EVENT_HEADERS = [
    "受理事件数",
    "办结事件数",
    "3日内办结数",
    "3日内办结率",
    "时长中位数",
    "退回数",
    "评价退回数",
    "超时事件数",
    "督办数",
]


def build_event_city(grid_count: int = 4, events: int = 300) -> None:
    """Grids in two streets, one street with two communities, three departments, and random
    events over September to December."""
    with time_machine.travel(OCTOBER_20, tick=False):
        grids = [
            factories.make_grid(code=f"EG{n}", street_code=f"ES{n % 2}") for n in range(grid_count)
        ]
        street = Street.objects.get(code="ES0")
        second = Community.objects.create(code="ES0-C2", name="ES0第二社区", street=street)
        grids.append(Grid.objects.create(code="EGX", name="EGX网格", community=second))
        departments = [
            Department.objects.create(code=f"D{n}", name=f"部门{n}", serves_whole_city=True)
            for n in range(3)
        ]
        category = EventCategory.objects.create(code="any", name="事件")
        reporter = factories.make_user("reporter")
    seed_events(
        seed=grid_count,
        count=events,
        grids=grids,
        departments=departments,
        category=category,
        reporter=reporter,
    )


@pytest.fixture
def november(db):
    build_event_city()
    with time_machine.travel(LATER, tick=False):
        return month_figures(NOVEMBER)


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _values(events: EventCounts) -> list:
    median = events.median_settle_hours
    share = events.within_goal.value
    return [
        events.received,
        events.settled,
        events.settled_within_goal,
        "—" if share is None else pytest.approx(share),
        "—" if median is None else pytest.approx(median),
        events.returns,
        events.send_backs,
        events.overdue,
        events.escalations,
    ]


def test_the_report_s_event_figures_are_the_selector_s_and_add_up(november):
    with time_machine.travel(LATER, tick=False):
        by_grid = event_counts_by_grid(NOVEMBER)
        by_department = event_counts_by_department(NOVEMBER)
    for row in november.grids:
        assert row.counts.events == by_grid.get(row.grid_id, EventCounts()), row.code
    total = EventCounts()
    for counts in by_grid.values():
        total.add(counts)
    assert november.total.events == total and total.received > 0 and total.overdue > 0
    for street in november.streets:
        grids = [g.counts.events for g in november.grids if g.street_id == street.street_id]
        assert street.counts.events.received == sum(g.received for g in grids)
        assert sorted(street.counts.events.settle_hours) == sorted(
            h for g in grids for h in g.settle_hours
        )
    communities = november.communities()
    assert [c.grids for c in communities if c.street == "ES0街道"] == [2, 1]
    assert sum(c.counts.events.settled for c in communities) == total.settled
    assert [d.code for d in november.departments] == ["D0", "D1", "D2"]
    for row in november.departments:
        assert row.events == by_department.get(row.department_id, EventCounts())
    assert sum(d.events.returns for d in november.departments) == total.returns


def test_a_street_s_report_counts_the_departments_over_its_events_only(november):
    street = Street.objects.get(code="ES1")
    with time_machine.travel(LATER, tick=False):
        figures = month_figures(NOVEMBER, street=street)
    grid_ids = [g.grid_id for g in figures.grids]
    assert grid_ids and all(g.street_id == street.pk for g in figures.grids)
    with time_machine.travel(LATER, tick=False):
        expected = event_counts_by_department(NOVEMBER, grid_ids=grid_ids)
    assert {d.department_id: d.events for d in figures.departments} == {
        pk: counts for pk, counts in expected.items() if counts != EventCounts()
    }


def test_the_workbook_has_event_columns_a_community_sheet_and_a_department_sheet(november):
    workbook = load_workbook(io.BytesIO(report_xlsx(november)))
    assert "各社区事件" in workbook.sheetnames and "职能部门" in workbook.sheetnames
    summary = _rows(workbook["汇总"])
    at = summary[0].index("受理事件数")
    assert summary[0][at : at + 9] == EVENT_HEADERS
    assert summary[0][at + 9 :] == ["得分", "街道内排名"]
    by_code = {row[2]: row for row in summary[1 : len(november.grids) + 1]}
    for grid in november.grids:
        assert by_code[grid.code][at : at + 9] == _values(grid.counts.events), grid.code
    assert summary[-1][0] == "合计"
    assert summary[-1][at : at + 9] == _values(november.total.events)
    assert workbook["汇总"].cell(row=2, column=at + 4).number_format == "0.0%"

    communities = _rows(workbook["各社区事件"])
    assert communities[0] == ["街道", "社区", "网格", *EVENT_HEADERS]
    body = communities[1 : 1 + len(november.communities())]
    for community, row in zip(november.communities(), body, strict=True):
        assert row[:3] == [community.street, community.name, community.grids]
        assert row[3:] == _values(community.counts.events)
    assert communities[-1][0] == "合计" and communities[-1][3:] == _values(november.total.events)

    departments = _rows(workbook["职能部门"])
    assert departments[0] == ["部门编码", "部门", *EVENT_HEADERS]
    for department, row in zip(november.departments, departments[1:], strict=True):
        assert row == [department.code, department.name, *_values(department.events)]

    definitions = _rows(workbook["指标说明"])
    texts = {row[0]: row[1] for row in definitions if row and row[0]}
    assert "自然日" in texts["3日内办结数"] and "72小时" in texts["3日内办结数"]
    assert "时限" in texts["超时事件数"] and "部门" in texts["超时事件数"]
    assert "上报的月份" in texts["事件"]


def _pdf_text(figures, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf(figures))
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@needs_poppler
def test_the_pdf_has_event_tables_per_grid_community_and_department(november, tmp_path):
    text = _pdf_text(november, tmp_path)
    section = text[text.index("受理事件数") : text.index("各网格得分分布")]
    lines = section.splitlines()

    def cells(events: EventCounts) -> list[str]:
        share, median = events.within_goal.value, events.median_settle_hours
        return [
            str(events.received),
            str(events.settled),
            str(events.settled_within_goal),
            "—" if share is None else f"{share * 100:.1f}%",
            "—" if median is None else f"{median:.2f}",
            str(events.returns),
            str(events.send_backs),
            str(events.overdue),
            str(events.escalations),
        ]

    for grid in november.grids:
        line = next(line for line in lines if line.strip().startswith(grid.code + " "))
        assert line.split()[-9:] == cells(grid.counts.events), grid.code
    total = next(line for line in lines if line.strip().startswith("合计"))
    assert total.split()[-9:] == cells(november.total.events)
    for department in november.departments:
        line = next(line for line in lines if line.strip().startswith(department.code + " "))
        assert line.split()[-9:] == cells(department.events), department.code
    notes = text[text.index("指标说明") :]
    assert "自然日" in notes and "督查室" in notes


def test_published_event_figures_come_back_as_they_were(november):
    again = figures_from_json(figures_as_json(november))
    assert [g.counts.events for g in again.grids] == [g.counts.events for g in november.grids]
    assert again.total.events == november.total.events
    assert again.departments == november.departments


def test_a_version_published_before_events_opens_with_them_not_counted(november):
    stored = figures_as_json(november)
    for row in stored["grids"] + stored["members"] + stored["streets"]:
        del row["counts"]["events"]
    del stored["total"]["events"], stored["departments"]
    old = figures_from_json(stored)
    assert old.grids[0].counts.events is None and old.departments == []
    workbook = load_workbook(io.BytesIO(report_xlsx(old)))
    assert "职能部门" not in workbook.sheetnames
    summary = _rows(workbook["汇总"])
    at = summary[0].index("受理事件数")
    assert summary[1][at : at + 9] == ["—"] * 9
    assert _rows(workbook["各社区事件"])[1][3:] == ["—"] * 9
    assert report_pdf(old).startswith(b"%PDF")


def test_every_event_label_and_definition_is_translated():
    with translation.override("zh-hans"):
        for column in EVENT_COLUMNS:
            for text in (column.label, column.definition):
                assert str(text) and not any("a" <= ch <= "z" for ch in str(text)), str(text)
        assert "时区" in str(EVENTS_MONTH_DEFINITION)


def test_the_report_s_queries_do_not_grow_with_the_grids(db):
    def queries(grids: int) -> int:
        with time_machine.travel(LATER, tick=False), CaptureQueriesContext(connection) as seen:
            figures = month_figures(NOVEMBER)
        assert len(figures.grids) == grids and figures.total.events.received > 0
        return len(seen)

    build_event_city(grid_count=2, events=60)
    few = queries(3)
    # More grids are added in November's past (travelling back in time), which no real write
    # can do (history is dated when written): the November kept by the first run is forgotten.
    kept_counts_forget()
    with time_machine.travel(OCTOBER_20, tick=False):
        more = [factories.make_grid(code=f"MG{n}", street_code=f"MS{n % 3}") for n in range(8)]
    seed_events(
        seed=8,
        count=240,
        grids=more,
        departments=list(Department.objects.all()),
        category=EventCategory.objects.get(),
        reporter=factories.make_user("another reporter"),
    )
    # The event figures add nine queries to the report's, for 3 grids as for 11.
    assert queries(11) == few
