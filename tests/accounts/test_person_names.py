"""People appear by name on pages and in files, not by their login."""

import datetime as dt

from django.utils import timezone

from accounts.names import person_name
from archives.models import Household, Visit
from tests import factories


def test_a_chinese_name_reads_family_name_first_and_a_person_without_one_by_login(db):
    split = factories.make_user("lxt")
    split.first_name, split.last_name = "晓彤", "刘"
    whole = factories.make_user("gm-g0001-1")
    whole.first_name = "金美兰"
    english = factories.make_user("jsmith")
    english.first_name, english.last_name = "Jane", "Smith"
    nameless = factories.make_user("clerk")
    assert [person_name(u) for u in (split, whole, english, nameless)] == [
        "刘晓彤",
        "金美兰",
        "Jane Smith",
        "clerk",
    ]


def test_the_visit_list_shows_the_grid_members_name(client, two_grids):
    clerk = two_grids["clerk"]
    clerk.first_name = "刘晓彤"
    clerk.save()
    household = Household.objects.get(residents=two_grids["resident"])
    Visit.objects.create(  # history: a test fixture row
        grid_member=clerk,
        household=household,
        visited_at=timezone.make_aware(dt.datetime(2026, 11, 3, 10, 0)),
    )
    client.force_login(clerk)
    page = client.get("/admin/archives/visit/").content.decode()
    assert "刘晓彤" in page and "clerk-g1" not in page.split('id="result_list"')[1]
