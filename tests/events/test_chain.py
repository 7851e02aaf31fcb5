"""The chain, step by step: who may take each step, in which light, and what it changes."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from events.models import Event, EventStep, Level, Light
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
LATER = TUESDAY_9AM + dt.timedelta(hours=1)


def state(event: Event) -> tuple[str, str, str | None]:
    event.refresh_from_db()
    return event.light, event.level, event.department.code if event.department else None


def test_a_reported_event_is_red_and_held_by_its_community(city):
    event = city.report()
    assert state(event) == (Light.RED, Level.COMMUNITY, None)
    assert event.community == city.community and event.street == city.street
    assert list(event.steps.values_list("action", flat=True)) == [Action.REPORT]


def test_the_whole_chain_through_street_and_department_ends_green(city):
    event = city.report()
    event_pass_up(actor=city.community_staff, event=event, note="社区无法处理", at=LATER)
    assert state(event) == (Light.RED, Level.STREET, None)
    event_transfer(actor=city.street_official, event=event, department=city.housing, at=LATER)
    assert state(event) == (Light.RED, Level.DEPARTMENT, "housing")
    event_accept(actor=city.housing_staff, event=event, at=LATER)
    assert state(event) == (Light.YELLOW, Level.DEPARTMENT, "housing")
    event_handle(actor=city.housing_staff, event=event, note="已清运", at=LATER)
    assert state(event) == (Light.BLUE, Level.DEPARTMENT, "housing")
    event_confirm(actor=city.community_staff, event=event, at=LATER)
    assert state(event) == (Light.GREEN, Level.DEPARTMENT, "housing")
    assert event.closed_at == LATER
    actions = list(event.steps.values_list("action", flat=True))
    assert actions == ["report", "pass_up", "transfer", "accept", "handle", "confirm"]
    # Every step is in the event's history with who and why.
    assert event.history.count() == 6
    assert event.history.first().history_user == city.community_staff


def test_a_return_goes_back_to_the_street_and_is_counted(city):
    event = city.report()
    event_pass_up(actor=city.community_staff, event=event, at=LATER)
    event_transfer(actor=city.street_official, event=event, department=city.housing, at=LATER)
    event_return(actor=city.housing_staff, event=event, reason="不属于本局职责", at=LATER)
    assert state(event) == (Light.RED, Level.STREET, None)
    assert event.returns == 1
    step = event.steps.get(action=Action.RETURN)
    assert step.department == city.housing and step.note == "不属于本局职责"


def test_a_send_back_returns_the_event_to_its_handler_yellow(city):
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=LATER)
    event_handle(actor=city.community_staff, event=event, note="已处理", at=LATER)
    event_send_back(actor=city.community_staff, event=event, reason="垃圾仍在", at=LATER)
    assert state(event) == (Light.YELLOW, Level.COMMUNITY, None)
    assert event.send_backs == 1


def test_transferring_to_a_department_not_in_charge_is_refused_and_changes_nothing(city):
    event = city.report()
    event_pass_up(actor=city.community_staff, event=event, at=LATER)
    with pytest.raises(ValidationError, match="卫健局"):
        event_transfer(actor=city.street_official, event=event, department=city.health, at=LATER)
    assert state(event) == (Light.RED, Level.STREET, None)
    assert event.steps.count() == 2


def test_a_community_may_not_transfer_unless_the_setting_allows(city, settings):
    event = city.report()
    with pytest.raises(ValidationError):
        event_transfer(actor=city.community_staff, event=event, department=city.housing, at=LATER)
    settings.EVENT_COMMUNITY_MAY_TRANSFER = True
    event_transfer(actor=city.community_staff, event=event, department=city.housing, at=LATER)
    event_return(actor=city.housing_staff, event=event, reason="请补充位置", at=LATER)
    assert state(event) == (Light.RED, Level.COMMUNITY, None)


@pytest.mark.parametrize(
    "who", ["street_official", "housing_staff", "member", "other_community_staff", "municipal"]
)
def test_only_the_community_accepts_what_it_holds(city, who):
    event = city.report()
    with pytest.raises(PermissionDenied):
        event_accept(actor=getattr(city, who), event=event, at=LATER)
    assert state(event) == (Light.RED, Level.COMMUNITY, None)
    assert event.version == 1


def test_a_closed_event_cannot_be_changed(city):
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=LATER)
    event_handle(actor=city.community_staff, event=event, note="已处理", at=LATER)
    event_confirm(actor=city.community_staff, event=event, at=LATER)
    with pytest.raises(ValidationError, match=r"closed|关闭|办结"):
        event_send_back(actor=city.community_staff, event=event, reason="again", at=LATER)


def test_a_step_on_a_version_someone_else_changed_is_refused(city):
    event = city.report()
    seen = event.version
    event_delay_explain(actor=city.community_staff, event=event, reason="等物业", at=LATER)
    with pytest.raises(ValidationError):
        event_accept(actor=city.community_staff, event=event, seen_version=seen, at=LATER)
    assert state(event)[0] == Light.RED


def test_an_overdue_event_without_a_reason_can_be_escalated_and_the_office_then_sees_it(city):
    from events.selectors import events_visible

    event = city.report()
    assert not events_visible(city.inspector).filter(pk=event.pk).exists()
    days_later = event.stage_due_at + dt.timedelta(days=2)
    event_escalate(actor=city.street_official, event=event, reason="超时未受理", at=days_later)
    event.refresh_from_db()
    assert event.escalated_at == days_later
    assert events_visible(city.inspector).filter(pk=event.pk).exists()


def test_an_explained_delay_cannot_be_escalated(city):
    event = city.report()
    event_delay_explain(actor=city.community_staff, event=event, reason="等待业主", at=LATER)
    with pytest.raises(ValidationError):
        event_escalate(
            actor=city.municipal,
            event=event,
            reason="超时",
            at=event.stage_due_at + dt.timedelta(hours=1),
        )


def test_an_event_within_its_limit_cannot_be_escalated(city):
    event = city.report()
    with pytest.raises(ValidationError):
        event_escalate(actor=city.municipal, event=event, reason="超时", at=LATER)
