"""Which step of the chain ``user`` may take on an event now, and why not: the one rule the
event's page shows as buttons and every service refuses on (``event_action_refusal``).

The chain: reported (red, held by the community) → accepted (yellow) or passed up to the
street (red) → transferred to a department (red; by the street, or by the community where
``EVENT_COMMUNITY_MAY_TRANSFER``) → the department accepts (yellow) or returns it with a
reason (red, back with whoever transferred it) → handled (blue) → the reporting community
confirms (green, closed) or sends it back to the handler (yellow). A delay can be explained by
whoever holds the event; an event over its stage's limit without an explanation can be
escalated to the inspection office.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.types import User
from archives import scope
from archives.models import Department
from events.models import Event, EventStep, Level, Light
from events.selectors.visible import event_visible

Action = EventStep.Action

COMMUNITY_PERMISSION = "events.act_for_community"
STREET_PERMISSION = "events.act_for_street"
DEPARTMENT_PERMISSION = "events.act_for_department"
REPORT_PERMISSION = "events.add_event"
ESCALATE_PERMISSION = "events.escalate_event"

#: The steps someone holding the event may take, by light, in the order the page shows them.
_STEPS_BY_LIGHT: dict[str, list[str]] = {
    Light.RED: [Action.ACCEPT, Action.PASS_UP, Action.TRANSFER, Action.RETURN],
    Light.YELLOW: [Action.HANDLE, Action.TRANSFER],
    Light.BLUE: [Action.CONFIRM, Action.SEND_BACK],
    Light.GREEN: [],
}
#: Steps that need a reason or a note written.
NEEDS_TEXT = {Action.RETURN, Action.HANDLE, Action.SEND_BACK, Action.EXPLAIN_DELAY, Action.ESCALATE}


@dataclass(frozen=True)
class Refusal:
    message: str
    #: Outside the user's scope or role (403), rather than a step out of turn.
    forbidden: bool = False


def outside_scope() -> Refusal:
    """The refusal for someone who cannot see the event: the same whatever its state."""
    return Refusal(_("This event is outside your area: you cannot act on it."), forbidden=True)


def acts_for_community(user: User, event: Event) -> bool:
    return scope.may_work_in(user, event.grid, permission=COMMUNITY_PERMISSION)


def acts_for_street(user: User, event: Event) -> bool:
    return scope.may_work_in(user, event.grid, permission=STREET_PERMISSION)


def acts_for_department(user: User, department: Department | None) -> bool:
    return department is not None and scope.may_work_for(
        user, department, permission=DEPARTMENT_PERMISSION
    )


def acts_for_holder(user: User, event: Event) -> bool:
    """Whether ``user`` acts for whoever holds ``event`` now: the community, the street or the
    department; for a handled (blue) event, the reporting community that evaluates it."""
    if event.light == Light.BLUE or event.level == Level.COMMUNITY:
        return acts_for_community(user, event)
    if event.level == Level.STREET:
        return acts_for_street(user, event)
    return acts_for_department(user, event.department)


def is_overdue(event: Event, now: dt.datetime | None = None) -> bool:
    return (
        event.light != Light.GREEN
        and event.stage_due_at is not None
        and (now or timezone.now()) > event.stage_due_at
    )


def _holder_name(event: Event) -> str:
    if event.light == Light.BLUE:
        return _("the reporting community (to evaluate)")
    if event.level == Level.DEPARTMENT and event.department is not None:
        return event.department.name
    return str(Level(event.level).label)


def may_transfer_to(event: Event, department: Department) -> bool:
    return event.category.departments.filter(pk=department.pk).exists()


def event_action_refusal(
    user: User,
    event: Event,
    action: str,
    *,
    department: Department | None = None,
    now: dt.datetime | None = None,
) -> Refusal | None:
    """Why ``user`` may not take ``action`` on ``event`` as it stands, or None if they may.
    Someone who cannot see the event is refused first, told nothing of its state."""
    if not event_visible(user, event):
        return outside_scope()
    return _refusal(user, event, action, department=department, now=now or timezone.now())


def _refusal(
    user: User, event: Event, action: str, *, department: Department | None, now: dt.datetime
) -> Refusal | None:
    """``event_action_refusal`` for someone who sees the event."""
    if event.light == Light.GREEN:
        return Refusal(_("This event is closed: nothing more can be done on it."))
    if action == Action.ESCALATE:
        return _escalation_refusal(user, event, now)
    if action == Action.EXPLAIN_DELAY:
        if not acts_for_holder(user, event):
            return Refusal(
                _("Only %(holder)s, who holds this event, can explain its delay.")
                % {"holder": _holder_name(event)},
                forbidden=True,
            )
        return None
    if action not in _STEPS_BY_LIGHT[event.light]:
        return Refusal(
            _("This event is %(light)s: it cannot be %(step)s now.")
            % {"light": Light(event.light).label, "step": Action(action).label}
        )
    return _chain_refusal(user, event, action, department)


def _chain_refusal(
    user: User, event: Event, action: str, department: Department | None
) -> Refusal | None:
    level = event.level
    if action == Action.PASS_UP and level != Level.COMMUNITY:
        return Refusal(_("Only an event the community holds can be passed up to the street."))
    if action == Action.RETURN and level != Level.DEPARTMENT:
        return Refusal(_("Only a department can return an event transferred to it."))
    if action == Action.TRANSFER:
        return _transfer_refusal(user, event, department)
    if not acts_for_holder(user, event):
        return Refusal(
            _("This event is held by %(holder)s: you cannot act on it for them.")
            % {"holder": _holder_name(event)},
            forbidden=True,
        )
    return None


def _transfer_refusal(user: User, event: Event, department: Department | None) -> Refusal | None:
    if event.level == Level.DEPARTMENT:
        return Refusal(
            _("A department holds this event: it can return it, not transfer it further.")
        )
    if event.level == Level.COMMUNITY and not settings.EVENT_COMMUNITY_MAY_TRANSFER:
        return Refusal(
            _("A community passes an event up to its street, which transfers it to a department.")
        )
    if not acts_for_holder(user, event):
        return Refusal(
            _("This event is held by %(holder)s: you cannot act on it for them.")
            % {"holder": _holder_name(event)},
            forbidden=True,
        )
    if department is None:
        return Refusal(_("Choose the department to transfer it to."))
    if not may_transfer_to(event, department):
        return Refusal(
            _("%(department)s does not handle events of the category “%(category)s”.")
            % {"department": department.name, "category": event.category.name}
        )
    return None


def _escalation_refusal(user: User, event: Event, now: dt.datetime) -> Refusal | None:
    if not (
        user.has_perm(ESCALATE_PERMISSION)
        and scope.may_work_in(user, event.grid, permission=ESCALATE_PERMISSION)
    ):
        return Refusal(_("You may not escalate events of this area."), forbidden=True)
    if event.light == Light.BLUE:
        # "One left undone … goes to the inspection office": a handled event is not undone,
        # and its late evaluation is the community's, not the handler's to answer for.
        return Refusal(
            _("This event has been handled and waits for its evaluation: it cannot be escalated.")
        )
    if event.escalated_at is not None:
        return Refusal(_("This event has been escalated already."))
    if not is_overdue(event, now):
        return Refusal(_("This event is within its time limit: it cannot be escalated."))
    if event.delay_reason:
        return Refusal(
            _("Its holder has explained the delay (“%(reason)s”): it cannot be escalated.")
            % {"reason": event.delay_reason}
        )
    return None


def event_actions(user: User, event: Event, *, now: dt.datetime | None = None) -> list[str]:
    """The steps ``user`` may take on ``event`` now, in the order the page offers them.
    Transferring is offered when it is allowed to some department of the category."""
    if not event_visible(user, event):
        return []
    now = now or timezone.now()
    candidates = [*_STEPS_BY_LIGHT[event.light], Action.EXPLAIN_DELAY, Action.ESCALATE]
    allowed = []
    for action in candidates:
        department = None
        if action == Action.TRANSFER:
            department = event.category.departments.first()
            if department is None:
                continue
        if _refusal(user, event, action, department=department, now=now) is None:
            allowed.append(action)
    return allowed
