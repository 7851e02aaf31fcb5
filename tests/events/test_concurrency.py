"""Two people act on one event at the same moment: the row lock lets exactly one win, the other
is told clearly and nothing of theirs is written. Run on PostgreSQL
(``DATABASE_URL=postgres://…``); SQLite has no row locks to test."""

import datetime as dt
import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from events.models import Event, EventStep, Level, Light
from events.services import chain, event_accept, event_handle, event_pass_up
from tests import factories
from tests.events.conftest import TUESDAY_9AM

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks (SELECT … FOR UPDATE) are PostgreSQL's; SQLite locks the whole "
        "database for a write, so there is no race to test. Run with DATABASE_URL=postgres://…",
    ),
]

LATER = TUESDAY_9AM + dt.timedelta(hours=1)
#: How long the first to lock the row keeps it, after its check and before it writes: long
#: enough that the other's check would run meanwhile if nothing held it back.
HOLD = 0.3


@pytest.fixture
def slow_check(monkeypatch):
    """The chain's check, followed by a pause while the row stays locked."""
    check = chain._refuse_unless_allowed

    def checked_then_held(*args, **kwargs):
        check(*args, **kwargs)
        time.sleep(HOLD)

    monkeypatch.setattr(chain, "_refuse_unless_allowed", checked_then_held)


def race(*steps: Callable[[], object]) -> list[object]:
    """Run ``steps`` in threads released together; each one's result or exception."""
    barrier = threading.Barrier(len(steps))
    results: list[object] = [None] * len(steps)

    def run(number: int, step: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            results[number] = step()
        except Exception as error:  # the exception is the result
            results[number] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, s)) for n, s in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def fresh(model, pk):
    return model._default_manager.get(pk=pk)


def one_won(results: list[object]) -> tuple[object, Exception]:
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    # Out of turn now, or no longer theirs to act on (the other passed it up): either way
    # the chain's own refusal.
    assert isinstance(lost[0], ValidationError | PermissionDenied), repr(lost[0])
    return won[0], lost[0]


@pytest.fixture
def colleague(city):
    """A second person of the same community."""
    user = factories.make_user("community2", role="community staff")
    factories.grant(user, city.community)
    return user


def test_accept_and_pass_up_at_once_one_wins_and_the_other_is_told(city, colleague, slow_check):
    event = city.report()
    User = get_user_model()
    results = race(
        lambda: event_accept(
            actor=fresh(User, city.community_staff.pk), event=fresh(Event, event.pk), at=LATER
        ),
        lambda: event_pass_up(
            actor=fresh(User, colleague.pk), event=fresh(Event, event.pk), note="交街道", at=LATER
        ),
    )
    _won, lost = one_won(results)
    event.refresh_from_db()
    assert event.version == 2
    assert EventStep.objects.filter(event=event).count() == 2  # the report and the winner's
    assert event.history.count() == 2
    # The loser is told where the event stands now: its light, or who holds it.
    now = [str(Light(event.light).label), str(Level(event.level).label)]
    assert any(words in str(lost) for words in now), lost


def test_two_handles_at_once_write_one_step(city, colleague, slow_check):
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=LATER)
    User = get_user_model()
    results = race(
        *[
            lambda who=who, note=note: event_handle(
                actor=fresh(User, who.pk), event=fresh(Event, event.pk), note=note, at=LATER
            )
            for who, note in [(city.community_staff, "已清运"), (colleague, "已处理完毕")]
        ]
    )
    _won, lost = one_won(results)
    event.refresh_from_db()
    assert event.light == Light.BLUE and event.version == 3
    handles = EventStep.objects.filter(event=event, action=EventStep.Action.HANDLE)
    assert handles.count() == 1
    assert str(Light.BLUE.label) in str(lost)


def test_two_steps_on_the_version_both_saw_one_is_told_someone_else_acted(
    city, colleague, slow_check
):
    event = city.report()
    seen = event.version
    User = get_user_model()
    results = race(
        lambda: event_accept(
            actor=fresh(User, city.community_staff.pk),
            event=fresh(Event, event.pk),
            seen_version=seen,
            at=LATER,
        ),
        lambda: event_pass_up(
            actor=fresh(User, colleague.pk),
            event=fresh(Event, event.pk),
            seen_version=seen,
            at=LATER,
        ),
    )
    _won, lost = one_won(results)
    assert "Someone else" in str(lost) or "他人" in str(lost) or "其他人" in str(lost)
    assert EventStep.objects.filter(event=event).count() == 2


def test_without_the_row_lock_both_would_have_won(city, colleague, slow_check, monkeypatch):
    """The test can fail: the same race with the lock taken away writes two handles."""
    event = city.report()
    event_accept(actor=city.community_staff, event=event, at=LATER)

    def unlocked(actor, event, seen_version):
        return Event.objects.select_related("category", "grid", "department").get(pk=event.pk)

    monkeypatch.setattr(chain, "_locked", unlocked)
    User = get_user_model()
    results = race(
        *[
            lambda who=who: event_handle(
                actor=fresh(User, who.pk), event=fresh(Event, event.pk), note="已处理", at=LATER
            )
            for who in (city.community_staff, colleague)
        ]
    )
    assert not any(isinstance(r, Exception) for r in results), results
    assert EventStep.objects.filter(event=event, action=EventStep.Action.HANDLE).count() == 2
