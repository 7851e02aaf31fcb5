"""Who sees which patrol rounds: one's own; the area's for those who oversee it; and no one
else (departments and auditors see none)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from patrols.models import Patrol
from patrols.selectors import patrols_visible
from tests import factories
from tests.patrols.conftest import MORNING

#: (member, grid) of the rounds walked in the scoped city (tests/scoped_city.py): the clerk is a
#: member of three grids though granted one; a colleague walks the clerk's grid GA1a too.
ROUNDS = [
    ("clerk", "GA1a"),
    ("clerk", "GA2a"),
    ("clerk", "GB1a"),
    ("team", "GA1b"),
    ("colleague", "GA1a"),
]
EXPECTED = {
    # A grid grant is one's own grid: colleagues do not watch each other.
    "clerk": {("clerk", "GA1a"), ("clerk", "GA2a"), ("clerk", "GB1a")},
    "team": {("team", "GA1b")},
    "colleague": {("colleague", "GA1a")},
    "community": {("clerk", "GA1a"), ("team", "GA1b"), ("colleague", "GA1a")},
    "street": {("clerk", "GA1a"), ("clerk", "GA2a"), ("team", "GA1b"), ("colleague", "GA1a")},
    "official": set(ROUNDS),
    "department": set(),
    "auditor": set(),
    "nobody": set(),
}


@pytest.fixture
def rounds(city):
    colleague = factories.make_user("colleague", role="grid member")
    city.users["colleague"] = colleague
    city.grids["GA1a"].members.add(colleague)
    factories.grant(colleague, city.grids["GA1a"])
    for username, code in ROUNDS:
        Patrol.objects.create(
            member=city.users[username],
            grid=city.grids[code],
            started_at=MORNING,
            state=Patrol.State.ENDED,
            ended_at=MORNING,
        )
    return city


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_each_role_sees_the_rounds_of_its_own_and_its_area(rounds, username):
    seen = patrols_visible(rounds.users[username]).values_list("member__username", "grid__code")
    assert set(seen) == EXPECTED[username]


def test_an_administrator_sees_every_round(rounds):
    root = factories.make_user("root", superuser=True)
    assert patrols_visible(root).count() == len(ROUNDS)


def test_an_inactive_or_anonymous_user_sees_none(rounds):
    street = rounds.users["street"]
    street.is_active = False
    street.save()
    assert not patrols_visible(street).exists()
    assert not patrols_visible(AnonymousUser()).exists()
