"""Two claimers reach for one wish at the same moment: the wish's row lock lets exactly one win,
the other is told it has been claimed and nothing of theirs is written. The races run on
PostgreSQL (``DATABASE_URL=postgres://…``); SQLite has no row locks to race. Whatever the code
does, the database itself keeps one live claim per wish (on both databases)."""

import threading
import time
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from wishes.models import Claim, ClaimState, Wish, WishState
from wishes.services import claim_confirm, claim_fulfil, claim_return, wish_claim, wish_withdraw
from wishes.services import claims as claim_services
from wishes.services import wishes as wish_services

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (SELECT … FOR UPDATE) are PostgreSQL's; SQLite locks the whole "
    "database for a write, so there is no race to test. Run with DATABASE_URL=postgres://…",
)
#: How long the first to lock the row keeps it, after its check and before it writes: long
#: enough that the other's check would run meanwhile if nothing held it back.
HOLD = 0.3


@pytest.fixture
def slow_check(monkeypatch):
    """The steps' check, followed by a pause while the wish's row stays locked."""
    check = wish_services.refuse_unless_allowed

    def checked_then_held(*args, **kwargs):
        check(*args, **kwargs)
        time.sleep(HOLD)

    monkeypatch.setattr(claim_services, "refuse_unless_allowed", checked_then_held)
    monkeypatch.setattr(wish_services, "refuse_unless_allowed", checked_then_held)


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


def one_won(results: list[object]) -> tuple[object, Exception]:
    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], ValidationError | PermissionDenied), repr(lost[0])
    return won[0], lost[0]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_claimers_race_for_one_wish_and_exactly_one_wins(city, slow_check):
    wish = city.post()
    results = race(
        lambda: wish_claim(actor=city.volunteer, wish=wish),
        lambda: wish_claim(actor=city.party_member, wish=wish),
    )
    claim, lost = one_won(results)
    assert isinstance(lost, ValidationError)
    assert lost.messages == ["该心愿已被认领。"]
    assert list(Claim.objects.filter(wish=wish)) == [claim]
    wish = Wish.objects.get(pk=wish.pk)
    assert wish.state == WishState.CLAIMED and wish.version == 1
    assert wish.history.count() == 2  # posted, claimed: nothing of the loser's


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_many_claimers_race_and_one_claim_is_kept(city):
    """Without the pause: five claims at once, as a busy board would see them."""
    wish = city.post()
    claimers = [city.volunteer, city.party_member, city.housing_staff, city.staff_claimer]
    results = race(*[lambda who=who: wish_claim(actor=who, wish=wish) for who in claimers])
    won = [r for r in results if isinstance(r, Claim)]
    assert len(won) == 1, results
    assert all(isinstance(r, ValidationError) for r in results if r not in won)
    assert Claim.objects.filter(wish=wish).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_claim_racing_the_communitys_withdrawal_leaves_one_of_them(city, slow_check):
    wish = city.post()
    results = race(
        lambda: wish_claim(actor=city.volunteer, wish=wish),
        lambda: wish_withdraw(actor=city.staff, wish=wish, version=0, reason="居民已自行解决"),
    )
    won, _lost = one_won(results)
    wish = Wish.objects.get(pk=wish.pk)
    if isinstance(won, Claim):
        assert wish.state == WishState.CLAIMED
    else:
        assert wish.state == WishState.WITHDRAWN
        assert not Claim.objects.filter(wish=wish).exists()


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_confirmation_racing_a_return_leaves_one_of_them(city, slow_check):
    wish = city.post()
    claim = wish_claim(actor=city.volunteer, wish=wish)
    claim_fulfil(actor=city.volunteer, claim=claim, note="已完成")
    results = race(
        lambda: claim_confirm(actor=city.staff, claim=claim),
        lambda: claim_return(actor=city.staff_claimer, claim=claim, reason="未完成"),
    )
    won, _lost = one_won(results)
    claim = Claim.objects.get(pk=claim.pk)
    assert claim.state == (
        ClaimState.CONFIRMED if won.state == ClaimState.CONFIRMED else ClaimState.CLAIMED
    )
    assert claim.returns == (0 if claim.state == ClaimState.CONFIRMED else 1)


@pytest.mark.django_db
def test_the_database_refuses_a_second_live_claim_even_without_the_services(city):
    wish = city.post()
    first = wish_claim(actor=city.volunteer, wish=wish)
    second = Claim(
        wish=wish,
        claimer=city.claimer(city.party_member),
        state=ClaimState.CLAIMED,
        claimed_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    # Nor may a claim marked done be joined by another.
    Claim.objects.filter(pk=first.pk).update(state=ClaimState.DONE)  # history: a test's bypass
    second.state = ClaimState.DONE
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    assert list(Claim.objects.filter(wish=wish)) == [first]


@pytest.mark.django_db
def test_ended_claims_do_not_count_as_live(city):
    """Withdrawn and confirmed claims stay beside the live one: the constraint is partial."""
    wish = city.post()
    for state in (ClaimState.WITHDRAWN, ClaimState.WITHDRAWN, ClaimState.CONFIRMED):
        Claim.objects.create(
            wish=wish,
            claimer=city.claimer(city.party_member),
            state=state,
            claimed_at=timezone.now(),
            confirmed_at=timezone.now() if state == ClaimState.CONFIRMED else None,
        )
    wish_claim(actor=city.volunteer, wish=wish)
    assert Claim.objects.filter(wish=wish).count() == 4
