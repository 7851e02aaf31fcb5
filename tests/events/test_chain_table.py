"""Every state of an event × every step × every person of the small city: the rule the page asks
(``event_action_refusal``, ``event_actions``) and the service agree with each other and with the
issue's words, written out below as a plain table. An allowed step moves the event as the issue
says and records who, when and why (an ``EventStep`` and a history row); a refused one raises
with the rule's message and leaves the database exactly as it was. Someone who cannot see the
event is refused as forbidden with one message, whatever the event's state."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.test import override_settings

from events.models import Event, EventPhoto, EventStep, Level, Light
from events.selectors import event_action_refusal, event_actions
from events.services import (
    event_accept,
    event_confirm,
    event_delay_explain,
    event_escalate,
    event_handle,
    event_pass_up,
    event_return,
    event_send_back,
    event_transfer,
)
from tests.events.conftest import TUESDAY_9AM

Action = EventStep.Action
#: Every step one can take on an event that exists (reporting makes one).
ACTIONS = [action for action in Action if action != Action.REPORT]
ROLES = [
    "member",
    "community_staff",
    "street_official",
    "housing_staff",
    "health_staff",
    "inspector",
    "municipal",
    "other_member",
    "other_community_staff",
    "other_street_official",
]
#: When the table's steps are tried: every stage's limit has long passed.
NOW = TUESDAY_9AM + dt.timedelta(days=30)
TEXT = {action: f"{action} 的理由" for action in ACTIONS}


def minutes(n: int) -> dt.datetime:
    return TUESDAY_9AM + dt.timedelta(minutes=n)


# How to reach each state, step by step (who, which service, keyword arguments) ---------------

Walk = list[tuple[str, Callable[..., Event], dict[str, object]]]

PASS_UP: Walk = [("community_staff", event_pass_up, {"note": "社区无法处理"})]
TO_HOUSING: Walk = [*PASS_UP, ("street_official", event_transfer, {"department": "housing"})]
HOUSING_HANDLED: Walk = [
    *TO_HOUSING,
    ("housing_staff", event_accept, {}),
    ("housing_staff", event_handle, {"note": "已清运"}),
]
COMMUNITY_HANDLED: Walk = [
    ("community_staff", event_accept, {}),
    ("community_staff", event_handle, {"note": "已清理"}),
]


@dataclass(frozen=True)
class State:
    walk: Walk
    light: str
    level: str
    department: str | None = None
    #: Ever transferred to the housing department (whose staff then see it).
    transferred: bool = False
    escalated: bool = False
    explained: bool = False
    #: ``EVENT_COMMUNITY_MAY_TRANSFER`` on (a community transfers to a department itself).
    community_transfers: bool = False
    #: Where a department's return sends it: to whoever transferred it.
    transferred_by: str = Level.STREET


STATES = {
    "red-community": State([], Light.RED, Level.COMMUNITY),
    "yellow-community": State(
        [("community_staff", event_accept, {})], Light.YELLOW, Level.COMMUNITY
    ),
    "blue-community": State(COMMUNITY_HANDLED, Light.BLUE, Level.COMMUNITY),
    "green-community": State(
        [*COMMUNITY_HANDLED, ("community_staff", event_confirm, {})], Light.GREEN, Level.COMMUNITY
    ),
    "red-street": State(PASS_UP, Light.RED, Level.STREET),
    "yellow-street": State(
        [*PASS_UP, ("street_official", event_accept, {})], Light.YELLOW, Level.STREET
    ),
    "blue-street": State(
        [
            *PASS_UP,
            ("street_official", event_accept, {}),
            ("street_official", event_handle, {"note": "街道已处理"}),
        ],
        Light.BLUE,
        Level.STREET,
    ),
    "red-department": State(TO_HOUSING, Light.RED, Level.DEPARTMENT, "housing", transferred=True),
    "yellow-department": State(
        [*TO_HOUSING, ("housing_staff", event_accept, {})],
        Light.YELLOW,
        Level.DEPARTMENT,
        "housing",
        transferred=True,
    ),
    "blue-department": State(
        HOUSING_HANDLED, Light.BLUE, Level.DEPARTMENT, "housing", transferred=True
    ),
    "yellow-department-sent-back": State(
        [*HOUSING_HANDLED, ("community_staff", event_send_back, {"reason": "垃圾仍在"})],
        Light.YELLOW,
        Level.DEPARTMENT,
        "housing",
        transferred=True,
    ),
    "green-department": State(
        [*HOUSING_HANDLED, ("community_staff", event_confirm, {})],
        Light.GREEN,
        Level.DEPARTMENT,
        "housing",
        transferred=True,
    ),
    "red-street-returned": State(
        [*TO_HOUSING, ("housing_staff", event_return, {"reason": "不属于本局职责"})],
        Light.RED,
        Level.STREET,
        transferred=True,
    ),
    "red-community-escalated": State(
        [("street_official", event_escalate, {"reason": "超时未受理"})],
        Light.RED,
        Level.COMMUNITY,
        escalated=True,
    ),
    "yellow-department-escalated": State(
        [*TO_HOUSING, ("housing_staff", event_accept, {}), ("municipal", event_escalate, {})],
        Light.YELLOW,
        Level.DEPARTMENT,
        "housing",
        transferred=True,
        escalated=True,
    ),
    "red-community-explained": State(
        [("community_staff", event_delay_explain, {"reason": "等待物业"})],
        Light.RED,
        Level.COMMUNITY,
        explained=True,
    ),
}


def build(city, state: State) -> Event:
    with override_settings(EVENT_COMMUNITY_MAY_TRANSFER=state.community_transfers):
        return _build(city, state)


def _build(city, state: State) -> Event:
    event = city.report()
    for n, (who, service, arguments) in enumerate(state.walk, start=1):
        arguments = dict(arguments)
        if arguments.get("department") == "housing":
            arguments["department"] = city.housing
        if service is event_escalate:
            arguments.setdefault("reason", "超时")
            at = minutes(60 * 24 * 5 + n)  # past the stage's limit
        else:
            at = minutes(n)
        service(actor=getattr(city, who), event=event, at=at, **arguments)
    event.refresh_from_db()
    assert (event.light, event.level) == (state.light, state.level)
    assert (event.department.code if event.department else None) == state.department
    return event


# The issue's words as a table --------------------------------------------------------------


def sees(role: str, state: State) -> bool:
    """Grid member, community and street see their area's events, the city all; a department
    those transferred to it (still after returning them); the inspection office those escalated."""
    return (
        role in {"member", "community_staff", "street_official", "municipal"}
        or (role == "housing_staff" and state.transferred)
        or (role == "inspector" and state.escalated)
    )


def allowed(role: str, state: State, action: str) -> bool:
    if state.light == Light.GREEN:
        return False
    holder = {
        Level.COMMUNITY: "community_staff",
        Level.STREET: "street_official",
        Level.DEPARTMENT: "housing_staff",
    }[state.level]
    red, yellow, blue = (state.light == light for light in (Light.RED, Light.YELLOW, Light.BLUE))
    rules = {
        Action.ACCEPT: red and role == holder,
        Action.PASS_UP: red and state.level == Level.COMMUNITY and role == "community_staff",
        # By the street (a community only where the setting allows: off here).
        Action.TRANSFER: (red or yellow)
        and (
            (state.level == Level.STREET and role == "street_official")
            or (
                state.community_transfers
                and state.level == Level.COMMUNITY
                and role == "community_staff"
            )
        ),
        Action.RETURN: red and state.level == Level.DEPARTMENT and role == "housing_staff",
        Action.HANDLE: yellow and role == holder,
        Action.CONFIRM: blue and role == "community_staff",
        Action.SEND_BACK: blue and role == "community_staff",
        Action.EXPLAIN_DELAY: role == ("community_staff" if blue else holder),
        # Left undone (red or yellow), overdue (at NOW every limit has passed), not yet
        # escalated, no reason recorded; by the street of the area or the city.
        Action.ESCALATE: role in {"street_official", "municipal"}
        and (red or yellow)
        and not state.escalated
        and not state.explained,
    }
    return rules[action]


def expected_after(state: State, action: str) -> tuple[str, str, str | None]:
    """Light, holder and department after an allowed ``action``."""
    same = (state.light, state.level, state.department)
    return {
        Action.ACCEPT: (Light.YELLOW, state.level, state.department),
        Action.PASS_UP: (Light.RED, Level.STREET, None),
        Action.TRANSFER: (Light.RED, Level.DEPARTMENT, "housing"),
        Action.RETURN: (Light.RED, state.transferred_by, None),
        Action.HANDLE: (Light.BLUE, state.level, state.department),
        Action.CONFIRM: (Light.GREEN, state.level, state.department),
        Action.SEND_BACK: (Light.YELLOW, state.level, state.department),
        Action.EXPLAIN_DELAY: same,
        Action.ESCALATE: same,
    }[action]


# Running it ----------------------------------------------------------------------------------


def call(city, action: str, actor, event: Event) -> Event:
    services: dict[str, Callable[..., Event]] = {
        Action.ACCEPT: event_accept,
        Action.PASS_UP: event_pass_up,
        Action.TRANSFER: event_transfer,
        Action.RETURN: event_return,
        Action.HANDLE: event_handle,
        Action.CONFIRM: event_confirm,
        Action.SEND_BACK: event_send_back,
        Action.EXPLAIN_DELAY: event_delay_explain,
        Action.ESCALATE: event_escalate,
    }
    arguments: dict[str, object] = {"actor": actor, "event": event, "at": NOW}
    if action in {Action.RETURN, Action.SEND_BACK, Action.EXPLAIN_DELAY, Action.ESCALATE}:
        arguments["reason"] = TEXT[action]
    elif action != Action.ACCEPT:
        arguments["note"] = TEXT[action]
    if action == Action.TRANSFER:
        arguments["department"] = city.housing
    return services[action](**arguments)


def snapshot() -> tuple[list[dict], ...]:
    """Everything a step could change: events, steps, the events' history, photos."""
    return (
        list(Event.objects.order_by("pk").values()),
        list(EventStep.objects.order_by("pk").values()),
        list(Event.history.order_by("history_id").values()),
        list(EventPhoto.objects.order_by("pk").values()),
    )


