"""Scope per role: which events each person sees (``events_visible``), which wait for them
(``events_waiting_for``), who may report where, and that seeing an event opens no more of the
archive than a department's grants already do.

Decided from the issue's words ("departments only those transferred to them"): a department
keeps seeing an event once it was transferred to it, also after returning it or after it was
closed. It was transferred to them; their figures count what they returned and their staff must
be able to read why. A department never reached sees nothing of the event.
"""

import pytest
from django.core.exceptions import PermissionDenied

from archives import scope
from archives.models import Resident
from events.models import Event, EventStep
from events.selectors import event_actions, events_visible, events_waiting_for
from events.services import event_report
from tests import factories
from tests.events.test_chain_table import NOW, ROLES, STATES, build

Action = EventStep.Action
#: The steps that put an event on someone's list: to accept, to handle, to evaluate (and to
#: pass on, for whoever holds it). Explaining a delay and escalating are not waiting work.
CHAIN_WORK = {
    Action.ACCEPT,
    Action.PASS_UP,
    Action.TRANSFER,
    Action.RETURN,
    Action.HANDLE,
    Action.CONFIRM,
    Action.SEND_BACK,
}


@pytest.fixture
def events(city):
    """Every state of the chain in the city's grid, one event reported in a sibling grid of the
    same community, and one in the other street."""
    # The sibling grid first: scope caches a user's grids on the user object, as for a request.
    sibling = factories.make_grid(code="E1b", street_code="ES")
    built = {name: build(city, state) for name, state in STATES.items()}
    assert sibling.community == city.community
    colleague = factories.make_user("colleague", role="grid member")
    factories.grant(colleague, sibling)
    built["sibling-grid"] = event_report(
        actor=colleague, category=city.category, grid=sibling, description="井盖缺失"
    )
    built["other-street"] = city.report(grid=city.other_grid)
    return built


def names(events: dict[str, Event], queryset) -> set[str]:
    pks = set(queryset.values_list("pk", flat=True))
    return {name for name, event in events.items() if event.pk in pks}


def test_each_role_sees_the_events_the_issue_gives_it(city, events):
    home = {name for name in STATES}
    expected = {
        "member": home,  # their own grid, not the sibling grid
        "community_staff": home | {"sibling-grid"},
        "street_official": home | {"sibling-grid"},
        "housing_staff": {name for name, state in STATES.items() if state.transferred},
        "health_staff": set(),
        "inspector": {name for name, state in STATES.items() if state.escalated},
        "municipal": set(events),
        "other_member": {"other-street"},
        "other_community_staff": {"other-street"},
        "other_street_official": {"other-street"},
    }
    assert set(expected) == set(ROLES)
    for role, names_expected in expected.items():
        seen = names(events, events_visible(getattr(city, role)))
        assert seen == names_expected, role


def test_a_department_still_sees_what_it_returned_and_what_was_closed(city, events):
    seen = names(events, events_visible(city.housing_staff))
    assert {"red-street-returned", "green-department"} <= seen
    assert "red-street" not in seen  # passed up, never transferred


def test_an_inactive_account_sees_nothing(city, events):
    city.street_official.is_active = False
    city.street_official.save()
    assert not events_visible(city.street_official).exists()


def test_a_role_without_view_event_sees_nothing_despite_its_grant(city, events):
    auditor = factories.make_user("auditor", role="auditor")
    factories.grant(auditor, city.street)
    assert not events_visible(auditor).exists()


def test_waiting_for_is_exactly_the_events_with_a_step_for_them(city, events):
    for role in ROLES:
        user = getattr(city, role)
        waiting = names(events, events_waiting_for(user))
        with_work = {
            name
            for name, event in events.items()
            if CHAIN_WORK & set(event_actions(user, Event.objects.get(pk=event.pk), now=NOW))
        }
        assert waiting == with_work, role


def test_waiting_for_by_role(city, events):
    waiting = {role: names(events, events_waiting_for(getattr(city, role))) for role in ROLES}
    assert waiting["community_staff"] == {
        "red-community",
        "yellow-community",
        "blue-community",
        "blue-street",
        "blue-department",
        "red-community-escalated",
        "red-community-explained",
        "sibling-grid",
    }
    assert waiting["street_official"] == {"red-street", "yellow-street", "red-street-returned"}
    assert waiting["housing_staff"] == {
        "red-department",
        "yellow-department",
        "yellow-department-sent-back",
        "yellow-department-escalated",
    }
    for role in ["member", "health_staff", "inspector", "municipal", "other_member"]:
        assert waiting[role] == set(), role
    assert waiting["other_community_staff"] == {"other-street"}


def test_waiting_for_puts_the_nearest_limit_first(city, events):
    dues = list(events_waiting_for(city.community_staff).values_list("stage_due_at", flat=True))
    assert dues == sorted(dues)


def test_waiting_for_reads_a_fixed_number_of_queries(city, events, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        rows = list(events_waiting_for(city.community_staff))
        for event in rows:
            str(event.category), str(event.grid), event.department
    assert len(rows) == 8


@pytest.mark.parametrize(
    ("role", "grid", "may"),
    [
        ("member", "grid", True),
        ("member", "other_grid", False),
        ("community_staff", "grid", True),
        ("community_staff", "other_grid", False),
        ("street_official", "grid", False),  # streets accept and transfer; they do not report
        ("housing_staff", "grid", False),
        ("inspector", "grid", False),
        ("municipal", "grid", False),
        ("other_member", "grid", False),
    ],
)
def test_who_may_report_in_which_grid(city, role, grid, may):
    def report():
        return event_report(
            actor=getattr(city, role),
            category=city.category,
            grid=getattr(city, grid),
            description="死亡家畜",
        )

    if may:
        assert report().steps.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            report()
        assert not Event.objects.exists()


def test_a_department_sees_the_event_but_only_the_residents_its_grants_serve(city):
    served = factories.make_tag("disabled", "残疾人")
    city.housing.served_tags.add(served)
    household = factories.make_household(grid=city.grid)
    tagged = factories.make_resident(household=household, name="王芳")
    tagged.tags.add(served)
    untagged = factories.make_resident(household=household, name="王强", phone="13800002222")
    event = city.report(household=household)
    from events.services import event_pass_up, event_transfer

    event_pass_up(actor=city.community_staff, event=event, at=NOW)
    event_transfer(actor=city.street_official, event=event, department=city.housing, at=NOW)
    assert events_visible(city.housing_staff).filter(pk=event.pk).exists()
    residents = scope.restrict(Resident.objects.filter(household=household), city.housing_staff)
    assert set(residents) == {tagged}  # not the neighbour the event does not concern
    assert untagged not in residents
    assert "id_number" in scope.hidden_fields(city.housing_staff, tagged)
    # Health was never reached: neither the event nor the household's residents.
    assert not events_visible(city.health_staff).filter(pk=event.pk).exists()
    assert not scope.restrict(Resident.objects.filter(household=household), city.health_staff)
