"""A web worker freezes what it keeps, so that full garbage collections skip it, collects what
each request leaves in cycles once the response is sent, and lets its threads take turns
often."""

import gc
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished
from django.db import close_old_connections

from portal.web_worker import (
    collect_after_each_request,
    freeze_after_first_request,
    switch_threads_often,
)


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _watched_cycles() -> tuple[type[_Cycle], list[type[_Cycle]]]:
    """A class of objects in a cycle, and the list each appends its class to when freed."""
    collected: list[type[_Cycle]] = []

    class Watched(_Cycle):
        def __del__(self) -> None:
            collected.append(Watched)

    return Watched, collected


@pytest.fixture
def without_database_receiver():
    # As Django's test client does: the signal's database receiver would otherwise reach for
    # the connection an earlier test opened, outside any test's database access.
    request_finished.disconnect(close_old_connections)
    yield
    request_finished.connect(close_old_connections)


@pytest.fixture
def unfrozen(without_database_receiver):
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run collects as before
    request_finished.disconnect(dispatch_uid="portal.web_worker.freeze_once")


def test_it_freezes_at_start_and_once_more_after_the_first_request(unfrozen):
    freeze_after_first_request()
    at_start = gc.get_freeze_count()
    built_by_first_request = [_Cycle() for _ in range(1000)]

    request_finished.send(sender=None)
    after_first = gc.get_freeze_count()
    [_Cycle() for _ in range(1000)]  # a later request's own garbage, kept alive below
    later = [_Cycle() for _ in range(1000)]
    request_finished.send(sender=None)

    assert at_start > 0
    assert after_first >= at_start + len(built_by_first_request)
    # Later requests freeze nothing, so their objects stay collectable. The count may still fall:
    # reference counting frees a frozen object once a collected cycle held its last reference.
    assert gc.get_freeze_count() <= after_first
    assert later


def test_what_a_later_request_leaves_behind_is_still_collected(unfrozen):
    freeze_after_first_request()
    request_finished.send(sender=None)
    Watched, collected = _watched_cycles()

    Watched()  # garbage in a cycle: only the cyclic collector frees it
    gc.collect()

    assert collected == [Watched]


@pytest.fixture
def collector_off(without_database_receiver):
    """Only an explicit collection frees cycles (the thresholds' own collections do not)."""
    gc.disable()
    yield
    gc.enable()
    request_finished.disconnect(dispatch_uid="portal.web_worker.collect")


def test_a_requests_cycles_are_collected_once_its_response_is_finished(collector_off):
    collect_after_each_request()
    PageRow, collected = _watched_cycles()

    rows = [PageRow() for _ in range(3)]
    rows.clear()  # the page is built and sent: its rows are garbage, in cycles
    assert collected == []  # nothing collects them while the response is written

    request_finished.send(sender=None)

    assert collected == [PageRow] * 3


def test_without_the_hook_a_requests_cycles_wait_for_the_collector(collector_off):
    PageRow, collected = _watched_cycles()

    PageRow()
    request_finished.send(sender=None)

    assert collected == []
    gc.collect()
    assert collected == [PageRow]


@pytest.fixture
def switch_interval():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


def test_threads_take_turns_every_millisecond_unless_configured(switch_interval, monkeypatch):
    monkeypatch.delenv("WEB_THREAD_SWITCH_MS", raising=False)
    switch_threads_often()
    assert sys.getswitchinterval() == pytest.approx(0.001)

    monkeypatch.setenv("WEB_THREAD_SWITCH_MS", "3")
    switch_threads_often()
    assert sys.getswitchinterval() == pytest.approx(0.003)


def test_a_switch_interval_below_one_millisecond_is_refused(switch_interval, monkeypatch):
    monkeypatch.setenv("WEB_THREAD_SWITCH_MS", "0")
    with pytest.raises(ImproperlyConfigured, match="WEB_THREAD_SWITCH_MS"):
        switch_threads_often()