class _Undo(Exception):
    pass


def check_allowed(city, state: State, role: str, action: str, event: Event) -> None:
    actor = getattr(city, role)
    before = Event.objects.get(pk=event.pk)
    steps_before = EventStep.objects.filter(event=event).count()
    history_before = event.history.count()
    call(city, action, actor, Event.objects.get(pk=event.pk))
    after = Event.objects.select_related("department").get(pk=event.pk)
    department = after.department.code if after.department else None
    assert (after.light, after.level, department) == expected_after(state, action)
    assert after.version == before.version + 1
    assert after.returns == before.returns + (action == Action.RETURN)
    assert after.send_backs == before.send_backs + (action == Action.SEND_BACK)
    if action == Action.HANDLE:
        assert after.handled_at == NOW
    if action == Action.CONFIRM:
        assert after.closed_at == NOW
    if action == Action.SEND_BACK:
        assert after.handled_at is None
    if action == Action.ESCALATE:
        assert after.escalated_at == NOW
    if action == Action.EXPLAIN_DELAY:
        assert after.delay_reason == TEXT[action]
    elif after.light != before.light or after.level != before.level:
        # A new stage: its limit starts now, and a reason for the old one's delay is cleared.
        assert after.stage_started_at == NOW and after.delay_reason == ""
    # The step, with who, when and why.
    assert EventStep.objects.filter(event=event).count() == steps_before + 1
    step = EventStep.objects.filter(event=event).latest("id")
    assert (step.action, step.actor, step.at) == (action, actor, NOW)
    assert step.note == ("" if action == Action.ACCEPT else TEXT[action])
    assert (step.light, step.level) == (after.light, after.level)
    if action == Action.RETURN:
        assert step.department == city.housing
    # The event's history, with who and why.
    assert event.history.count() == history_before + 1
    entry = event.history.latest("history_id")
    assert entry.history_user == actor
    assert str(Action(action).label) in entry.history_change_reason
    if action != Action.ACCEPT:
        assert TEXT[action] in entry.history_change_reason


