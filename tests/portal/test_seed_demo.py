"""``manage.py seed_demo``: the demo city with its accounts in their roles, as ``make run``
builds it (the city itself: ``tests/archives/test_seed_demo.py``)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from archives.demo.city import DEMO_ACCOUNTS
from archives.models import Grid, Household, Resident, Street, Visit
from events.demo import EVENT_DEMO_ACCOUNTS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development_mode(settings):
    # seed_demo is a development tool; the test runner switches DEBUG off by default.
    settings.DEBUG = True


def test_running_the_command_twice_duplicates_nothing():
    args = ["--residents", "300", "--grids", "4", "--streets", "2"]
    call_command("seed_demo", *args, stdout=StringIO())
    counts = (Resident.objects.count(), Household.objects.count(), Visit.objects.count())
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    assert (Resident.objects.count(), Household.objects.count(), Visit.objects.count()) == counts
    assert "nothing was changed" in out.getvalue()


def test_the_command_prints_the_demo_logins_and_they_work(client):
    out = StringIO()
    call_command("seed_demo", "--residents", "200", "--grids", "3", "--streets", "1", stdout=out)
    events = [(username, about) for username, *_n, about in EVENT_DEMO_ACCOUNTS]
    for username, _about in DEMO_ACCOUNTS + events:
        assert username in out.getvalue()
        assert client.login(request=HttpRequest(), username=username, password="demo"), username
        assert client.get("/admin/").status_code == 200
        client.logout()


def test_the_clerk_sees_residents_of_their_grid_only(client):
    call_command(
        "seed_demo", "--residents", "300", "--grids", "3", "--streets", "1", stdout=StringIO()
    )
    client.login(request=HttpRequest(), username="clerk", password="demo")
    shown = client.get("/admin/archives/resident/").context["cl"].queryset
    clerk_grid = Grid.objects.get(members__username="clerk")
    assert shown.count() == Resident.objects.filter(household__building__grid=clerk_grid).count()
    assert shown.count() < Resident.objects.count()


def test_it_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", "--residents", "10", "--grids", "1", "--streets", "1")
    assert not Street.objects.exists()
    call_command(
        "seed_demo",
        "--residents",
        "10",
        "--grids",
        "1",
        "--streets",
        "1",
        "--force",
        stdout=StringIO(),
    )
    assert Resident.objects.count() == 10


def test_the_printed_address_is_the_one_the_dev_server_serves():
    """``make run`` passes RUN_ADDR, in any form runserver takes."""
    call_command(
        "seed_demo", "--residents", "10", "--grids", "1", "--streets", "1", stdout=StringIO()
    )
    for address, url in [
        ("127.0.0.1:8000", "http://127.0.0.1:8000/admin/"),
        ("8001", "http://127.0.0.1:8001/admin/"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080/admin/"),
        ("192.168.1.5:9000", "http://192.168.1.5:9000/admin/"),
        ("[::]:8002", "http://[::1]:8002/admin/"),
    ]:
        out = StringIO()
        call_command("seed_demo", "--if-empty", "--address", address, stdout=out)
        assert f"Demo logins at {url} " in out.getvalue(), address
