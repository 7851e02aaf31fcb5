"""A masked user who types a lookup into the address bar gets a clear refusal, in the
portal's own page, and the resident list no longer offers sorting by birth date."""

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def test_an_official_typing_an_id_number_lookup_is_refused_with_a_reason(page, console, city):
    resident = city.residents["GA1a"]
    log_in(page, "official")
    page.wait_for_url("**/admin/")
    response = page.goto(f"/admin/archives/resident/?id_number={resident.id_number}")
    assert response.status == 400
    assert "不能按“id_number”筛选" in page.inner_text(".errornote")
    assert resident.name not in page.content()
    screenshot(page, "lookup-refused")
    page.click("text=返回列表")
    page.wait_for_url("**/admin/archives/resident/")
    assert page.locator("th.sortable.column-birth_date_shown").count() == 0
    assert console.csp_violations() == []