def check_refused(city, state: State, role: str, action: str, event: Event, refusal) -> None:
    actor = getattr(city, role)
    before = snapshot()
    expected = PermissionDenied if refusal.forbidden else ValidationError
    with pytest.raises((PermissionDenied, ValidationError)) as raised:
        call(city, action, actor, Event.objects.get(pk=event.pk))
    assert raised.type is expected, (raised.value, refusal)
    assert refusal.message in str(raised.value)
    assert snapshot() == before


@pytest.mark.parametrize("name", list(STATES))
def test_every_step_for_every_person_in_every_state(city, name):
    run_table(city, STATES[name])


#: Where a setting lets communities transfer to a department themselves.
COMMUNITY_TRANSFER_STATES = {
    "red-community": State([], Light.RED, Level.COMMUNITY, community_transfers=True),
    "yellow-community": State(
        [("community_staff", event_accept, {})],
        Light.YELLOW,
        Level.COMMUNITY,
        community_transfers=True,
    ),
    "red-department-from-community": State(
        [("community_staff", event_transfer, {"department": "housing"})],
        Light.RED,
        Level.DEPARTMENT,
        "housing",
        transferred=True,
        community_transfers=True,
        transferred_by=Level.COMMUNITY,
    ),
    "red-community-returned": State(
        [
            ("community_staff", event_transfer, {"department": "housing"}),
            ("housing_staff", event_return, {"reason": "请补充位置"}),
        ],
        Light.RED,
        Level.COMMUNITY,
        transferred=True,
        community_transfers=True,
    ),
}


