"""A clerk imports the .xls their office still saves: an instructions sheet first, a title row
above the header. The preview says which sheet and header row it read."""

from archives.models import Resident
from tests.archives.import_corpus import cells, resident_row, xls_file
from tests.browser.conftest import screenshot


def test_a_clerk_imports_an_old_xls_with_a_title_row_on_its_second_sheet(
    logged_in, console, two_grids, tmp_path
):
    household = two_grids["resident"].household
    row = resident_row(household, name="朴英子", phone="138-1234-5678")
    upload = tmp_path / "居民信息.xls"
    upload.write_bytes(xls_file([cells(row)], title_rows=1, instructions_first=True))
    page = logged_in(two_grids["clerk"])

    page.goto("/admin/archives/resident/import/")
    page.set_input_files("input[name=file]", str(upload))
    page.click("input[type=submit]")
    page.wait_for_selector(".import-source")
    assert page.inner_text(".import-source") == "表头读自工作表“居民”第 2 行。"
    print(screenshot(page, "import-xls-preview"))
    page.click("form[action$='confirm/'] input[type=submit]")
    # The confirmation runs as a job (here at once, as with JOBS_IN_REQUEST): its page says
    # what was imported and leads back to the list.
    page.wait_for_selector(".job-summary")
    assert "新增 1 人" in page.inner_text(".job-summary")
    print(screenshot(page, "import-xls-job-done"))
    page.click("a.job-link")
    page.wait_for_url("**/archives/resident/")
    stored = Resident.objects.get(id_number=row["id_number"])
    assert (stored.name, stored.phone) == ("朴英子", "13812345678")
    assert console.csp_violations() == []
