"""The household page is where a clerk works: its residents (masked as everywhere), its visits,
buttons to log a visit or add a resident here, to verify, and its printable register (HTML
print view and PDF); full values shown on any of them are logged."""

import shutil
import subprocess

import pytest

from archives.models import Resident, SensitiveAccess
from tests import factories

HOUSEHOLDS = "/admin/archives/household/"
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed"
)


def page_of(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_a_clerk_sees_the_residents_visits_and_buttons_of_a_household(client, city):
    resident = city.residents["GA1a"]
    household = resident.household
    page = page_of(client, city.users["clerk"], f"{HOUSEHOLDS}{household.pk}/change/")
    assert resident.name in page and resident.id_number in page  # in scope: in full
    assert "独居老人" in page and "走访GA1a" in page
    assert f'href="/admin/archives/visit/add/?household={household.pk}"' in page
    assert f'href="/admin/archives/resident/add/?household={household.pk}"' in page
    assert f'href="{HOUSEHOLDS}{household.pk}/register/"' in page
    assert f'href="{HOUSEHOLDS}{household.pk}/register.pdf"' in page
    assert f'action="{HOUSEHOLDS}{household.pk}/verify/"' in page
    logged = SensitiveAccess.objects.get(user=city.users["clerk"])
    assert (logged.resident_id, logged.view) == (resident.pk, "household")
    assert logged.fields == "id_number"


def test_a_department_sees_only_the_residents_it_serves_masked_and_no_visits(client, city):
    served = city.residents["GA2a"]
    other = factories.make_resident(household=served.household, name="邻居甲")
    page = page_of(client, city.users["department"], f"{HOUSEHOLDS}{served.household_id}/change/")
    assert served.name in page and other.name not in page
    assert served.id_number not in page and served.id_number[-4:] in page
    assert "走访GA2a" not in page
    assert "/verify/" not in page and "/visit/add/" not in page and "/resident/add/" not in page
    assert not SensitiveAccess.objects.exists()


def test_the_print_view_is_masked_like_the_page_and_logged_when_full(client, city):
    resident = city.residents["GA1a"]
    url = f"{HOUSEHOLDS}{resident.household_id}/register/"
    official_page = page_of(client, city.users["official"], url)
    assert resident.name in official_page and resident.id_number not in official_page
    assert "print.js" in official_page and "打印" in official_page
    assert not SensitiveAccess.objects.exists()
    clerk_page = page_of(client, city.users["clerk"], url)
    assert resident.id_number in clerk_page
    assert SensitiveAccess.objects.get(user=city.users["clerk"]).view == "register"


@needs_poppler
def test_the_pdf_register_is_masked_like_the_page_and_logged_when_full(client, city, tmp_path):
    resident = city.residents["GA1a"]
    url = f"{HOUSEHOLDS}{resident.household_id}/register.pdf"

    def pdf_text(user) -> str:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        path = tmp_path / f"{user.username}.pdf"
        path.write_bytes(response.content)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout

    official = pdf_text(city.users["official"])
    assert "住户登记表" in official and resident.name in official
    assert resident.id_number not in official and "222405********" in official
    assert not SensitiveAccess.objects.exists()
    clerk = pdf_text(city.users["clerk"])
    assert resident.id_number in clerk and "走访GA1a" in clerk and "打印人：clerk" in clerk
    assert SensitiveAccess.objects.get(user=city.users["clerk"]).view == "register"


def test_a_household_outside_ones_scope_has_no_page_print_or_pdf(client, city):
    household = city.residents["GB1a"].household
    client.force_login(city.users["clerk"])
    for suffix in ("change/", "register/", "register.pdf"):
        assert client.get(f"{HOUSEHOLDS}{household.pk}/{suffix}").status_code in (302, 404)
    assert client.post(f"{HOUSEHOLDS}{household.pk}/verify/", {"resident": "1"}).status_code == 404


def test_the_ticked_residents_are_verified_from_the_household_page(client, city):
    resident = city.residents["GA1a"]
    second = factories.make_resident(household=resident.household, name="金成哲")
    client.force_login(city.users["clerk"])
    response = client.post(
        f"{HOUSEHOLDS}{resident.household_id}/verify/", {"resident": [second.pk]}, follow=True
    )
    assert "金成哲 的档案已标记为已核实" in response.content.decode()
    assert list(Resident.objects.filter(last_verified_at__isnull=False)) == [second]


def test_log_a_visit_and_add_a_resident_open_with_the_household_chosen(client, city):
    household = city.residents["GA1a"].household
    client.force_login(city.users["clerk"])
    for url in ("/admin/archives/visit/add/", "/admin/archives/resident/add/"):
        page = client.get(f"{url}?household={household.pk}").content.decode()
        assert f'<option value="{household.pk}" selected>{household}</option>' in page, url


def test_a_square_on_the_plan_opens_the_household_page(client, city):
    household = city.residents["GA1a"].household
    plan = f"/admin/archives/building/{household.building_id}/plan/"
    page = page_of(client, city.users["clerk"], plan)
    assert f'href="{HOUSEHOLDS}{household.pk}/change/"' in page
