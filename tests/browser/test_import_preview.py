"""A clerk imports a corrected export in the browser: the preview says what was read and what
changes, and the import waits for the ticks its warnings ask for."""

from django.test import Client

from archives.models import Building, Resident
from tests.archives.test_export import export
from tests.archives.test_import_changes_only import Office, edit, workbook
from tests.browser.conftest import screenshot


def test_a_clerk_reads_the_changes_ticks_the_warnings_and_imports(logged_in, console, tmp_path):
    office = Office()
    exporter = Client()
    exporter.force_login(office.clerk)
    rows = export(exporter, "resident", "xlsx")
    registered = Resident.objects.filter(residency_status="registered").order_by("pk")
    deceased = Resident.objects.filter(residency_status="deceased").first()
    edit(rows, registered[0].id_number, "phone", "13612345678")
    edit(rows, deceased.id_number, "residency_status", "户籍")
    edit(rows, registered[1].id_number, "building", "龙门路5号")
    upload = tmp_path / "居民.xlsx"
    upload.write_bytes(workbook(rows, drop={"tags", "ethnicity"}, extra={"备注": "已核实"}))

    page = logged_in(office.clerk)
    page.goto("/admin/archives/resident/import/")
    page.set_input_files("input[type=file]", str(upload))
    page.click("input[type=submit]")
    page.wait_for_selector("table.import-changes")
    screenshot(page, "import-preview-with-warnings")
    text = page.inner_text("#content-main")
    assert "已忽略的表头（这些列不导入）： 备注" in text
    assert "将新建楼栋：" in text and "相近的已有： 龙门路4号" in text
    assert "联系电话" in text and "13612345678" in text
    assert "死亡 → 户籍" in text

    page.click("input.default")  # no ticks yet
    page.wait_for_selector("p.errornote")
    assert "没有导入任何数据" in page.inner_text("#content-main")
    screenshot(page, "import-refused-without-ticks")
    deceased.refresh_from_db()
    assert deceased.residency_status == "deceased"

    for box in page.query_selector_all("input[name=acknowledge]"):
        box.check()
    page.click("input.default")
    # The import runs as a job (here at once): its page says what was imported.
    page.wait_for_selector(".job-summary")
    screenshot(page, "import-done")
    assert page.inner_text(".job-summary").startswith("已导入 居民.xlsx：")
    page.click("a.job-link")
    page.wait_for_url("**/admin/archives/resident/")
    deceased.refresh_from_db()
    assert deceased.residency_status == "registered"
    assert Building.objects.filter(address="龙门路5号").exists()
    assert console == []