@pytest.mark.parametrize("name", list(COMMUNITY_TRANSFER_STATES))
def test_every_step_where_communities_may_transfer(city, name, settings):
    settings.EVENT_COMMUNITY_MAY_TRANSFER = True
    run_table(city, COMMUNITY_TRANSFER_STATES[name])


def run_table(city, state: State) -> None:
    event = build(city, state)
    outsider_messages = set()
    mismatches = []
    for role in ROLES:
        actor = getattr(city, role)
        offered = event_actions(actor, Event.objects.get(pk=event.pk), now=NOW)
        expected_offer = [action for action in ACTIONS if allowed(role, state, action)]
        if sorted(offered) != sorted(expected_offer):
            mismatches.append((role, "offered", offered, expected_offer))
        for action in ACTIONS:
            refusal = event_action_refusal(
                actor,
                Event.objects.get(pk=event.pk),
                action,
                department=city.housing if action == Action.TRANSFER else None,
                now=NOW,
            )
            if (refusal is None) != allowed(role, state, action):
                mismatches.append((role, action, refusal))
                continue
            if not sees(role, state):
                assert refusal is not None and refusal.forbidden, (role, action)
                outsider_messages.add(refusal.message)
            if refusal is None:
                try:
                    with transaction.atomic():
                        check_allowed(city, state, role, action, event)
                        raise _Undo
                except _Undo:
                    pass
            else:
                check_refused(city, state, role, action, event, refusal)
    assert not mismatches
    # One message for whoever cannot see the event, naming neither its light nor its holder.
    assert len(outsider_messages) <= 1
    for message in outsider_messages:
        for light in Light:
            assert str(light.label) not in message
        assert "closed" not in message and "关闭" not in message


def test_the_table_covers_every_light_and_holder():
    seen = {(state.light, state.level) for state in STATES.values()}
    assert {light for light, _level in seen} == set(Light)
    assert {level for _light, level in seen} == set(Level)


# Text: empty reasons, notes past their limit --------------------------------------------------

#: For each step: a state where someone may take it, and who.
WHERE_ALLOWED = {
    Action.ACCEPT: ("red-community", "community_staff"),
    Action.PASS_UP: ("red-community", "community_staff"),
    Action.TRANSFER: ("red-street", "street_official"),
    Action.RETURN: ("red-department", "housing_staff"),
    Action.HANDLE: ("yellow-community", "community_staff"),
    Action.CONFIRM: ("blue-department", "community_staff"),
    Action.SEND_BACK: ("blue-department", "community_staff"),
    Action.EXPLAIN_DELAY: ("yellow-department", "housing_staff"),
    Action.ESCALATE: ("yellow-street", "municipal"),
}
NEEDING_TEXT = [
    Action.RETURN,
    Action.HANDLE,
    Action.SEND_BACK,
    Action.EXPLAIN_DELAY,
    Action.ESCALATE,
]
WITH_TEXT = [action for action in ACTIONS if action != Action.ACCEPT]


def test_where_allowed_is_allowed_by_the_table():
    for action, (name, role) in WHERE_ALLOWED.items():
        assert allowed(role, STATES[name], action), action


def call_with_text(city, action: str, actor, event: Event, text: str) -> Event:
    field = "reason" if action in NEEDING_TEXT and action != Action.HANDLE else "note"
    arguments: dict[str, object] = {"actor": actor, "event": event, "at": NOW, field: text}
    if action == Action.TRANSFER:
        arguments["department"] = city.housing
    service = {
        Action.PASS_UP: event_pass_up,
        Action.TRANSFER: event_transfer,
        Action.RETURN: event_return,
        Action.HANDLE: event_handle,
        Action.CONFIRM: event_confirm,
        Action.SEND_BACK: event_send_back,
        Action.EXPLAIN_DELAY: event_delay_explain,
        Action.ESCALATE: event_escalate,
    }[action]
    return service(**arguments)


@pytest.mark.parametrize("text", ["", "  \n\t "], ids=["empty", "blank"])
@pytest.mark.parametrize("action", NEEDING_TEXT)
def test_a_step_needing_a_reason_is_refused_without_one_and_changes_nothing(city, action, text):
    name, role = WHERE_ALLOWED[action]
    event = build(city, STATES[name])
    before = snapshot()
    with pytest.raises(ValidationError, match=r"Write|写|填写|说明|原因"):
        call_with_text(city, action, getattr(city, role), event, text)
    assert snapshot() == before


