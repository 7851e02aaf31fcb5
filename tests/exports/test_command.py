import pytest
import time_machine
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from exports.models import MonthlyReport, ReportDownload
from tests.exports.month_city import build_month_city
from tests.exports.test_selectors import DECEMBER


@pytest.fixture(autouse=True)
def _october_city(db):
    build_month_city()
    with time_machine.travel(DECEMBER, tick=False):
        yield


def test_it_writes_both_files_for_a_street(tmp_path, capsys):
    call_command("monthly_report", month="2026-10", street="S1", out=str(tmp_path))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "monthly-report-2026-10-S1-draft.pdf",
        "monthly-report-2026-10-S1-draft.xlsx",
    ]
    rows = list(load_workbook(tmp_path / names[1])["汇总"].iter_rows(values_only=True))
    assert [row[2] for row in rows[1:3]] == ["G1", "G2"]
    assert ReportDownload.objects.count() == 2
    assert "draft.pdf" in capsys.readouterr().out  # no progress bar off a terminal


def test_it_publishes_then_writes_the_published_file(tmp_path):
    call_command("monthly_report", month="2026-10", format="pdf", out=str(tmp_path), publish=True)
    report = MonthlyReport.objects.get()
    assert (report.street, report.version, report.published_by.username) == (None, 1, "system")
    written = (tmp_path / "monthly-report-2026-10-city-v1.pdf").read_bytes()
    assert written == report.pdf.read()
    with pytest.raises(CommandError, match="已发布"):
        call_command("monthly_report", month="2026-10", out=str(tmp_path), publish=True)


def test_it_refuses_a_bad_month_format_or_street(tmp_path):
    with pytest.raises(CommandError):
        call_command("monthly_report", month="October", out=str(tmp_path))
    with pytest.raises(CommandError):
        call_command("monthly_report", month="2026-10", format="docx", out=str(tmp_path))
    with pytest.raises(CommandError):
        call_command("monthly_report", month="2026-10", street="NOPE", out=str(tmp_path))
