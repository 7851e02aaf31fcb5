"""Until a campaign's check is finished, the audited grids cannot tell which files were drawn:
their grid member and the street official see neither the campaign nor its items, on any audit
page; the auditors, audit staff and administrators work as before."""

import pytest

from audits import selectors, services
from portal.roles import STREET_OFFICIAL
from tests import factories
from tests.audits.conftest import make_campaign
from tests.audits.test_admin import CAMPAIGNS, ITEMS, check_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def street_official(audit_city):
    official = factories.make_user("street-official", role=STREET_OFFICIAL)
    factories.grant(official, audit_city.grids["G1"].community.street)
    return official


@pytest.fixture
def drawn(audit_city):
    return services.audit_campaign_draw(campaign=make_campaign(audit_city), actor=audit_city.lead)


def sampled_names(campaign) -> list[str]:
    return [item.pinned_record.name for item in campaign.items.select_related("pinned_record")]


def pages(campaign) -> list[str]:
    item = campaign.items.order_by("pk").first()
    return [
        "/admin/",
        ITEMS,
        f"{ITEMS}?campaign={campaign.pk}",
        f"{ITEMS}{item.pk}/change/",
        f"{ITEMS}{item.pk}/history/",
        CAMPAIGNS,
        f"{CAMPAIGNS}{campaign.pk}/change/",
        f"{CAMPAIGNS}{campaign.pk}/results/",
        f"/admin/archives/resident/{item.resident_id}/history/",
    ]


def shows_the_sample(client, campaign) -> list[str]:
    """The pages that give away a drawn file (by its name, or a link to its audit item)."""
    names = sampled_names(campaign)
    leaks = []
    for url in pages(campaign):
        content = client.get(url).content.decode()
        item_links = [f"{ITEMS}{pk}/" for pk in campaign.items.values_list("pk", flat=True)]
        if url.startswith("/admin/audits/"):
            if any(name in content for name in names) or any(k in content for k in item_links):
                leaks.append(url)
        # The dashboard and the file's history name residents anyway: what must not be there
        # is the audit.
        elif any(link in content for link in item_links) or campaign.name in content:
            leaks.append(url)
    return leaks


@pytest.mark.parametrize("who", ["clerk", "street official"])
def test_the_audited_grid_cannot_tell_which_files_were_drawn_until_the_check_ends(
    client, audit_city, drawn, street_official, who
):
    user = audit_city.clerk if who == "clerk" else street_official
    client.force_login(user)
    assert shows_the_sample(client, drawn) == []
    assert not selectors.items_visible_to(user).exists()
    assert not selectors.campaigns_visible_to(user).exists()

    client.force_login(audit_city.auditor)  # the check starts: still secret
    client.post(f"{ITEMS}{drawn.items.order_by('pk').first().pk}/change/", check_data(drawn))
    client.force_login(user)
    assert shows_the_sample(client, drawn) == []

    services.audit_campaign_close(
        campaign=drawn, actor=audit_city.lead, reason="the other households were away"
    )
    their_grids = ["G1"] if who == "clerk" else ["G1", "G2"]
    in_their_grids = drawn.items.filter(stratum__grid__code__in=their_grids)
    assert set(selectors.items_visible_to(user)) == set(in_their_grids)


def test_the_auditors_and_administrators_still_see_the_sample_and_audit_staff_the_campaign(
    client, audit_city, drawn, admin_user
):
    for user in (audit_city.auditor, admin_user):
        client.force_login(user)
        page = client.get(f"{ITEMS}?campaign={drawn.pk}").content.decode()
        assert all(name in page for name in sampled_names(drawn)), user
    client.force_login(audit_city.lead)  # who runs the campaign, in a street of their grants
    assert client.get(f"{CAMPAIGNS}{drawn.pk}/change/").status_code == 200