def _limit(action: str) -> int:
    field = Event._meta.get_field("delay_reason") if action == Action.EXPLAIN_DELAY else None
    return (field or EventStep._meta.get_field("note")).max_length


@pytest.mark.parametrize("action", WITH_TEXT)
def test_a_note_past_its_limit_is_refused_and_changes_nothing(city, action):
    name, role = WHERE_ALLOWED[action]
    event = build(city, STATES[name])
    before = snapshot()
    with pytest.raises(ValidationError, match=str(_limit(action))):
        call_with_text(city, action, getattr(city, role), event, "长" * (_limit(action) + 1))
    assert snapshot() == before


@pytest.mark.parametrize("action", WITH_TEXT)
def test_a_note_at_its_limit_is_kept_whole(city, action):
    name, role = WHERE_ALLOWED[action]
    event = build(city, STATES[name])
    text = "长" * _limit(action)
    call_with_text(city, action, getattr(city, role), event, f"  {text}\n")
    assert EventStep.objects.filter(event=event).latest("id").note == text


@pytest.mark.parametrize("action", NEEDING_TEXT)
def test_an_outsider_without_a_reason_is_refused_as_forbidden_not_asked_for_one(city, action):
    name, _role = WHERE_ALLOWED[action]
    event = build(city, STATES[name])
    before = snapshot()
    with pytest.raises(PermissionDenied):
        call_with_text(city, action, city.other_street_official, event, "")
    assert snapshot() == before


def test_a_closed_event_without_a_reason_is_refused_as_closed(city):
    event = build(city, STATES["green-community"])
    before = snapshot()
    with pytest.raises(ValidationError) as raised:
        event_send_back(actor=city.community_staff, event=event, reason="", at=NOW)
    refusal = event_action_refusal(city.community_staff, event, Action.SEND_BACK, now=NOW)
    assert refusal is not None and refusal.message in str(raised.value)
    assert snapshot() == before


@pytest.mark.parametrize("department", ["health", "inspection"])
def test_a_transfer_to_a_department_not_in_charge_of_the_category_changes_nothing(city, department):
    event = build(city, STATES["yellow-street"])
    target = getattr(city, department)
    before = snapshot()
    with pytest.raises(ValidationError, match=target.name):
        event_transfer(actor=city.street_official, event=event, department=target, at=NOW)
    assert snapshot() == before
    refusal = event_action_refusal(
        city.street_official, event, Action.TRANSFER, department=target, now=NOW
    )
    assert refusal is not None and not refusal.forbidden


# Reporting: what a phone sends --------------------------------------------------------------


def test_a_phones_position_is_kept_to_six_decimals(city):
    event = city.report(latitude=43.82512345678, longitude=129.50312345678)
    event.refresh_from_db()
    assert (str(event.latitude), str(event.longitude)) == ("43.825123", "129.503123")


@pytest.mark.parametrize(
    "fields",
    [
        {"latitude": 91.0, "longitude": 129.5},
        {"latitude": 43.8, "longitude": -181.0},
        {"latitude": float("nan"), "longitude": 129.5},
        {"latitude": float("inf"), "longitude": 129.5},
        {"latitude": 1e300, "longitude": 129.5},
        {"latitude": 43.8},
        {"description": "   "},
        {"description": "长" * 2001},
        {"urgency": "whenever"},
    ],
    ids=[
        "latitude-91",
        "longitude-181",
        "nan",
        "infinity",
        "huge",
        "half-a-position",
        "blank-description",
        "long-description",
        "unknown-urgency",
    ],
)
def test_a_report_with_bad_input_is_refused_and_saves_nothing(city, fields):
    with pytest.raises(ValidationError):
        city.report(**fields)
    assert not Event.objects.exists() and not EventStep.objects.exists()
    assert not Event.history.exists()


def test_a_report_of_a_building_in_another_grid_or_an_unused_category_is_refused(city):
    from tests import factories

    with pytest.raises(ValidationError):
        city.report(building=factories.make_building(grid=city.other_grid))
    city.category.active = False
    city.category.save()
    with pytest.raises(ValidationError):
        city.report()
    assert not Event.objects.exists()


def test_an_outsider_with_a_stale_version_is_refused_as_forbidden_not_told_the_state(city):
    event = build(city, STATES["yellow-department"])
    before = snapshot()
    with pytest.raises(PermissionDenied) as raised:
        event_handle(
            actor=city.other_street_official, event=event, note="x", seen_version=1, at=NOW
        )
    for light in Light:
        assert str(light.label) not in str(raised.value)
    assert snapshot() == before
